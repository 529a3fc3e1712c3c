"""The mailing list in real Chromium: a visitor at phone width subscribes from the home page's box,
follows the confirmation link (a page with a button: the GET changes nothing), changes their
choices on the preferences page; the subscribe, confirm, preferences and unsubscribe pages, a member's
/account/email and the admin's /admin/subscribers pass axe and never scroll sideways at phone width,
in English and in Arabic (dir=rtl). Screenshots go to test-artifacts/screenshots/mailing-*.png.

The confirmation message itself is tested through a real SMTP server in tests/mailing/; here the
token is read from the node's database, as the message would carry it."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from playwright.sync_api import Page

from node.core.settings import load_settings
from tests.browser.conftest import ADMIN, EDITOR, AgoraServer, ContextFactory, SharedPage, form_error, make_context, screenshot, submit
from tests.browser.page_checks import PHONE, axe_failures, wider_than_a_phone

VISITOR = "layla.mail@example.net"


def row_of(agora: AgoraServer, email: str) -> dict[str, Any]:
    url = load_settings(agora.config, env={}).resolved_database_url
    assert url.startswith("sqlite://"), "the browser tests' nodes run on SQLite"
    with sqlite3.connect(url.removeprefix("sqlite://").split("?", 1)[0]) as db:
        db.row_factory = sqlite3.Row
        found = db.execute("SELECT * FROM mail_subscribers WHERE email = ?", (email,)).fetchone()
    assert found is not None, f"no subscriber {email}"
    return dict(found)


@pytest.fixture(scope="module")
def token(browser: Any, agora: AgoraServer) -> str:
    """A visitor subscribes from the home page's box at phone width; their subscriber's token."""
    context = make_context(browser, agora.base_url, viewport=PHONE)
    try:
        return _subscribe(context.new_page(), agora)
    finally:
        context.close()


def _subscribe(page: Page, agora: AgoraServer) -> str:
    page.goto("/")
    box = 'form[action="/mail/subscribe"]'
    page.locator(f"{box} #subscribe-email").fill(VISITOR)
    page.locator(f'{box} input[name="kinds"][value="events"]').check()
    page.locator(f'{box} input[name="frequency"][value="daily"]').check()
    submit(page, box, "Subscribe")
    assert page.locator("h1").inner_text() == "Check your inbox", form_error(page)
    screenshot(page, "mailing-subscribed-phone")
    row = row_of(agora, VISITOR)
    assert row["status"] == "pending" and row["frequency"] == "daily"
    return str(row["token"])


def test_a_visitor_confirms_and_changes_their_choices(new_context: ContextFactory, agora: AgoraServer, token: str) -> None:
    page = new_context(viewport=PHONE).new_page()
    page.goto(f"/mail/confirm/{token}")
    assert row_of(agora, VISITOR)["status"] == "pending", "opening the link confirmed (mail scanners open links)"
    submit(page, f'form[action="/mail/confirm/{token}"]', "Confirm")
    assert f"/mail/preferences/{token}" in page.url and "confirmed" in page.inner_text("main"), form_error(page)
    assert row_of(agora, VISITOR)["status"] == "active"
    form = f'form[action="/mail/preferences/{token}"]'
    page.locator(f'{form} input[name="kinds"][value="posts"]').check()
    page.locator(f'{form} input[name="frequency"][value="weekly"]').check()
    page.locator(f"{form} #pref-language").select_option("ar")
    submit(page, form, "Save")
    assert "saved" in page.inner_text("main"), form_error(page)
    row = row_of(agora, VISITOR)
    assert (row["frequency"], row["language"]) == ("weekly", "ar") and "posts" in row["kinds"]
    screenshot(page, "mailing-preferences-phone")


def _pages(token: str) -> list[tuple[str, str | None, str]]:
    return [("home", None, "/"), ("subscribe", None, "/mail/subscribe"), ("confirm", None, f"/mail/confirm/{token}"),
            ("preferences", None, f"/mail/preferences/{token}"), ("unsubscribe", None, f"/mail/unsubscribe/{token}"),
            ("account-email", EDITOR, "/account/email"), ("admin-subscribers", ADMIN, "/admin/subscribers")]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_mailing_pages_pass_axe(shared_page: SharedPage, token: str, language: str) -> None:
    found = axe_failures(shared_page, _pages(token), language)
    assert not found, "serious or critical accessibility violations:\n" + "\n".join(found)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_mailing_pages_fit_a_phone(browser: Any, agora: AgoraServer, sessions: dict[str, dict[str, Any]], token: str,
                                   language: str) -> None:
    def arabic(page: Page) -> None:
        page.goto(f"/mail/preferences/{token}")
        assert page.evaluate("getComputedStyle(document.querySelector('main form')).direction") == "rtl"
        assert page.locator("main bdi", has_text=VISITOR).count() == 1

    wide = wider_than_a_phone(browser, agora, sessions, _pages(token), language, shot_prefix="mailing",
                              shots={"subscribe", "preferences", "account-email", "admin-subscribers"}, arabic=arabic)
    assert not wide, "mailing pages wider than a phone:\n" + "\n".join(wide)
