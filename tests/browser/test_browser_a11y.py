"""Accessibility (axe-core from npm, run in Chromium on the main pages: no serious or critical WCAG 2.2
AA violation) and weight (the home page with its CSS under 50 KB)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Response

from tests.browser.conftest import ADMIN, AXE, EDITOR, ContextFactory, Made, SharedPage

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = {"serious", "critical"}
HOME_BUDGET = 50 * 1024

# (name, who, path or the fixture giving the page, interface language)
PAGES: list[tuple[str, str | None, str, str]] = [
    ("home", None, "/", "en"),
    ("post", None, "image_post", "en"),
    ("event", None, "event", "en"),
    ("initiative", None, "initiative", "en"),
    ("calendar", None, "/events", "en"),
    ("initiatives", None, "/initiatives", "en"),
    ("network-events", None, "/events/network", "en"),
    ("network-initiatives", None, "/initiatives/network", "en"),
    ("profile", None, f"/@{EDITOR}", "en"),
    ("about", None, "/about", "en"),
    ("search", None, "/search?q=harvest", "en"),
    ("login", None, "/login", "en"),
    ("compose", EDITOR, "/compose", "en"),
    ("event-form", EDITOR, "/events/new", "en"),
    ("initiative-form", EDITOR, "/initiatives/new", "en"),
    ("account", EDITOR, "/account", "en"),
    ("notifications", EDITOR, "/notifications", "en"),
    ("drafts", EDITOR, "/drafts", "en"),
    ("admin", ADMIN, "/admin", "en"),
    ("admin-members", ADMIN, "/admin/members", "en"),
    ("admin-invitations", ADMIN, "/admin/invitations", "en"),
    ("admin-profile", ADMIN, "/admin/profile", "en"),
    ("admin-settings", ADMIN, "/admin/settings", "en"),
    ("admin-followers", ADMIN, "/admin/followers", "en"),
    ("admin-delivery", ADMIN, "/admin/delivery", "en"),
    ("admin-jobs", ADMIN, "/admin/jobs", "en"),
    ("admin-federation", ADMIN, "/admin/federation", "en"),
    ("admin-relays", ADMIN, "/admin/relays", "en"),
    ("admin-held", ADMIN, "/admin/held", "en"),
    ("admin-reports", ADMIN, "/admin/reports", "en"),
    ("admin-audit", ADMIN, "/admin/audit", "en"),
    ("home-ar", None, "/", "ar"),
    ("event-ar", None, "event", "ar"),
]


def run_axe(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async tags => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                                          summary: (n.failureSummary || '').slice(0, 300)}))}));
        }""",
        AXE_TAGS,
    )
    return list(result)


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"    {node['target']}\n      {node['html']}\n      {node['summary'].replace(chr(10), ' / ')}")
    return "\n".join(lines)


@pytest.mark.parametrize(("name", "who", "where", "language"), PAGES, ids=[p[0] for p in PAGES])
def test_no_serious_accessibility_violation(
    request: pytest.FixtureRequest, shared_page: SharedPage, name: str, who: str | None, where: str, language: str,
) -> None:
    for made in ("image_post", "event", "initiative"):  # the pages are checked with content on them
        request.getfixturevalue(made)
    path = where if where.startswith("/") else urlsplit(request.getfixturevalue(where).url).path
    # Our CSP forbids every script: axe is injected into a context that bypasses it, for this check only.
    page = shared_page(as_user=who, language=language, bypass_csp=True)
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{name}: {path} answered {response.status if response else None}"
    assert page.evaluate("document.documentElement.lang") == language, f"{name}: the page is not in {language}"
    violations = run_axe(page)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    others = [v for v in violations if v["impact"] not in FAILING_IMPACTS]
    if others:
        print(f"\n{name} ({path}): minor or moderate axe findings:\n{describe(others)}")
    assert not failing, f"{name} ({path}): serious or critical accessibility violations:\n{describe(failing)}"


def test_home_page_with_its_css_weighs_under_50_kb(
    new_context: ContextFactory, image_post: Made, event: Made, initiative: Made,
) -> None:
    """Measured on a home page with content (a post with a photo, an event, an initiative): the HTML and
    every stylesheet, script and font as transferred (headers and bodies), images excluded."""
    page = new_context().new_page()
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    page.goto("/", wait_until="load")
    page.wait_for_load_state("networkidle")
    weights: dict[str, int] = {}
    kinds: dict[str, str] = {}
    for response in responses:
        kind = response.request.resource_type
        if kind == "image":
            continue
        response.finished()
        sizes = response.request.sizes()
        weights[response.url] = int(sizes["responseBodySize"]) + int(sizes["responseHeadersSize"])
        kinds[response.url] = kind
    total = sum(weights.values())
    report = json.dumps({url: (kinds[url], size) for url, size in weights.items()}, indent=1)
    print(f"\nhome page weight: {total} bytes\n{report}")
    assert any(kind == "document" for kind in kinds.values())
    assert any(kind == "stylesheet" for kind in kinds.values()), "the home page loads no stylesheet"
    assert not [u for u, k in kinds.items() if k == "font"], "the home page loads web fonts"
    assert not [u for u, k in kinds.items() if k == "script"], "the home page loads scripts"
    assert total < HOME_BUDGET, f"the home page with its CSS weighs {total} bytes, over {HOME_BUDGET}:\n{report}"


PHONE_PAGES = [("home", "/"), ("post", "image_post"), ("event", "event"), ("initiative", "initiative"), ("calendar", "/events")]


def test_main_pages_fit_a_phone_screen(request: pytest.FixtureRequest, new_context: ContextFactory) -> None:
    """Members read on cheap phones: at 360 CSS pixels wide no page scrolls sideways (images and
    long words included). A phone screenshot of each page goes with the others."""
    from tests.browser.conftest import screenshot

    page = new_context(viewport={"width": 360, "height": 740}, device_scale_factor=1).new_page()
    overflowing = []
    for name, where in PHONE_PAGES:
        path = where if where.startswith("/") else urlsplit(request.getfixturevalue(where).url).path
        page.goto(path)
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # lazy images load too
        page.wait_for_load_state("networkidle")
        page.wait_for_function("[...document.images].every(i => i.complete)")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            wide = page.evaluate(
                "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 361)"
                ".slice(0, 5).map(e => e.outerHTML.slice(0, 120))"
            )
            overflowing.append(f"{name} ({path}) is {width} px wide; too wide: {wide}")
        screenshot(page, f"phone-{name}")
    assert not overflowing, "pages scroll sideways on a 360 px phone:\n" + "\n".join(overflowing)
