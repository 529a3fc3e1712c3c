"""node/media.py: uploads checked by content, stripped of metadata, resized, refused when dangerous."""

from __future__ import annotations

import dataclasses
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageFile

from node.core import images, media
from node.core.media import MediaError, attachment_doc, get_media, media_url, srcset, store_upload
from node.core.models import Media
from node.core.runtime import Node
from node.core.settings import MediaSettings

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg_with_gps(size: tuple[int, int] = (800, 600), orientation: int = 1) -> bytes:
    image = Image.new("RGB", size, (200, 40, 40))
    for x in range(0, size[0] // 2):  # a left half in another colour, to see the rotation
        for y in range(0, 10):
            image.putpixel((x, y), (10, 10, 250))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 24.0)
    gps[3] = "E"
    gps[4] = (2.0, 21.0, 3.0)
    out = io.BytesIO()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image.save(out, "JPEG", exif=exif.tobytes(), icc_profile=icc, comment=b"shot at home, 12 rue X")
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the test image really carries GPS
    return data


def png_bytes(size: tuple[int, int], mode: str = "RGBA", color: tuple[int, ...] = (0, 128, 0, 100)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, "PNG")
    return out.getvalue()


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header claims a huge image (a decompression bomb's shape)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def stored_files(node: Node, row: Media) -> list[Path]:
    return [Path(node.settings.data_dir) / "media" / name for name in row.variants.values()]


def with_media(node: Node, **limits: int) -> None:
    node.settings = dataclasses.replace(node.settings, media=dataclasses.replace(MediaSettings(), **limits))


async def test_gps_and_every_metadata_are_stripped_and_orientation_applied(node: Node) -> None:
    with node.ctx:
        row = await store_upload(node, None, jpeg_with_gps((800, 600), orientation=6), "A red square", "IMG_1.jpg")
        assert row.media_type == "image/jpeg"
        assert (row.width, row.height) == (600, 800)  # rotated upright by the EXIF orientation
        files = stored_files(node, row)
        assert files and all(f.is_file() for f in files)
        for path in files:
            data = path.read_bytes()
            image = Image.open(path)
            assert image.format == "JPEG"
            assert len(image.getexif()) == 0
            assert "exif" not in image.info and "icc_profile" not in image.info and "comment" not in image.info
            assert b"Exif" not in data and b"PhoneMaker" not in data and b"rue X" not in data
            assert b"http://ns.adobe.com/xap" not in data
        largest = Image.open(files[0] if "600" in files[0].name else [f for f in files if f.name.endswith("-600.jpg")][0])
        assert largest.size == (600, 800)


async def test_png_claiming_a_huge_size_is_refused_before_decoding(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[object] = []
    original = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> object:
        decoded.append(self)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    bomb = png_header_claiming(100_000, 100_000)
    assert len(bomb) < 200
    with node.ctx:
        with pytest.raises(MediaError, match="too many pixels"):
            await store_upload(node, None, bomb, "a bomb", "bomb.png")
        assert await Media.all().count() == 0
    assert decoded == []  # refused from the header alone
    assert not (Path(node.settings.data_dir) / "media").exists() or not any((Path(node.settings.data_dir) / "media").iterdir())


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")  # as node/media.py sets it
async def test_pixel_limit_from_the_settings(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    with_media(node, max_pixels=10_000)  # between the limit and twice it Pillow only warns: still refused
    decoded: list[object] = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self))
    with node.ctx:
        with pytest.raises(MediaError, match="too many pixels"):
            await store_upload(node, None, png_bytes((150, 100)), "green", "x.png")
        with pytest.raises(MediaError, match="too many pixels"):
            await store_upload(node, None, png_bytes((1000, 1000)), "green", "x.png")
    assert decoded == []


async def test_text_named_jpg_is_refused(node: Node) -> None:
    with node.ctx:
        with pytest.raises(MediaError, match="not an image"):
            await store_upload(node, None, b"<?php echo 'hi'; ?>\n" * 10, "script", "photo.jpg")
        with pytest.raises(MediaError, match="not an image"):
            await store_upload(node, None, b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "svg", "logo.png")
        assert await Media.all().count() == 0


async def test_png_renamed_jpg_is_detected_by_content(node: Node) -> None:
    with node.ctx:
        row = await store_upload(node, None, png_bytes((400, 300)), "a translucent green", "holiday.jpg")
        assert row.media_type == "image/png"  # transparency kept
        for path in stored_files(node, row):
            assert path.suffix == ".png"
            image = Image.open(path)
            assert image.format == "PNG" and image.mode == "RGBA"
            assert image.getpixel((10, 10))[3] == 100


async def test_opaque_photo_is_reencoded_as_jpeg_and_sizes_made(node: Node) -> None:
    with node.ctx:
        out = io.BytesIO()
        Image.new("RGB", (2000, 1000), (10, 90, 200)).save(out, "WEBP")
        row = await store_upload(node, None, out.getvalue(), "blue", "a.webp")
        assert row.media_type == "image/jpeg"
        widths = sorted(int(w) for w in row.variants)
        assert widths == [320, 640, 1280, 1600]  # max_width 1600
        assert (row.width, row.height) == (1600, 800)
        for width in widths:
            path = Path(node.settings.data_dir) / "media" / row.variants[str(width)]
            assert Image.open(path).size == (width, width // 2)
        small = await store_upload(node, None, png_bytes((500, 250), "RGB", (1, 2, 3)), "dark", "b.png")
        assert sorted(int(w) for w in small.variants) == [320, 500]
        tiny = await store_upload(node, None, png_bytes((200, 100), "RGB", (1, 2, 3)), "dark", "c.png")
        assert list(tiny.variants) == ["200"]


async def test_gif_keeps_its_first_frame_only(node: Node) -> None:
    frames = [Image.new("RGB", (64, 64), color) for color in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    with node.ctx:
        row = await store_upload(node, None, out.getvalue(), "a blinking square", "blink.gif")
        image = Image.open(stored_files(node, row)[0])
        assert getattr(image, "n_frames", 1) == 1
        red, green, blue = image.convert("RGB").getpixel((32, 32))  # type: ignore[misc]
        assert red > 200 and green < 60 and blue < 60


async def test_broken_and_oversized_files_are_refused(node: Node) -> None:
    data = jpeg_with_gps((400, 300))
    with node.ctx:
        with pytest.raises(MediaError):
            await store_upload(node, None, data[: len(data) // 2], "half", "half.jpg")
        with pytest.raises(MediaError, match="empty"):
            await store_upload(node, None, b"", "nothing", "empty.jpg")
        with_media(node, max_upload_bytes=1000)
        with pytest.raises(MediaError, match="larger"):
            await store_upload(node, None, data, "big", "big.jpg")
        assert await Media.all().count() == 0


async def test_alt_text_is_required(node: Node) -> None:
    data = png_bytes((50, 50))
    with node.ctx:
        for alt in ("", "   \n\t"):
            with pytest.raises(MediaError, match="alt text"):
                await store_upload(node, None, data, alt)
        with pytest.raises(MediaError, match="1500"):
            await store_upload(node, None, data, "x" * 1501)
        row = await store_upload(node, None, data, "  two   words  ")
        assert row.alt == "two words"


async def test_urls_srcset_and_attachment(node: Node) -> None:
    with node.ctx:
        out = io.BytesIO()
        Image.new("RGB", (1000, 500), (120, 30, 30)).save(out, "JPEG")
        row = await store_upload(node, None, out.getvalue(), "A dark red banner")
        base = f"{node.settings.base_url}/media/{row.key}"
        assert media_url(node, row) == f"{base}-1000.jpg"
        assert media_url(node, row, 600) == f"{base}-640.jpg"
        assert media_url(node, row, 5000) == f"{base}-1000.jpg"
        assert srcset(node, row) == f"{base}-320.jpg 320w, {base}-640.jpg 640w, {base}-1000.jpg 1000w"
        doc = attachment_doc(node, row)
        assert doc["type"] == "Document" and doc["mediaType"] == "image/jpeg"
        assert doc["url"] == f"{base}-1000.jpg" and doc["name"] == "A dark red banner"
        assert (doc["width"], doc["height"]) == (1000, 500)
        assert isinstance(doc["blurhash"], str) and len(doc["blurhash"]) == 28
        assert (await get_media(node, row.key)).id == row.id  # type: ignore[union-attr]
        assert await get_media(node, "../../etc/passwd") is None
        assert (await media.media_for_url(node, f"{base}-320.jpg")).id == row.id  # type: ignore[union-attr]
        assert len(row.key) >= 16 and row.key != (await store_upload(node, None, out.getvalue(), "again")).key
        leftovers = [p.name for p in (Path(node.settings.data_dir) / "media").iterdir() if p.name.startswith(".")]
        assert leftovers == []


def test_blurhash_of_a_flat_colour() -> None:
    # 4x3 components ("L"), then the average colour in the DC term: pure red.
    value = images.blurhash(Image.new("RGB", (40, 30), (255, 0, 0)))
    assert value[0] == "L" and len(value) == 28
    assert value[2:6] == images._b83(255 << 16, 4) == "TI:j"
    assert images.blurhash(Image.new("RGB", (40, 30), (0, 0, 255)))[2:6] == images._b83(255, 4)
