"""An event page with its banner, on a phone, weighs under 50 KB (tests/bench/pageweight.py says how
it is weighed; `make bench` reports the same figure)."""

from __future__ import annotations

from node.web.pictures import picture_srcset
from tests.bench.pageweight import WEIGHT_LIMIT, event_page_weight, event_with_banner
from tests.conftest import Federation, client_for


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
        page_url, banner_url = await event_with_banner(a)
    assert banner_url.endswith("-1600.jpg")
    async with client_for(a) as http:
        weight = await event_page_weight(http, a.settings.base_url, page_url, banner_url)
    print(f"\nevent page on a phone: {weight.total} bytes (HTML {weight.html}, CSS {weight.css}, banner "
          f"{weight.banner} of {weight.banner_name}; the 1,600 px banner alone is {weight.largest})")
    assert weight.srcset == picture_srcset(a.settings.base_url, banner_url)
    assert weight.banner_name.endswith("-640.jpg")  # 94vw of 360 px: the 640 px size
    assert weight.largest > WEIGHT_LIMIT  # the largest size alone would be over the limit
    assert weight.total < WEIGHT_LIMIT
