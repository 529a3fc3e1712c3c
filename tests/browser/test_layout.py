"""Every page fits a phone: at 360 px wide, in each interface language, no page scrolls sideways
(wide tables scroll inside their own box, forms and long words wrap)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser

from tests.browser.conftest import ADMIN, AgoraServer, Made, make_context

WIDTH = 360
LANGUAGES = ("en", "fr", "ar", "es")
# What the admin sees (the pages of the app's GET routes that answer HTML), the fixtures' pages added.
ADMIN_PAGES = (
    "/", "/about", "/search?q=dinner", "/@asso", "/tags/cinema", "/nowhere-at-all",
    "/events", "/events/past", "/events?view=month", "/events/network", "/events/network/past", "/events/new",
    "/initiatives", "/initiatives/network", "/initiatives/new",
    "/account", "/notifications", "/compose", "/drafts", "/report",
    "/admin", "/admin/members", "/admin/invitations", "/admin/followers", "/admin/profile", "/admin/settings",
    "/admin/delivery", "/admin/jobs", "/admin/federation", "/admin/relays", "/admin/reports", "/admin/audit",
    "/admin/held",
)
VISITOR_PAGES = ("/login", "/password/forgot", "/events", "/about")
# How far the page reaches past the window, and the widest element doing it (to name it in the failure).
OVERFLOW = """() => {
  const width = window.innerWidth;
  let widest = null, reach = 0;
  const rtl = document.documentElement.dir === 'rtl';
  for (const element of document.body.querySelectorAll('*')) {
    if (element.closest('.skip, .visually-hidden')) continue;
    const box = element.getBoundingClientRect();
    const out = rtl ? -box.left : box.right - width;
    if (out > reach) { reach = out; widest = element; }
  }
  const name = widest ? widest.tagName.toLowerCase() + (widest.className ? '.' + widest.className : '') +
    (widest.id ? '#' + widest.id : '') : '';
  return {scroll: document.documentElement.scrollWidth, width: width, widest: name, lang: document.documentElement.lang};
}"""


def too_wide(browser: Browser, agora: AgoraServer, state: dict[str, Any] | None, language: str,
             paths: list[str]) -> list[str]:
    context = make_context(browser, agora.base_url, state, viewport={"width": WIDTH, "height": 740})
    context.add_cookies([{"name": "lang", "value": language, "url": agora.base_url}])
    found = []
    try:
        page = context.new_page()
        for path in paths:
            page.goto(path)
            seen = page.evaluate(OVERFLOW)
            assert seen["lang"] == language, f"{path} is not in {language}"
            if seen["scroll"] > seen["width"]:
                found.append(f"{language} {path}: {seen['scroll']} px wide (widest: {seen['widest']})")
    finally:
        context.close()
    return found


def test_every_page_fits_a_phone_in_every_language(
    browser: Browser, agora: AgoraServer, sessions: dict[str, dict[str, Any]], event: Made, initiative: Made,
    image_post: Made,
) -> None:
    made = [event.url, f"{event.url}/participants", f"{event.url}/edit", f"{event.url}/comments",
            initiative.url, f"{initiative.url}/edit", image_post.url]
    paths = [*ADMIN_PAGES, *made]
    found = []
    for language in LANGUAGES:
        found += too_wide(browser, agora, sessions[ADMIN], language, paths)
        found += too_wide(browser, agora, None, language, list(VISITOR_PAGES))
    assert not found, "pages wider than a phone:\n" + "\n".join(found)
