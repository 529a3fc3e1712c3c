"""What members and visitors do, in real Chromium with real clicks: log in, publish a post with a
photo, create an event and an initiative, switch the interface to Arabic, follow the association from
another server; screenshots of the main pages go to test-artifacts/screenshots/."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page
from playwright.sync_api import Request as PwRequest

from tests.browser.conftest import (
    ADMIN, EDITOR, PASSWORD, REMOTE_MEMBER, AgoraServer, ContextFactory, Made, Servers, log_in, screenshot,
)


def html_attr(page: Page, name: str) -> str:
    return str(page.evaluate(f"document.documentElement.getAttribute({name!r}) || ''"))


def test_login_form_refuses_a_wrong_password_then_logs_in_and_out(page: Page) -> None:
    response = page.goto("/login")
    assert response is not None and response.status == 200
    screenshot(page, "login")
    form = page.locator('form[action="/login"]')
    form.locator("#login").fill(EDITOR)
    form.locator("#password").fill("not the password")
    with page.expect_navigation() as refused:
        form.locator('button[type="submit"]').click()
    assert refused.value is not None and refused.value.status in (400, 401, 403, 429)
    assert page.locator('[role="alert"]').count() >= 1, "a refused login shows no error message"
    assert page.locator('form[action="/logout"]').count() == 0

    log_in(page, EDITOR, PASSWORD)
    logout = page.locator('form[action="/logout"] button')
    assert EDITOR in logout.inner_text()
    assert page.locator('a[href="/compose"]').count() >= 1, "an editor sees the link to write a post"
    with page.expect_navigation():
        logout.click()
    assert page.locator('form[action="/logout"]').count() == 0
    assert page.locator('a[href="/login"]').count() >= 1


def test_post_with_a_photo_shows_the_image_with_its_alt_text(page: Page, image_post: Made) -> None:
    response = page.goto(image_post.url)
    assert response is not None and response.status == 200
    assert "harvest festival was a joy" in page.inner_text("main")
    image = page.locator(f'main img[alt="{image_post.details["alt"]}"]')
    assert image.count() == 1, f"the post page shows no image with the alt text; images: {page.locator('main img').evaluate_all('els => els.map(e => e.outerHTML)')}"
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "alt => { const i = [...document.images].find(i => i.alt === alt); return i && i.complete && i.naturalWidth > 0 }",
        arg=image_post.details["alt"],
    )
    src = image.evaluate("i => i.currentSrc || i.src")
    assert urlsplit(src).path.startswith("/media/"), f"the image is not served by the node: {src}"
    width = image.evaluate("i => i.naturalWidth")
    assert 0 < width <= 1600, f"the image was not resized to the largest kept size: {width} px wide"
    assert image.get_attribute("loading") == "lazy", "post images are lazy-loaded (issue 5)"
    screenshot(page, "post")


def test_event_created_through_the_form_has_its_page_and_is_in_the_calendar(page: Page, event: Made) -> None:
    response = page.goto(event.url)
    assert response is not None and response.status == 200
    assert page.locator("h1").first.inner_text().strip() == event.title
    main = page.inner_text("main")
    assert event.details["place"] in main and event.details["locality"] in main
    when = page.locator("main time[datetime]").first.get_attribute("datetime")
    assert when is not None
    shown = datetime.fromisoformat(when)
    expected: datetime = event.details["start"]
    assert shown.astimezone(timezone.utc) == expected.astimezone(timezone.utc), f"{when} is not 18:30 Paris time"
    screenshot(page, "event")

    page.goto("/events")
    link = page.locator(f'main a[href="{urlsplit(event.url).path}"]')
    assert link.count() >= 1, "the calendar does not link to the new event"
    screenshot(page, "calendar")


def test_initiative_created_through_the_form_has_its_page_and_is_listed(page: Page, initiative: Made) -> None:
    response = page.goto(initiative.url)
    assert response is not None and response.status == 200
    assert page.locator("h1").first.inner_text().strip() == initiative.title
    main = page.inner_text("main")
    assert initiative.details["need"] in main and initiative.details["place"] in main
    assert "4,500" in main or "4500" in main or "4 500" in main, "the money goal is not shown"
    screenshot(page, "initiative")

    page.goto("/initiatives")
    assert page.locator(f'main a[href="{urlsplit(initiative.url).path}"]').count() >= 1, (
        "the initiatives list does not link to the new initiative"
    )
    screenshot(page, "initiatives")


def test_home_page_shows_the_latest_post_event_and_initiative(page: Page, image_post: Made, event: Made, initiative: Made) -> None:
    response = page.goto("/")
    assert response is not None and response.status == 200
    for made in (image_post, event, initiative):
        path = urlsplit(made.url).path
        assert page.locator(f'main a[href="{path}"], main a[href="{made.url}"]').count() >= 1, f"the home page does not link to {path}"
    assert page.locator('main input[name="handle"]').count() == 1, "the home page has no remote-follow box"
    screenshot(page, "home")


def test_language_switcher_turns_the_interface_to_arabic_and_back(page: Page) -> None:
    page.goto("/events")
    assert html_attr(page, "lang").startswith("en") and html_attr(page, "dir") == "ltr"
    arabic = page.locator('a[hreflang="ar"]')
    assert arabic.count() >= 1, "no language switcher link to Arabic on the page"
    with page.expect_navigation():
        arabic.first.click()
    assert urlsplit(page.url).path == "/events", f"the switcher did not bring the visitor back: {page.url}"
    assert html_attr(page, "lang") == "ar"
    assert html_attr(page, "dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"

    page.goto("/")  # the choice is kept for the next pages
    assert html_attr(page, "lang") == "ar" and html_attr(page, "dir") == "rtl"
    screenshot(page, "home-ar")

    english = page.locator('a[hreflang="en"]')
    with page.expect_navigation():
        english.first.click()
    assert html_attr(page, "lang").startswith("en") and html_attr(page, "dir") == "ltr"


def test_remote_follow_sends_the_visitor_to_their_own_servers_interaction_page(page: Page, servers: Servers) -> None:
    local, remote = servers.local, servers.remote
    association = local.actor_uri(local.handle)
    page.goto("/")
    box = page.locator('main form:has(input[name="handle"])')
    box.locator('input[name="handle"]').fill(f"@{REMOTE_MEMBER}@{remote.host}")
    with page.expect_navigation(url=lambda url: url.startswith(remote.base_url)) as navigation:
        box.locator('button[type="submit"]').click()
    final = navigation.value
    assert final is not None
    chain: list[str] = []
    hop: PwRequest | None = final.request
    while hop is not None:
        chain.insert(0, hop.url)
        hop = hop.redirected_from
    assert urlsplit(chain[0]).netloc == local.host and urlsplit(chain[0]).path == "/remote-follow", chain
    interaction = [u for u in chain if urlsplit(u).netloc == remote.host and urlsplit(u).path == "/authorize_interaction"]
    assert interaction, f"the browser never reached {remote.host}/authorize_interaction: {chain}"
    assert parse_qs(urlsplit(interaction[0]).query).get("uri") == [association], (interaction[0], association)
    # Node B asks its member to log in before following: the page shown is B's login form.
    assert urlsplit(page.url).netloc == remote.host
    assert page.locator('form[action^="/login"]').count() == 1, f"node B shows {page.url}, not its login form"
    screenshot(page, "remote-follow-landing")


def test_admin_dashboard_links_the_console(new_context: ContextFactory, agora: AgoraServer) -> None:
    page = new_context(as_user=ADMIN).new_page()
    response = page.goto("/admin")
    assert response is not None and response.status == 200, f"/admin answered {response.status if response else None}"
    for path in ("/admin/members", "/admin/invitations", "/admin/settings", "/admin/followers", "/admin/delivery", "/admin/jobs"):
        assert page.locator(f'main a[href="{path}"]').count() >= 1, f"the dashboard does not link to {path}"
    screenshot(page, "admin")

    member_page = new_context(as_user=EDITOR).new_page()
    refused = member_page.goto("/admin")
    assert refused is not None and (refused.status == 403 or "/login" in member_page.url), "an editor reached /admin"


def test_the_servers_logs_carry_no_traceback(servers: Servers, image_post: Made, event: Made, initiative: Made) -> None:
    """After the flows above, `agora serve`'s own output (test-artifacts/browser-logs/) is clean: no
    traceback, and no record that a logging handler failed to format (each would hide a request)."""
    for server in (servers.local, servers.remote):
        text = server.log_path.read_text(errors="replace")
        problems = [line for line in text.splitlines() if "Traceback" in line or "--- Logging error ---" in line]
        if problems:
            first = text.index(problems[0].strip())
            raise AssertionError(
                f"{len(problems)} tracebacks or logging errors in {server.log_path}; the first:\n{text[first:first + 2500]}"
            )
