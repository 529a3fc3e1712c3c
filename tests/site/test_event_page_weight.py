"""An event page with its banner, on a phone, weighs under 50 KB: the HTML and the stylesheet as sent
(gzip), and the banner size a phone's browser takes from the srcset. The phone is the one of the
browser tests (tests/browser/test_browser_a11y.py): 360 CSS pixels wide, one device pixel per CSS
pixel. The banner is a photograph-like 1,600 px picture (about 95 KB at that size)."""

from __future__ import annotations

import io
import random
import re

from PIL import Image, ImageDraw, ImageFilter

from node.accounts.actors import local_actor
from node.core import media as media_service
from node.web.pictures import picture_srcset
from tests.conftest import Federation, client_for
from tests.helpers import publish_event

WEIGHT_LIMIT = 50_000
PHONE_CSS_WIDTH = 360
PHONE_DPR = 1.0
GZIP = {"Accept-Encoding": "gzip"}


def photo(width: int = 1600, height: int = 900) -> bytes:
    """Blurred shapes and a little noise: compresses about as a photograph does."""
    rng = random.Random(7)
    image = Image.new("RGB", (width, height), (90, 120, 160))
    draw = ImageDraw.Draw(image)
    for _ in range(400):
        x, y, r = rng.randrange(width), rng.randrange(height), rng.randrange(10, 120)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    image = Image.blend(image.filter(ImageFilter.GaussianBlur(3)), Image.effect_noise((width, height), 12).convert("RGB"), 0.08)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def phone_choice(srcset: str, sizes: str) -> str:
    """The candidate a browser takes on the phone: the smallest at least as wide as the slot (the
    `sizes` entry that applies: no min-width query matches 360 px, so the last, in vw) times the
    device pixel ratio."""
    slot = float(re.fullmatch(r"([0-9.]+)vw", sizes.split(",")[-1].strip()).group(1)) * PHONE_CSS_WIDTH / 100  # type: ignore[union-attr]
    candidates = sorted((int(w[:-1]), url) for url, w in (c.strip().split() for c in srcset.split(",")))
    needed = slot * PHONE_DPR
    return next((url for w, url in candidates if w >= needed), candidates[-1][1])


def test_srcset_of_our_addresses_only() -> None:
    base = "https://asso.example"
    key = "k" * 22
    assert picture_srcset(base, f"{base}/media/{key}-1600.jpg") == ", ".join(
        f"{base}/media/{key}-{w}.jpg {w}w" for w in (320, 640, 1280, 1600))
    assert picture_srcset(base, f"{base}/media/{key}-500.png") == f"{base}/media/{key}-320.png 320w, {base}/media/{key}-500.png 500w"
    assert picture_srcset(base, f"https://elsewhere.example/media/{key}-1600.jpg") == ""
    assert picture_srcset(base, f"{base}/media/../{key}-1600.jpg") == ""
    assert picture_srcset(base, None) == ""


async def test_event_page_with_its_banner_on_a_phone_is_under_50_kb(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    with a.ctx:
        owner = await local_actor("asso")
        banner = await media_service.store_upload(a, owner, photo(), "The hall, seen from the garden")
        url = media_service.media_url(a, banner)
    assert url.endswith("-1600.jpg")
    event = await publish_event(a, banner_url=url, banner_alt="The hall, seen from the garden")
    async with client_for(a) as http:
        page = await http.get(event.url or event.uri, headers={"Accept": "text/html", **GZIP})
        assert page.status_code == 200 and page.headers["content-encoding"] == "gzip"
        tag = re.search(r'<img class="banner"[^>]*>', page.text)
        assert tag is not None, "the banner is on the page"
        srcset = re.search(r'srcset="([^"]+)"', tag.group(0)).group(1)  # type: ignore[union-attr]
        sizes = re.search(r'sizes="([^"]+)"', tag.group(0)).group(1)  # type: ignore[union-attr]
        assert srcset == picture_srcset(a.settings.base_url, url)
        css_path = re.search(r'href="(/static/agora\.css[^"]*)"', page.text).group(1)  # type: ignore[union-attr]
        css = await http.get(css_path, headers=GZIP)
        chosen = phone_choice(srcset, sizes)
        picture = await http.get(chosen.removeprefix(a.settings.base_url))
        assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
        whole = await http.get(url.removeprefix(a.settings.base_url))
    weight = page.num_bytes_downloaded + css.num_bytes_downloaded + picture.num_bytes_downloaded
    print(f"\nevent page on a phone: {weight} bytes (HTML {page.num_bytes_downloaded}, CSS "
          f"{css.num_bytes_downloaded}, banner {picture.num_bytes_downloaded} of {chosen.rsplit('/', 1)[1]}; "
          f"the 1,600 px banner alone is {whole.num_bytes_downloaded})")
    assert len(whole.content) > WEIGHT_LIMIT  # the largest size alone would be over the limit
    assert weight < WEIGHT_LIMIT
