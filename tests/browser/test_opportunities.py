"""The opportunity board in real Chromium: the editor posts an opportunity with an Arabic version
through the form (previewed first), a visitor answers it through the answer form without an account,
the poster reads the answer on the answers page (the visitor's address is not there); the board, an
opportunity, the form and the answers page at phone width (360 px) and in Arabic (dir=rtl) never
scroll sideways, and axe finds no serious or critical violation. Screenshots go to
test-artifacts/screenshots/opportunities-*.png."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import EDITOR, ContextFactory, Made, SharedPage, form_error, make_context, screenshot, submit
from tests.browser.page_checks import PHONE, axe_failures, wider_than_a_phone

TITLE = "Kitchen helper wanted in Montreuil"
ARABIC_TITLE = "مطلوب مساعد مطبخ في مونتروي"
VISITOR_EMAIL = "samir.private@example.net"


@pytest.fixture(scope="module")
def opportunity(browser: Any, agora: Any, sessions: dict[str, dict[str, Any]]) -> Made:
    context = make_context(browser, agora.base_url, sessions[EDITOR])
    try:
        page = context.new_page()
        page.goto("/opportunities")
        with page.expect_navigation():
            page.locator('main a[href="/opportunities/new"]').click()
        form = 'form[action="/opportunities/new"]'
        page.locator(f"{form} #title").fill(TITLE)
        page.locator(f"{form} #kind").select_option("job")
        page.locator(f"{form} #place_name").fill("Montreuil")
        page.locator(f"{form} #text").fill("Evenings, **four** days a week. #work")
        page.locator(f"{form} #tr0_language").fill("ar")
        page.locator(f"{form} #tr0_title").fill(ARABIC_TITLE)
        page.locator(f"{form} #tr0_text").fill("أربعة أيام في الأسبوع، مساءً.")
        submit(page, form, "Preview")
        assert page.locator(".preview strong", has_text="four").count() == 1, f"no preview: {form_error(page)}"
        submit(page, form, "Post")
        assert "/opportunities/" in page.url and page.locator("h1").inner_text() == TITLE, form_error(page)
        url = page.url.split("?", 1)[0]
    finally:
        context.close()
    return Made(url=url, title=TITLE)


def test_a_visitor_answers_and_the_poster_reads_it_without_the_address(new_context: ContextFactory,
                                                                          opportunity: Made) -> None:
    visitor = new_context(viewport=PHONE).new_page()
    visitor.goto(opportunity.url)
    visitor.locator("#name").fill("Samir")
    visitor.locator("#email").fill(VISITOR_EMAIL)
    visitor.locator("#message").fill("I worked two years in a canteen.")
    submit(visitor, 'form[action$="/answer"]', "Send")
    assert "sent to the poster" in visitor.inner_text("main"), form_error(visitor)
    poster = new_context(as_user=EDITOR).new_page()
    poster.goto(f"{opportunity.url}/answers")
    text = poster.inner_text("main")
    assert "I worked two years in a canteen." in text and "Samir" in text
    assert VISITOR_EMAIL not in poster.content()
    screenshot(poster, "opportunities-answers")


def _pages(opportunity: Made) -> list[tuple[str, str | None, str]]:
    path = re.sub(r"^https?://[^/]+", "", opportunity.url)
    return [("board", None, "/opportunities"), ("opportunity", None, path), ("network", None, "/opportunities/network"),
            ("form", EDITOR, "/opportunities/new"), ("poster-view", EDITOR, path), ("answers", EDITOR, f"{path}/answers")]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_opportunity_pages_pass_axe(shared_page: SharedPage, opportunity: Made, language: str) -> None:
    found = axe_failures(shared_page, _pages(opportunity), language)
    assert not found, "serious or critical accessibility violations:\n" + "\n".join(found)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_opportunity_pages_fit_a_phone(browser: Any, agora: Any, sessions: dict[str, dict[str, Any]],
                                       opportunity: Made, language: str) -> None:
    def arabic(page: Page) -> None:
        page.goto(re.sub(r"^https?://[^/]+", "", opportunity.url))
        assert page.locator("h1").inner_text() == ARABIC_TITLE

    wide = wider_than_a_phone(browser, agora, sessions, _pages(opportunity), language, shot_prefix="opportunities",
                              arabic=arabic)
    assert not wide, "opportunity pages wider than a phone:\n" + "\n".join(wide)
