"""The forum in real Chromium: the admin makes a category through /admin/forum, a member starts a topic
and replies, quotes, edits and deletes their reply through the thread's forms; the category list, a
category, a thread and the forms at phone width (360 px) and in Arabic (dir=rtl) never scroll sideways,
axe finds no serious or critical violation, and a thread with its CSS weighs under 50 KB.
Screenshots go to test-artifacts/screenshots/forum-*.png."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, Response

from tests.browser.conftest import (
    ADMIN, EDITOR, ContextFactory, Made, SharedPage, form_error, make_context, screenshot, submit,
)
from tests.browser.page_checks import axe_failures, wider_than_a_phone

BUDGET = 50 * 1024
TITLE = "Where to find a room in Montreuil?"
ARABIC_TITLE = "أين أجد غرفة في مونتروي؟"


@pytest.fixture(scope="module")
def category(browser: Any, agora: Any, sessions: dict[str, dict[str, Any]]) -> str:
    """The admin creates the "housing" category (English and Arabic names) through the admin form."""
    context = make_context(browser, agora.base_url, sessions[ADMIN])
    try:
        page = context.new_page()
        page.goto("/admin")
        with page.expect_navigation():
            page.locator('main a[href="/admin/forum"]').click()
        with page.expect_navigation():
            page.locator('a[href="/admin/forum/new"]').click()
        form = page.locator('form[action="/admin/forum/new"]')
        form.locator("#slug").fill("housing")
        form.locator("#name_en").fill("Housing")
        form.locator("#description_en").fill("Rooms, flats, papers for renting: ask and help.")
        if form.locator("#name_ar").count():
            form.locator("#name_ar").fill("السكن")
            form.locator("#description_ar").fill("غرف وشقق وأوراق الإيجار: اسأل وساعد.")
        form.locator("#icon").fill("🏠")
        form.locator("#color").fill("#0b5d3b")
        submit(page, 'form[action="/admin/forum/new"]', "Save")
        assert page.url.endswith("/admin/forum"), f"the category was not created: {form_error(page)}"
        assert "housing" in page.inner_text("main")
    finally:
        context.close()
    return "housing"


@pytest.fixture(scope="module")
def topic(category: str, browser: Any, agora: Any, sessions: dict[str, dict[str, Any]]) -> Made:
    """The editor (a member too) starts a topic with an Arabic version, previewed first, and the admin
    replies twice through the thread's reply form."""
    context = make_context(browser, agora.base_url, sessions[EDITOR])
    try:
        page = context.new_page()
        page.goto(f"/forum/{category}")
        with page.expect_navigation():
            page.locator(f'a[href="/forum/{category}/new"]').click()
        action = f'form[action="/forum/{category}/new"]'
        form = page.locator(action)
        form.locator("#title").fill(TITLE)
        form.locator("#text").fill("I arrive in **March**. Any tips for a first flat? #housing")
        form.locator("#tr0_language").fill("ar")
        form.locator("#tr0_title").fill(ARABIC_TITLE)
        form.locator("#tr0_text").fill("أصل في **مارس**. أي نصائح لأول شقة؟")
        submit(page, action, "Preview")
        assert page.locator(".preview strong", has_text="March").count() == 1, f"no preview: {form_error(page)}"
        submit(page, action, "Publish")
        assert "/topics/" in page.url, f"publishing did not lead to the thread (at {page.url}): {form_error(page)}"
        url = page.url.split("#", 1)[0]
    finally:
        context.close()
    context = make_context(browser, agora.base_url, sessions[ADMIN])
    try:
        page = context.new_page()
        for text in ("Ask the town hall's housing office first.", "The library has a notice board too."):
            page.goto(url)
            page.locator("#reply #text").fill(text)
            submit(page, "#reply form", "Post the reply")
            assert text in page.inner_text("main"), f"the reply is not in the thread: {form_error(page)}"
    finally:
        context.close()
    return Made(url=url, title=TITLE)


def test_member_replies_quotes_edits_and_deletes(new_context: ContextFactory, topic: Made) -> None:
    page = new_context(as_user=EDITOR).new_page()
    page.goto(topic.url)
    assert page.locator("h1").inner_text() == TITLE
    with page.expect_navigation():
        page.locator("#p1 a", has_text="Quote").click()
    quoted = page.locator("#reply #text").input_value()
    assert quoted.splitlines()[1] == "> Ask the town hall's housing office first.", quoted
    page.locator("#reply #text").fill(quoted + "Thank you, I will go on Monday.")
    submit(page, "#reply form", "Post the reply")
    reply = page.locator("article.forum-post", has_text="I will go on Monday")
    assert reply.count() == 1, f"the reply is not shown: {form_error(page)}"
    assert reply.locator("blockquote").count() == 1, "the quote is not a quote"
    anchor = reply.get_attribute("id")
    assert anchor and anchor.startswith("p")
    with page.expect_navigation():
        reply.locator('a[href$="/edit"]').click()
    page.locator("#text").fill("Thank you, I will go on Tuesday.")
    submit(page, "form.compose-form", "Save changes")
    edited = page.locator(f"#{anchor}")
    assert "Tuesday" in edited.inner_text() and "edited" in edited.inner_text(), edited.inner_text()
    screenshot(page, "forum-thread-edited")
    with page.expect_navigation():
        edited.locator('a[href$="/delete"]').click()
    submit(page, "main form", "Delete it")
    gone = page.locator(f"#{anchor}")
    assert "Removed" in gone.inner_text() and "Tuesday" not in gone.inner_text()


def test_visitor_reads_but_cannot_reply(page: Page, topic: Made) -> None:
    page.goto("/forum")
    with page.expect_navigation():
        page.locator('a[href="/forum/housing"]').click()
    assert page.locator("a", has_text=TITLE).count() == 1
    with page.expect_navigation():
        page.locator("a", has_text=TITLE).click()
    assert page.locator("#reply form").count() == 0
    assert page.locator('#reply a[href="/login"]').count() == 1


def _pages(topic: Made) -> list[tuple[str, str | None, str]]:
    path = re.sub(r"^https?://[^/]+", "", topic.url)
    return [("forum", None, "/forum"), ("category", None, "/forum/housing"), ("thread", None, path),
            ("thread-member", EDITOR, path), ("new-topic", EDITOR, "/forum/housing/new"),
            ("reply-form", EDITOR, f"{path}/reply"), ("admin-forum", ADMIN, "/admin/forum"),
            ("admin-category", ADMIN, "/admin/forum/housing/edit")]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_forum_pages_pass_axe(shared_page: SharedPage, topic: Made, language: str) -> None:
    found = axe_failures(shared_page, _pages(topic), language)
    assert not found, "serious or critical accessibility violations:\n" + "\n".join(found)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_forum_pages_fit_a_phone(browser: Any, agora: Any, sessions: dict[str, dict[str, Any]], topic: Made,
                                 language: str) -> None:
    def arabic(page: Page) -> None:
        page.goto(re.sub(r"^https?://[^/]+", "", topic.url))
        title = page.locator("h1").inner_text()
        assert title == ARABIC_TITLE, f"the Arabic reader sees {title!r}"

    wide = wider_than_a_phone(browser, agora, sessions, _pages(topic), language, shot_prefix="forum",
                              shots=("forum", "category", "thread", "new-topic"), arabic=arabic)
    assert not wide, "forum pages wider than a phone:\n" + "\n".join(wide)


def test_thread_with_its_css_weighs_under_50_kb(new_context: ContextFactory, topic: Made) -> None:
    page = new_context().new_page()
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    page.goto(topic.url, wait_until="load")
    page.wait_for_load_state("networkidle")
    total = 0
    kinds = set()
    for response in responses:
        if response.request.resource_type == "image":
            continue
        response.finished()
        sizes = response.request.sizes()
        total += int(sizes["responseBodySize"]) + int(sizes["responseHeadersSize"])
        kinds.add(response.request.resource_type)
    assert "stylesheet" in kinds and "script" not in kinds
    assert total < BUDGET, f"the thread with its CSS weighs {total} bytes"


def test_moderator_removes_a_reply_and_locks_the_topic(new_context: ContextFactory, category: str) -> None:
    """The admin starts a topic, the editor replies, the admin removes the reply with a reason and locks
    the topic through the thread's moderation buttons: the editor then sees "removed" with the reason,
    "locked" and
    no reply form; unlocking gives it back."""
    admin = new_context(as_user=ADMIN).new_page()
    admin.goto(f"/forum/{category}/new")
    form = f'form[action="/forum/{category}/new"]'
    admin.locator(f"{form} #title").fill("House rules of the housing category")
    admin.locator(f"{form} #text").fill("Be kind, no ads, no personal data of others.")
    submit(admin, form, "Publish")
    url = admin.url.split("#", 1)[0]
    member = new_context(as_user=EDITOR).new_page()
    member.goto(url)
    member.locator("#reply #text").fill("Cheap flats here: call 06 00 00 00 00, buy now!")
    submit(member, "#reply form", "Post the reply")
    admin.goto(url)
    with admin.expect_navigation():
        admin.locator('#p1 a[href$="/remove"]').click()
    admin.locator("#reason").fill("Advertising is not allowed here.")
    submit(admin, "main form", "Remove")
    assert "Advertising is not allowed here." in admin.locator("#p1").inner_text()
    admin.goto(url)
    admin.locator("details.moderation summary").click()
    submit(admin, f'form[action$="/lock"]', "Lock")
    screenshot(admin, "forum-thread-moderated")
    member.goto(url)
    assert "buy now" not in member.inner_text("main")
    assert "Removed: Advertising is not allowed here." in member.locator("#p1").inner_text(), "the reason is not shown"
    assert member.locator("#reply form").count() == 0
    assert "locked" in member.locator("#reply").inner_text()
    admin.goto(url)
    admin.locator("details.moderation summary").click()
    submit(admin, f'form[action$="/unlock"]', "Unlock")
    member.goto(url)
    assert member.locator("#reply form").count() == 1
