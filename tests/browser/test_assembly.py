"""General-assembly votes in real Chromium: the admin makes a secret vote through the console's form and
opens it; the editor, on a phone and in Arabic (dir=rtl), finds it from /votes, casts a ballot, gets a
receipt code once and checks it on the vote's page; a second vote, opened and closed with `agora vote`,
shows its result (turnout, quorum, tally). The vote pages and the console's at phone width (360 px) in
English and Arabic never scroll sideways, and axe finds no serious or critical violation. Screenshots go
to test-artifacts/screenshots/assembly-*.png."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import ADMIN, AGORA, EDITOR, REPO, ContextFactory, SharedPage, form_error, make_context, screenshot
from tests.browser.page_checks import PHONE, axe_failures, wider_than_a_phone

TITLE = "Approve the accounts of 2026"
CLOSED_TITLE = "Choose the new office"


def agora_cli(agora: Any, *argv: str) -> list[str]:
    done = subprocess.run([str(AGORA), *argv], cwd=REPO, env={**agora.env, "AGORA_CONFIG": str(agora.config)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def click_submit(page: Page, form: str) -> None:
    """The form's button, found by its form (its label is translated in Arabic)."""
    with page.expect_navigation():
        page.locator(form).locator('button[type="submit"]').first.click()


@pytest.fixture(scope="module")
def votes(browser: Any, agora: Any, sessions: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The open vote made through the console, and a closed one made with the command line."""
    context = make_context(browser, agora.base_url, sessions[ADMIN])
    try:
        page = context.new_page()
        page.goto("/admin/votes")
        form = 'form[action="/admin/votes"].stack'
        page.locator(f"{form} #title").fill(TITLE)
        page.locator(f"{form} #text").fill("The **accounts** were sent to every member.")
        page.locator(f"{form} #quorum").fill("50%")
        closes = (datetime.now(timezone.utc) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
        page.locator(f"{form} #closes_at").fill(closes)
        click_submit(page, form)
        assert re.search(r"/admin/votes/\d+$", page.url), form_error(page)
        vote_path = page.url.split("/admin", 1)[1]
        click_submit(page, 'form:has(input[name="action"][value="open"])')
        assert "The vote is open." in page.inner_text("main"), form_error(page)
        assert "vote.open" in page.inner_text("main")
        screenshot(page, "assembly-admin-vote")
    finally:
        context.close()
    [line] = agora_cli(agora, "vote", "open", "--title", CLOSED_TITLE, "--option", "Rue des Lilas", "--option", "Place Verte",
                       "--quorum", "1", "--closes", "1d")
    closed_id = line.split("\t")[0]
    agora_cli(agora, "vote", "close", closed_id)
    return {"open": vote_path, "closed": f"/votes/{closed_id}"}


def test_a_member_votes_on_a_phone_in_arabic_and_checks_the_receipt(new_context: ContextFactory,
                                                                        votes: dict[str, str], agora: Any) -> None:
    context = new_context(as_user=EDITOR, viewport=PHONE)
    context.add_cookies([{"name": "lang", "value": "ar", "url": agora.base_url}])
    page = context.new_page()
    page.goto("/votes")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    with page.expect_navigation():
        page.locator(f'main a[href="{votes["open"]}"]').click()
    screenshot(page, "assembly-ballot-ar-phone")
    page.locator('form[action$="/ballot"] input[name="choice"][value="0"]').check()
    click_submit(page, 'form[action$="/ballot"]')
    code = page.locator("#receipt").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code), page.inner_text("main")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    screenshot(page, "assembly-receipt-ar-phone")
    page.goto(votes["open"])
    assert page.locator('form[action$="/ballot"]').count() == 0  # one member, one vote
    page.locator("#code").fill(code)
    click_submit(page, 'form[action$="/receipt"]')
    assert page.locator('p.notice[role="status"]').count() == 1, form_error(page)
    seen = page.evaluate("({scroll: document.documentElement.scrollWidth, width: window.innerWidth})")
    assert seen["scroll"] <= seen["width"], seen
    screenshot(page, "assembly-receipt-checked-ar-phone")


def test_a_visitor_gets_the_not_found_page(new_context: ContextFactory, votes: dict[str, str]) -> None:
    page = new_context().new_page()
    response = page.goto(votes["closed"])
    assert response is not None and response.status == 404
    assert CLOSED_TITLE not in page.content()


def _pages(votes: dict[str, str]) -> list[tuple[str, str | None, str]]:
    return [("index", EDITOR, "/votes"), ("vote", EDITOR, votes["open"]), ("result", EDITOR, votes["closed"]),
            ("admin", ADMIN, "/admin/votes"), ("admin-vote", ADMIN, "/admin" + votes["open"])]


def test_the_result_shows_turnout_quorum_and_tally(shared_page: SharedPage, votes: dict[str, str]) -> None:
    page = shared_page(as_user=EDITOR)
    page.goto(votes["closed"])
    text = page.inner_text("main")
    assert "Turnout" in text and "0.0 %" in text and "Quorum not reached" in text
    assert "Rue des Lilas" in text and "Place Verte" in text


@pytest.mark.parametrize("language", ["en", "ar"])
def test_vote_pages_pass_axe(shared_page: SharedPage, votes: dict[str, str], language: str) -> None:
    found = axe_failures(shared_page, _pages(votes), language)
    assert not found, "serious or critical accessibility violations:\n" + "\n".join(found)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_vote_pages_fit_a_phone(browser: Any, agora: Any, sessions: dict[str, dict[str, Any]], votes: dict[str, str],
                                language: str) -> None:
    wide = wider_than_a_phone(browser, agora, sessions, _pages(votes), language, shot_prefix="assembly",
                              shots={"vote", "result", "admin"})
    assert not wide, "vote pages wider than a phone:\n" + "\n".join(wide)
