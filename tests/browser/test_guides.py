"""Guides in real Chromium: the editor writes a guide with an Arabic version through the form (preview,
publish) and revises it; the guides index, a topic, a topic in full, a guide, its form, history and diff,
the network list, the review list and the console at phone width (360 px) and in Arabic (dir=rtl) never
scroll sideways, and axe finds no serious or critical violation. Screenshots go to
test-artifacts/screenshots/guides-*.png."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import (
    ADMIN, EDITOR, ContextFactory, Made, SharedPage, form_error, make_context, screenshot, submit,
)
from tests.browser.page_checks import axe_failures, wider_than_a_phone

TITLE = "Renting a flat without a guarantor"
ARABIC_TITLE = "استئجار شقة بدون كفيل"


@pytest.fixture(scope="module")
def guide(browser: Any, agora: Any, sessions: dict[str, dict[str, Any]]) -> Made:
    context = make_context(browser, agora.base_url, sessions[EDITOR])
    try:
        page = context.new_page()
        page.goto("/guides")
        with page.expect_navigation():
            page.locator('main a[href="/guides/new"]').click()
        action = 'form[action="/guides/new"]'
        form = page.locator(action)
        form.locator("#title").fill(TITLE)
        form.locator("#topic").select_option("housing")
        form.locator("#text").fill("Ask for **Visale**, a free guarantee.\n\n- an ID\n- a work contract")
        form.locator("#tr0_language").fill("ar")
        form.locator("#tr0_title").fill(ARABIC_TITLE)
        form.locator("#tr0_text").fill("اطلب **فيزال**، وهو ضمان مجاني.")
        submit(page, action, "Preview")
        assert page.locator(".preview strong", has_text="Visale").count() == 1, f"no preview: {form_error(page)}"
        submit(page, action, "Publish")
        assert "/guides/" in page.url and page.locator("h1").inner_text() == TITLE, form_error(page)
        url = page.url
        with page.expect_navigation():
            page.locator('main a[href$="/edit"]').click()
        page.locator("#text").fill("Ask for **Visale**, a free guarantee.\n\n- an ID\n- a work contract\n- a payslip")
        page.locator("#note").fill("payslip")
        submit(page, "main form.stack", "Save changes")
        assert "payslip" in page.inner_text("main"), form_error(page)
    finally:
        context.close()
    return Made(url=url, title=TITLE)


def _pages(guide: Made) -> list[tuple[str, str | None, str]]:
    path = re.sub(r"^https?://[^/]+", "", guide.url)
    return [("index", None, "/guides"), ("topic", None, "/guides/topics/housing"),
            ("topic-all", None, "/guides/topics/housing/all"), ("guide", None, path),
            ("guide-editor", EDITOR, path), ("edit", EDITOR, f"{path}/edit"), ("history", None, f"{path}/history"),
            ("network", None, "/guides/network"), ("review", EDITOR, "/guides/review"),
            ("admin", ADMIN, "/admin/guides")]


def test_history_compares_the_two_revisions(new_context: ContextFactory, guide: Made) -> None:
    page = new_context().new_page()
    page.goto(guide.url + "/history")
    with page.expect_navigation():
        page.locator("main form button", has_text="Compare").click()
    assert page.locator("table.guide-diff ins", has_text="a payslip").count() == 1
    screenshot(page, "guides-diff")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_guide_pages_pass_axe(shared_page: SharedPage, guide: Made, language: str) -> None:
    found = axe_failures(shared_page, _pages(guide), language)
    assert not found, "serious or critical accessibility violations:\n" + "\n".join(found)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_guide_pages_fit_a_phone(browser: Any, agora: Any, sessions: dict[str, dict[str, Any]], guide: Made,
                                 language: str) -> None:
    def arabic(page: Page) -> None:
        page.goto(re.sub(r"^https?://[^/]+", "", guide.url))
        assert page.locator("h1").inner_text() == ARABIC_TITLE
        assert page.locator("article.guide").get_attribute("dir") == "rtl" or \
            page.evaluate("document.documentElement.dir") == "rtl"

    wide = wider_than_a_phone(browser, agora, sessions, _pages(guide), language, shot_prefix="guides",
                              shots=("index", "guide", "edit", "topic-all"), arabic=arabic)
    assert not wide, "guide pages wider than a phone:\n" + "\n".join(wide)


def test_print_stylesheet_hides_the_menus(new_context: ContextFactory, guide: Made) -> None:
    page = new_context().new_page()
    page.goto("/guides/topics/housing/all")
    page.emulate_media(media="print")
    assert page.locator("header.site").is_hidden() and page.locator("article.guide-full").is_visible()
