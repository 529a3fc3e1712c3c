"""Polls in real Chromium: the editor writes a post with a poll in the web editor (the poll fields of
/compose) and publishes it; the admin, on a phone (360 px) and in Arabic (dir=rtl), opens the post,
votes and sees the counts, then finds their own vote on the poll's page; a visitor sees the counts but no
vote form, and is asked to log in. The compose page, the post with its poll form and the poll's page (a
member who voted, a visitor) pass axe and never scroll sideways at phone width, in English and Arabic.
Screenshots go to test-artifacts/screenshots/polls-*.png."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import ADMIN, EDITOR, AgoraServer, ContextFactory, SharedPage, form_error, make_context, screenshot, submit
from tests.browser.page_checks import PHONE, axe_failures, wider_than_a_phone

TEXT = "When shall we hold the neighbourhood clean-up? #cleanup"
OPTIONS = ("Saturday morning", "الأحد بعد الظهر", "Monday 18:00")  # one in Arabic: isolated in either direction
VOTE_FORM = 'form[action$="/vote"]'
PERCENT = re.compile(r"\((\d+)%\)")  # the number of votes is a translated plural, the percentage is not


def percents(page: Page) -> list[int]:
    return [int(m.group(1)) for text in page.locator("section.poll .poll-count").all_inner_texts()
            for m in [PERCENT.search(text)] if m]


@pytest.fixture(scope="module")
def poll(browser: Any, agora: AgoraServer, sessions: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The editor's post with a poll, made through /compose: its path and its poll's page."""
    context = make_context(browser, agora.base_url, sessions[EDITOR])
    try:
        page = context.new_page()
        page.goto("/compose")
        form = 'form[action="/compose"]'
        page.locator(f"{form} #text").fill(TEXT)
        fields = page.locator(f"{form} fieldset.poll-fields")
        assert fields.locator('input[name="poll_option"]').count() >= len(OPTIONS)
        for number, option in enumerate(OPTIONS, start=1):
            fields.get_by_label(f"Option {number}", exact=True).fill(option)
        fields.locator("#poll-duration").select_option("3d")
        screenshot(page, "polls-compose")
        submit(page, form, "Publish")
        assert "/posts/" in page.url, f"publishing did not lead to the post (at {page.url}): {form_error(page)}"
        post_path = urlsplit(page.url).path
        section = page.locator("article section.poll")
        assert section.count() == 1, page.inner_text("main")[:800]
        assert section.locator(f'{VOTE_FORM} input[type="radio"][name="choice"]').count() == len(OPTIONS)
        assert percents(page) == [0, 0, 0]
        poll_path = section.locator('a[href^="/polls/"]').get_attribute("href")
        assert poll_path and re.fullmatch(r"/polls/\d+", poll_path), poll_path
    finally:
        context.close()
    return {"post": post_path, "poll": poll_path}


def test_a_member_votes_on_a_phone_in_arabic(new_context: ContextFactory, agora: AgoraServer, poll: dict[str, str]) -> None:
    context = new_context(as_user=ADMIN, viewport=PHONE)
    context.add_cookies([{"name": "lang", "value": "ar", "url": agora.base_url}])
    page = context.new_page()
    page.goto(poll["post"])
    assert page.evaluate("document.documentElement.dir") == "rtl"
    form = page.locator(f"section.poll {VOTE_FORM}")
    assert page.evaluate("getComputedStyle(document.querySelector('section.poll')).direction") == "rtl"
    assert form.locator("bdi", has_text=OPTIONS[1]).count() == 1
    screenshot(page, "polls-ballot-ar-phone")
    form.locator('input[name="choice"][value="1"]').check()
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()
    assert urlsplit(page.url).path == poll["post"], form_error(page)
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert percents(page) == [0, 100, 0], page.inner_text("section.poll")
    seen = page.evaluate("({scroll: document.documentElement.scrollWidth, width: window.innerWidth})")
    assert seen["scroll"] <= seen["width"], seen
    screenshot(page, "polls-counted-ar-phone")
    with page.expect_navigation():
        page.locator(f'section.poll a[href="{poll["poll"]}"]').click()
    assert page.locator(VOTE_FORM).count() == 0  # one member, one vote
    assert OPTIONS[1] in page.locator("main p.notice").inner_text()
    assert percents(page) == [0, 100, 0]
    screenshot(page, "polls-mine-ar-phone")


def test_a_visitor_sees_the_counts_and_is_asked_to_log_in(new_context: ContextFactory, poll: dict[str, str]) -> None:
    page = new_context().new_page()
    for path in (poll["post"], poll["poll"]):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        section = page.locator("section.poll")
        assert section.count() == 1 and section.locator("bdi").all_inner_texts() == list(OPTIONS)
        assert len(percents(page)) == len(OPTIONS)  # counts shown
        assert page.locator(VOTE_FORM).count() == 0 and page.locator('input[name="choice"]').count() == 0
    assert page.locator('main a[href="/login"]').count() >= 1, page.inner_text("main")
    screenshot(page, "polls-visitor")


def _pages(poll: dict[str, str]) -> list[tuple[str, str | None, str]]:
    return [("compose", EDITOR, "/compose"), ("post", EDITOR, poll["post"]), ("poll", ADMIN, poll["poll"]),
            ("poll-visitor", None, poll["poll"])]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_poll_pages_pass_axe(shared_page: SharedPage, poll: dict[str, str], language: str) -> None:
    found = axe_failures(shared_page, _pages(poll), language)
    assert not found, "serious or critical accessibility violations:\n" + "\n".join(found)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_poll_pages_fit_a_phone(browser: Any, agora: AgoraServer, sessions: dict[str, dict[str, Any]], poll: dict[str, str],
                                language: str) -> None:
    def arabic(page: Page) -> None:
        page.goto(poll["poll"])
        assert page.evaluate("getComputedStyle(document.querySelector('section.poll')).direction") == "rtl"
        assert page.locator("section.poll bdi", has_text=OPTIONS[0]).count() == 1

    wide = wider_than_a_phone(browser, agora, sessions, _pages(poll), language, shot_prefix="polls",
                              shots={"post", "poll", "poll-visitor"}, arabic=arabic)
    assert not wide, "poll pages wider than a phone:\n" + "\n".join(wide)
