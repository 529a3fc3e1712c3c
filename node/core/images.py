"""Uploaded images, checked by their content and rebuilt without metadata: decoding, cleaning, resizing,
encoding, and the BlurHash placeholder.

An upload is decoded by Pillow only after its header passed the size and pixel-count limits (a
decompression bomb is refused before any pixel is decoded). Orientation from EXIF is applied, then every
piece of metadata (EXIF with GPS, XMP, ICC profiles, comments) is dropped by writing brand-new images.
Storing the result is `node.core.media`'s work."""

from __future__ import annotations

import io
import math
import struct
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from node.core.settings import MediaSettings

# A bomb that only passes Pillow's own limit as a warning must fail too, wherever Pillow decodes.
warnings.simplefilter("error", Image.DecompressionBombWarning)

WIDTHS = (320, 640, 1280)  # smaller sizes made for srcset when the image is wider
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")


class MediaError(Exception):
    """An upload refused; the message is safe to show to the person who sent it."""


@dataclass
class Processed:
    media_type: str
    width: int
    height: int
    variants: dict[int, bytes] = field(default_factory=dict)  # width -> encoded file
    blurhash: str | None = None


def _open(data: bytes, limits: MediaSettings) -> Image.Image:
    """Open by content (header only), refusing what is not an accepted image or is too large."""
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaError("This image has too many pixels.") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise MediaError("This file is not an image in a supported format (JPEG, PNG, WebP or GIF).") from None
    width, height = image.size
    if width < 1 or height < 1:
        raise MediaError("This image has no pixels.")
    if width * height > limits.max_pixels:
        raise MediaError("This image has too many pixels.")
    if image.format not in ACCEPTED_FORMATS:
        raise MediaError("This file is not an image in a supported format (JPEG, PNG, WebP or GIF).")
    return image


def decode(data: bytes, limits: MediaSettings) -> Image.Image:
    """The first frame of an accepted image, fully decoded and verified."""
    if len(data) > limits.max_upload_bytes:
        raise MediaError(f"The file is larger than {limits.max_upload_bytes // 1_000_000} MB.")
    try:
        _open(data, limits).verify()  # structure and checksums, without decoding pixels
        image = _open(data, limits)  # verify() leaves the image unusable: open again
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)
        if image.format == "JPEG" and min(image.size) > 2 * limits.max_width:
            # Decode a big photo at a reduced scale straight from the JPEG (much less memory and CPU);
            # both sides stay at least max_width, so the largest size kept is unchanged.
            image.draft(None, (limits.max_width, limits.max_width))
        image.load()
    except MediaError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaError("This image has too many pixels.") from None
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, struct.error, MemoryError):
        raise MediaError("This image is damaged or incomplete.") from None
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Colours converted to sRGB when the file carries another ICC profile, so that dropping the
    profile does not change how the picture looks."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image
    return converted if isinstance(converted, Image.Image) else image


def _has_alpha(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA"):
        lowest = image.getchannel("A").getextrema()[0]
        return isinstance(lowest, (int, float)) and lowest < 255
    return image.mode == "P" and "transparency" in image.info


def normalise(image: Image.Image) -> tuple[Image.Image, str]:
    """Upright, sRGB, in a mode the output format takes, with NO metadata at all. Returns the new
    image and its media type: PNG when it has transparency or is flat graphics, JPEG otherwise."""
    source_format = image.format
    palette = image.mode in ("P", "1")
    upright = ImageOps.exif_transpose(image) or image
    alpha = _has_alpha(upright)
    if upright.mode == "CMYK" or upright.mode not in ("RGB", "RGBA", "L"):
        upright = _to_srgb(upright) if upright.mode == "CMYK" else upright
        upright = upright.convert("RGBA" if alpha else "RGB")
    upright = _to_srgb(upright) if upright.mode in ("RGB", "RGBA") else upright
    if upright.mode == "RGBA" and not alpha:
        upright = upright.convert("RGB")
    # A fresh image from raw pixels: no EXIF, GPS, XMP, ICC, comments nor any other `info` entry.
    clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    keep_png = alpha or (source_format in ("PNG", "GIF") and palette)
    return clean, "image/png" if keep_png else "image/jpeg"


def target_widths(width: int, max_width: int) -> list[int]:
    largest = min(width, max_width)
    return sorted({w for w in WIDTHS if w < largest} | {largest})


def encode(image: Image.Image, media_type: str, quality: int) -> bytes:
    out = io.BytesIO()
    if media_type == "image/png":
        image.save(out, "PNG", optimize=True)
    else:
        rgb = image if image.mode in ("RGB", "L") else image.convert("RGB")
        rgb.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def process(data: bytes, limits: MediaSettings) -> Processed:
    """The CPU part of an upload (run in a thread): decode, clean, resize, re-encode."""
    clean, media_type = normalise(decode(data, limits))
    widths = target_widths(clean.width, limits.max_width)
    result = Processed(media_type=media_type, width=0, height=0)
    for width in reversed(widths):
        height = max(1, round(clean.height * width / clean.width))
        sized = clean if width == clean.width else clean.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        result.variants[width] = encode(sized, media_type, limits.jpeg_quality)
        if width == widths[-1]:
            result.width, result.height = sized.size
    try:
        result.blurhash = blurhash(clean)
    except (ValueError, OSError):
        result.blurhash = None
    return result


_B83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"


def _b83(value: int, length: int) -> str:
    return "".join(_B83[(value // 83 ** (length - i)) % 83] for i in range(1, length + 1))


def _linear(value: int) -> float:
    v = value / 255
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def _srgb(value: float) -> int:
    v = min(max(value, 0.0), 1.0)
    return int(v * 12.92 * 255 + 0.5) if v <= 0.0031308 else int((1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5)


def blurhash(image: Image.Image, x_components: int = 4, y_components: int = 3) -> str:
    """The BlurHash of an image (the placeholder Mastodon shows while the picture loads)."""
    small = image.convert("RGB").resize((32, 32), Image.Resampling.BILINEAR)
    w, h = small.size
    pixels = [tuple(_linear(c) for c in small.getpixel((x, y))) for y in range(h) for x in range(w)]  # type: ignore[union-attr]
    factors: list[tuple[float, float, float]] = []
    for j in range(y_components):
        cos_y = [math.cos(math.pi * j * y / h) for y in range(h)]
        for i in range(x_components):
            cos_x = [math.cos(math.pi * i * x / w) for x in range(w)]
            norm = 1.0 if i == 0 and j == 0 else 2.0
            r = g = b = 0.0
            for y in range(h):
                for x in range(w):
                    basis = cos_x[x] * cos_y[y]
                    pr, pg, pb = pixels[y * w + x]
                    r += basis * pr
                    g += basis * pg
                    b += basis * pb
            scale = norm / (w * h)
            factors.append((r * scale, g * scale, b * scale))
    dc, ac = factors[0], factors[1:]
    out = _b83((x_components - 1) + (y_components - 1) * 9, 1)
    maximum = 1.0
    if ac:
        actual = max(abs(v) for f in ac for v in f)
        quantised = max(0, min(82, int(math.floor(actual * 166 - 0.5))))
        maximum = (quantised + 1) / 166
        out += _b83(quantised, 1)
    else:
        out += _b83(0, 1)
    out += _b83((_srgb(dc[0]) << 16) + (_srgb(dc[1]) << 8) + _srgb(dc[2]), 4)

    def quant(v: float) -> int:
        signed = math.copysign(abs(v / maximum) ** 0.5, v)
        return max(0, min(18, int(math.floor(signed * 9 + 9.5))))

    for r, g, b in ac:
        out += _b83(quant(r) * 19 * 19 + quant(g) * 19 + quant(b), 2)
    return out
