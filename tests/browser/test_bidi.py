"""Mixed text in right-to-left pages: an event's address and tags keep their left-to-right order
inside an Arabic page (each user-provided value is isolated from the text around it)."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import Made, SharedPage

# The left edge of the first occurrence of `needle` inside the first element matching `selector`
# whose text contains it (a Range over the characters: what the reader sees, not the DOM order).
LEFT_OF = """([selector, needle]) => {
  for (const element of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.data.indexOf(needle);
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + needle.length);
      return range.getClientRects()[0].left;
    }
  }
  return null;
}"""


def left_of(page: Page, selector: str, needle: str) -> float:
    found = page.evaluate(LEFT_OF, [selector, needle])
    assert found is not None, f"{needle!r} is not shown in {selector} on {page.url}"
    return float(found)


def test_address_and_tags_keep_their_order_in_arabic(shared_page: SharedPage, event: Made) -> None:
    page = shared_page(language="ar")
    page.goto(event.url)
    assert page.evaluate("document.documentElement.dir") == "rtl"
    # "12 rue de la République": the number stays on the left of the street name.
    assert left_of(page, ".place", "12") < left_of(page, ".place", "rue de la")
    # "#cinema": the hash stays on the left of the word.
    assert left_of(page, ".tags", "#") < left_of(page, ".tags", "cinema")
