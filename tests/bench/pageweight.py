"""The weight of an event page with its banner on a phone: what tests/site/test_event_page_weight.py
asserts and `make bench` reports.

The phone is the one of the browser tests (tests/browser/test_browser_a11y.py): 360 CSS pixels wide,
one device pixel per CSS pixel. The weight is the HTML and the stylesheet as sent (gzip), and the
banner size such a browser takes from the srcset. The banner is a photograph-like 1,600 px picture
(about 95 KB at that size)."""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass
from datetime import datetime

import httpx2
from PIL import Image, ImageDraw, ImageFilter

from federation.events import Place
from node.accounts.actors import local_actor
from node.core import media as media_service
from node.core.runtime import Node
from node.events.events import create_event
from node.events.inputs import EventInput

WEIGHT_LIMIT = 50_000
PHONE_CSS_WIDTH = 360
PHONE_DPR = 1.0
GZIP = {"Accept-Encoding": "gzip"}
BANNER_ALT = "The hall, seen from the garden"


def photo(width: int = 1600, height: int = 900) -> bytes:
    """Blurred shapes and a little noise: compresses about as a photograph does."""
    rng = random.Random(7)
    image = Image.new("RGB", (width, height), (90, 120, 160))
    draw = ImageDraw.Draw(image)
    for _ in range(400):
        x, y, r = rng.randrange(width), rng.randrange(height), rng.randrange(10, 120)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    noise = Image.effect_noise((width, height), 12).convert("RGB")
    image = Image.blend(image.filter(ImageFilter.GaussianBlur(3)), noise, 0.08)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def phone_choice(srcset: str, sizes: str) -> str:
    """The candidate a browser takes on the phone: the smallest at least as wide as the slot (the last
    `sizes` entry, in vw: no min-width query matches 360 px) times the device pixel ratio."""
    last = re.fullmatch(r"([0-9.]+)vw", sizes.split(",")[-1].strip())
    if last is None:
        raise ValueError(f"unexpected sizes {sizes!r}")
    needed = float(last.group(1)) * PHONE_CSS_WIDTH / 100 * PHONE_DPR
    candidates = sorted((int(w[:-1]), url) for url, w in (c.strip().split() for c in srcset.split(",")))
    return next((url for w, url in candidates if w >= needed), candidates[-1][1])


async def event_with_banner(node: Node) -> tuple[str, str]:
    """An event of the association with an uploaded banner: (its page address, the banner's address)."""
    owner = await local_actor(node.settings.association.handle)
    banner = await media_service.store_upload(node, owner, photo(), BANNER_ALT)
    url = media_service.media_url(node, banner)
    values = EventInput(name="Language café", start=datetime(2030, 7, 11, 19, 0), end=datetime(2030, 7, 11, 22, 0),
                        timezone="Europe/Paris", language="en", banner_url=url, banner_alt=BANNER_ALT,
                        places=(Place(name="Library", locality="Paris", latitude=48.85, longitude=2.35),))
    assert owner is not None
    [event] = await create_event(node, owner, values)
    return event.url or event.uri, url


@dataclass
class Weight:
    html: int
    css: int
    banner: int
    banner_name: str
    largest: int  # the banner's largest size, which every phone got before the srcset
    srcset: str

    @property
    def total(self) -> int:
        return self.html + self.css + self.banner


async def event_page_weight(http: httpx2.AsyncClient, base_url: str, page_url: str, banner_url: str) -> Weight:
    """Fetch the page, its stylesheet and the banner size a phone takes; the bytes each took on the wire."""
    page = await http.get(page_url.removeprefix(base_url), headers={"Accept": "text/html", **GZIP})
    if page.status_code != 200:
        raise AssertionError(f"the event page answered {page.status_code}")
    tag = re.search(r'<img class="banner"[^>]*>', page.text)
    srcset = re.search(r'srcset="([^"]+)"', tag.group(0)) if tag else None
    sizes = re.search(r'sizes="([^"]+)"', tag.group(0)) if tag else None
    css_path = re.search(r'href="(/static/agora\.css[^"]*)"', page.text)
    if srcset is None or sizes is None or css_path is None:
        raise AssertionError("the page has no banner with a srcset, or no stylesheet")
    css = await http.get(css_path.group(1), headers=GZIP)
    chosen = phone_choice(srcset.group(1), sizes.group(1))
    picture = await http.get(chosen.removeprefix(base_url))
    whole = await http.get(banner_url.removeprefix(base_url))
    for response in (css, picture, whole):
        if response.status_code != 200:
            raise AssertionError(f"GET {response.url}: HTTP {response.status_code}")
    return Weight(page.num_bytes_downloaded, css.num_bytes_downloaded, picture.num_bytes_downloaded,
                  chosen.rsplit("/", 1)[1], whole.num_bytes_downloaded, srcset.group(1))
