"""Checks the feature browser tests (forum, guides, opportunities) run over their list of pages, each
page given as (name, who, path) with `who` a session name or None for a visitor: axe in a language, and
no sideways scroll at phone width with a phone screenshot of the chosen pages."""

from __future__ import annotations

from typing import Any, Callable, Collection

from playwright.sync_api import BrowserContext, Page

from tests.browser.conftest import SharedPage, make_context, screenshot
from tests.browser.test_browser_a11y import FAILING_IMPACTS, describe, run_axe
from tests.browser.test_layout import OVERFLOW

PHONE = {"width": 360, "height": 740}
PageList = list[tuple[str, str | None, str]]


def axe_failures(shared_page: SharedPage, pages: PageList, language: str) -> list[str]:
    """The serious or critical axe violations of each page (which must answer 200 with the language's
    direction), one entry per failing page."""
    found = []
    for name, who, path in pages:
        page = shared_page(as_user=who, language=language, bypass_csp=True)
        response = page.goto(path)
        assert response is not None and response.status == 200, f"{name}: {path} answered {response.status if response else None}"
        assert page.evaluate("document.documentElement.dir") == ("rtl" if language == "ar" else "ltr")
        failing = [v for v in run_axe(page) if v["impact"] in FAILING_IMPACTS]
        if failing:
            found.append(f"{name} ({language}, {path}):\n{describe(failing)}")
    return found


def wider_than_a_phone(browser: Any, agora: Any, sessions: dict[str, dict[str, Any]], pages: PageList,
                       language: str, *, shot_prefix: str, shots: Collection[str] | None = None,
                       arabic: Callable[[Page], None] | None = None) -> list[str]:
    """The pages that scroll sideways at phone width in `language` (each must be served in it). Pages
    named in `shots` (all when None) get a screenshot `<shot_prefix>-<name>-<language>-phone`; in
    Arabic, `arabic` then runs its own checks on the visitor's page."""
    wide = []
    contexts: dict[str | None, BrowserContext] = {}
    try:
        for name, who, path in pages:
            if who not in contexts:
                contexts[who] = make_context(browser, agora.base_url, sessions[who] if who else None, viewport=PHONE)
                contexts[who].add_cookies([{"name": "lang", "value": language, "url": agora.base_url}])
            page = contexts[who].pages[0] if contexts[who].pages else contexts[who].new_page()
            page.goto(path)
            seen = page.evaluate(OVERFLOW)
            assert seen["lang"] == language, f"{path} is not in {language}"
            if seen["scroll"] > seen["width"]:
                wide.append(f"{name} ({language}): {seen['scroll']} px wide (widest: {seen['widest']})")
            if shots is None or name in shots:
                screenshot(page, f"{shot_prefix}-{name}-{language}-phone")
        if language == "ar" and arabic is not None:
            arabic(contexts[None].pages[0])
    finally:
        for context in contexts.values():
            context.close()
    return wide
