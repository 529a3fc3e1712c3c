"""The XSS corpus (tests/browser/xss_corpus.txt, issue 6) delivered every way content reaches a page:
as remote Notes replying to a local post (signed to the inbox by a fake remote actor, whose display
name is itself a payload), as the Markdown source of a local editor's post, as an event and an
initiative written through their forms, and reflected in query strings. Each page is loaded in Chromium
WITH THE CSP BYPASSED, so that the sanitizer and the templates alone are proven (the CSP is checked
separately): no dialog opened, the `window.__xss` marker unset, and no script, inline event handler,
`javascript:` URL, frame, object, base or meta refresh left in the DOM. Nothing is lost either: the
harmless text next to each payload is still on the page."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.browser.conftest import (
    ADMIN, EDITOR, HERE, AgoraServer, ContextFactory, FakeRemote, Made, SharedPage, http_get, screenshot, submit, utc_iso,
)

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CORPUS = [
    line for line in (HERE / "xss_corpus.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("# ")
]
HOSTILE_NAME = 'Mallory"><img src=x onerror=window.__xss=1><script>window.__xss=1</script>'

DOM_AUDIT = r"""() => {
  const out = {xss: window.__xss === undefined ? null : String(window.__xss), handlers: [], urls: [],
               elements: [], styles: [], scripts: document.scripts.length};
  const urlAttrs = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'background', 'poster',
                            'lowsrc', 'dynsrc', 'cite', 'codebase', 'to', 'from', 'values', 'by', 'srcset', 'ping']);
  const forbidden = new Set(['script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base',
                             'template', 'noscript', 'xss', 'marquee', 'isindex', 'animate', 'set']);
  const show = el => el.outerHTML.slice(0, 140);
  const walk = root => {
    for (const el of root.querySelectorAll('*')) {
      const inHead = el.closest('head') !== null;
      for (const attr of Array.from(el.attributes)) {
        const name = attr.name.toLowerCase();
        const value = attr.value.replace(/[\u0000-\u0020\u007f-\u00a0]/g, '').toLowerCase();
        if (name.startsWith('on')) out.handlers.push(show(el));
        if (name === 'srcdoc') out.urls.push(show(el));
        if (urlAttrs.has(name) && /^(javascript|vbscript|livescript|data):/.test(value)
            && !(el.localName === 'img' && value.startsWith('data:image/'))) out.urls.push(show(el));
        if (name === 'style' && /(expression|javascript:|vbscript:|behavior|-moz-binding|url\()/.test(value)) out.styles.push(show(el));
      }
      if (forbidden.has(el.localName) || (el.localName === 'style' && !inHead)) out.elements.push(show(el));
      if (el.localName === 'meta' && (el.hasAttribute('http-equiv') || !inHead)) out.elements.push(show(el));
      if (el.localName === 'link' && (!inHead || !/^\/static\//.test(el.getAttribute('href') || '')) && el.rel === 'stylesheet') out.elements.push(show(el));
      if ((el.localName === 'a' || el.localName === 'area') && el.hasAttribute('href')
          && /^(javascript|vbscript|data):$/.test(el.protocol)) out.urls.push(show(el));
      if (el.localName === 'form' && el.action && !/^https?:$/.test(new URL(el.action, location.href).protocol)) out.urls.push(show(el));
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return out;
}"""


def marker(i: int) -> str:
    return f"xss-marker-{i:03d}"


def markdown_corpus() -> str:
    return "\n\n".join(f"{marker(i)}\n\n{payload}" for i, payload in enumerate(CORPUS))


# ------------------------------------------------------------------ delivery


@pytest.fixture(scope="module")
def fake_remote() -> Iterator[FakeRemote]:
    with FakeRemote("mallory", HOSTILE_NAME) as remote:
        yield remote


def compose(context: BrowserContext, text: str, summary: str = "") -> str:
    page = context.new_page()
    page.goto("/compose")
    form = page.locator('form[action="/compose"]')
    form.locator("#text").fill(text)
    if summary:
        form.locator("#summary").fill(summary)
    submit(page, 'form[action="/compose"]', "Publish")
    assert "/posts/" in page.url, f"publishing did not lead to the post (at {page.url}): {page.inner_text('main')[:600]}"
    url = page.url
    page.close()
    return url


@pytest.fixture(scope="module")
def local_post(editor_context: BrowserContext) -> Made:
    """The corpus as the Markdown source of an editor's post, with a payload as its content warning."""
    url = compose(editor_context, markdown_corpus(), summary='"><svg onload=window.__xss=1> CW')
    return Made(url=url, title="corpus post", details={"markers": len(CORPUS)})


@pytest.fixture(scope="module")
def remote_replies(editor_context: BrowserContext, agora: AgoraServer, fake_remote: FakeRemote) -> Made:
    """Each payload as a remote Note replying to a local post, signed to the shared inbox; the fake
    actor also follows the association (its hostile name then shows in the admin's followers list)."""
    parent = compose(editor_context, "What did you think of the festival? Reply from your Fediverse app.")
    actor = fake_remote.actor_uri
    inbox = agora.url("/inbox")
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor}/follows/1", "type": "Follow",
        "actor": actor, "object": agora.actor_uri(agora.handle),
    }
    assert fake_remote.post_to(inbox, follow) in (200, 202)
    for i, payload in enumerate(CORPUS):
        note_id = f"{actor}/notes/{i}"
        note: dict[str, Any] = {
            "id": note_id, "type": "Note", "attributedTo": actor, "inReplyTo": parent,
            "content": f"<p>{marker(i)}</p>{payload}", "published": utc_iso(timedelta(seconds=i - len(CORPUS))),
            "to": [PUBLIC], "cc": [f"{actor}/followers"], "url": note_id,
        }
        if i % 4 == 3:
            note["summary"] = payload  # a content warning is plain text
        if i % 5 == 4:
            note["contentMap"] = {"en": note["content"], "ar": f"<p>{marker(i)}</p>{payload}"}
        if i % 6 == 5:
            note["url"] = "javascript:window.__xss=1"
        create = {
            "@context": "https://www.w3.org/ns/activitystreams", "id": f"{note_id}/activity", "type": "Create",
            "actor": actor, "object": note, "to": note["to"], "cc": note["cc"],
        }
        status = fake_remote.post_to(inbox, create)
        assert status in (200, 202), f"the inbox refused payload {i} with {status}"
    deadline = time.monotonic() + 30
    missing: list[str] = []
    while time.monotonic() < deadline:
        _, body = http_get(parent)
        text = body.decode("utf-8", "replace")
        missing = [marker(i) for i in range(len(CORPUS)) if marker(i) not in text]
        if not missing:
            break
        time.sleep(0.3)
    assert not missing, f"{len(missing)} remote replies never showed on {parent}: {missing[:10]}"
    return Made(url=parent, title="remote replies", details={"markers": len(CORPUS)})


@pytest.fixture(scope="module")
def hostile_event(editor_context: BrowserContext) -> Made:
    page = editor_context.new_page()
    page.goto("/events/new")
    form = page.locator("form.event-form")
    form.locator("#title").fill('Night "><img src=x onerror=window.__xss=1> of <script>window.__xss=1</script>')
    form.locator("#description").fill(markdown_corpus())
    form.locator("#start_date").fill((datetime.now() + timedelta(days=20)).date().isoformat())
    form.locator("#start_time").fill("20:00")
    form.locator("#timezone").select_option("Europe/Paris")
    form.locator("#place_name").fill("<svg onload=window.__xss=1>Hall")
    form.locator("#place_locality").fill('"><script>window.__xss=1</script>')
    submit(page, "form.event-form", "Publish")
    assert "/events/" in page.url and not page.url.endswith("/new"), f"the event was not created: {page.inner_text('main')[:600]}"
    url = page.url
    page.close()
    return Made(url=url, title="hostile event", details={"markers": len(CORPUS)})


@pytest.fixture(scope="module")
def hostile_initiative(editor_context: BrowserContext) -> Made:
    page = editor_context.new_page()
    page.goto("/initiatives/new")
    form = page.locator("form.initiative-form")
    form.locator("#title").fill('School "><img src=x onerror=window.__xss=1>')
    form.locator("#kind").select_option("cultural")
    form.locator("#summary").fill("<script>window.__xss=1</script> summary")
    form.locator("#description").fill(markdown_corpus())
    form.locator("#there_name").fill("<iframe src=javascript:window.__xss=1></iframe>")
    form.locator("#need0_kind").select_option("volunteers")
    form.locator("#need0_title").fill('"><svg onload=window.__xss=1>')
    form.locator("#need0_quantity").fill("3")
    submit(page, "form.initiative-form", "Publish")
    assert "/initiatives/" in page.url and not page.url.endswith("/new"), f"the initiative was not created: {page.inner_text('main')[:600]}"
    url = page.url
    page.close()
    return Made(url=url, title="hostile initiative", details={"markers": len(CORPUS)})


# ------------------------------------------------------------------ checks


def audit(page: Page, url: str, expect_status: tuple[int, ...] = (200,)) -> dict[str, Any]:
    dialogs: list[str] = []
    errors: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_error(exc: Any) -> None:
        errors.append(str(exc))

    page.on("dialog", on_dialog)
    page.on("pageerror", on_error)
    try:
        return _audit(page, url, expect_status, dialogs, errors)
    finally:
        page.remove_listener("dialog", on_dialog)
        page.remove_listener("pageerror", on_error)


def _audit(page: Page, url: str, expect_status: tuple[int, ...], dialogs: list[str], errors: list[str]) -> dict[str, Any]:
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status in expect_status, f"{url} answered {response.status if response else None}"
    page.wait_for_timeout(200)  # onerror, onfocus, animations and autofocus fire by then (images block "load")
    # Focus and hover every element once, as a visitor tabbing or pointing would.
    page.evaluate("() => { for (const el of document.querySelectorAll('body *')) { try { el.focus(); el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})); } catch (e) {} } }")
    page.wait_for_timeout(50)
    report: dict[str, Any] = page.evaluate(DOM_AUDIT)
    report["dialogs"] = dialogs
    report["errors"] = errors
    problems = {k: v for k, v in report.items() if v and k != "scripts"}
    if report["scripts"]:
        problems["scripts"] = report["scripts"]
    assert not problems, f"{url}: hostile content survived:\n" + "\n".join(f"  {k}: {v}" for k, v in problems.items())
    return report


def assert_nothing_lost(page: Page, count: int) -> None:
    text = page.evaluate("document.body.textContent")
    missing = [marker(i) for i in range(count) if marker(i) not in text]
    assert not missing, f"the text around {len(missing)} payloads was lost: {missing[:10]}"


@pytest.fixture
def hostile_page(shared_page: SharedPage) -> Page:
    return shared_page(bypass_csp=True)


def test_remote_replies_run_no_script(hostile_page: Page, remote_replies: Made) -> None:
    audit(hostile_page, remote_replies.url)
    assert_nothing_lost(hostile_page, len(CORPUS))
    assert "Mallory" in hostile_page.inner_text("main"), "the remote author's name is not shown"
    screenshot(hostile_page, "xss-remote-replies", full_page=False)


def test_local_post_source_runs_no_script(hostile_page: Page, local_post: Made) -> None:
    audit(hostile_page, local_post.url)
    assert_nothing_lost(hostile_page, len(CORPUS))


def test_event_description_runs_no_script(hostile_page: Page, hostile_event: Made) -> None:
    audit(hostile_page, hostile_event.url)
    assert_nothing_lost(hostile_page, len(CORPUS))


def test_initiative_description_runs_no_script(hostile_page: Page, hostile_initiative: Made) -> None:
    audit(hostile_page, hostile_initiative.url)
    assert_nothing_lost(hostile_page, len(CORPUS))


def test_lists_showing_hostile_content_run_no_script(
    shared_page: SharedPage, local_post: Made, remote_replies: Made, hostile_event: Made, hostile_initiative: Made,
) -> None:
    for path in ("/", "/events", "/initiatives", "/search?q=xss-marker", "/tags/harvest", "/feed.rss"):
        page = shared_page(bypass_csp=True)
        if path.endswith(".rss"):
            response = page.goto(path)  # a feed is not HTML: it must not be served as such
            assert response is not None and "html" not in response.headers.get("content-type", ""), path
            continue
        audit(page, path)


def test_member_and_admin_pages_showing_remote_actors_run_no_script(shared_page: SharedPage, remote_replies: Made) -> None:
    for who, path in ((ADMIN, "/admin/followers"), (EDITOR, "/notifications"), (ADMIN, "/admin")):
        audit(shared_page(as_user=who, bypass_csp=True), path)


REFLECTED = [
    ("search", "/search?q={}", (200,)),
    ("remote-follow", "/remote-follow?handle={}", (400,)),
    ("language", "/language?lang={}&next=/", (400,)),
    ("missing-post", "/posts/{}", (404,)),
    ("missing-profile", "/@{}", (404,)),
    ("login-next", "/login?next={}", (200,)),
]


@pytest.mark.parametrize(("name", "template", "statuses"), REFLECTED, ids=[r[0] for r in REFLECTED])
def test_reflected_payloads_run_no_script(hostile_page: Page, agora: AgoraServer, name: str, template: str, statuses: tuple[int, ...]) -> None:
    payload = '"><script>window.__xss=1</script><img src=x onerror=window.__xss=1>'
    audit(hostile_page, template.format(quote(payload, safe="")), statuses)


def test_pages_forbid_scripts_by_csp_too(new_context: ContextFactory, remote_replies: Made) -> None:
    """The second layer: the same page with the CSP enforced, and the header itself."""
    page = new_context().new_page()
    response = page.goto(remote_replies.url)
    assert response is not None
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'none'" in csp and "default-src 'self'" in csp, csp
    assert page.evaluate("window.__xss === undefined")


def test_corpus_is_the_size_the_issue_asks() -> None:
    assert len(CORPUS) >= 40 and len(set(CORPUS)) == len(CORPUS)
    assert Path(HERE / "xss_corpus.txt").read_text(encoding="utf-8").count("onerror") >= 10


def test_the_checks_catch_a_payload_that_survives(new_context: ContextFactory, agora: AgoraServer) -> None:
    """The audit itself is proven: on a page that does carry a live payload, it fails."""
    hostile = (
        "<!doctype html><html lang=en><head><title>t</title></head><body><main><p>xss-marker-000</p>"
        "<img src=x onerror=window.__xss=1><a href='javascript:alert(1)'>x</a></main></body></html>"
    )
    hostile_page = new_context(bypass_csp=True).new_page()
    hostile_page.route(agora.url("/__hostile"), lambda route: route.fulfill(status=200, body=hostile, content_type="text/html"))
    with pytest.raises(AssertionError) as caught:
        audit(hostile_page, "/__hostile")
    message = str(caught.value)
    assert "xss: 1" in message and "onerror" in message and "javascript:alert(1)" in message, message
