"""Error pages: an unknown path and an unexpected error get the site's own page (its layout, the
reader's language, a way back home) with the right status; a machine asking for AS2 gets a short text;
with the database down the 500 page still renders, from settings only."""

from __future__ import annotations

import httpx2
import pytest
from starlette.requests import Request
from starlette.responses import Response

from node.app import create_app
from node.core.db import activate
from node.core.runtime import Node
from node.web import pages
from tests.conftest import client_for

AS2 = "application/activity+json"


async def boom(request: Request) -> Response:
    raise RuntimeError("a bug in a page")


def raising_client(node: Node) -> httpx2.AsyncClient:
    """The node's app with one more route that raises, and the errors answered as a server does."""
    app = create_app(node.settings, node=node)
    app.add_route("/boom", boom)
    transport = httpx2.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx2.AsyncClient(transport=transport, base_url=node.settings.base_url)


def site_layout(html: str) -> None:
    assert '<header class="site">' in html and 'href="/static/agora.css' in html  # hashed or not
    assert '<a href="/">' in html  # the way back home


async def test_unknown_path_is_the_sites_404_page(node: Node) -> None:
    async with client_for(node) as http:
        response = await http.get("/no/such/page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    site_layout(response.text)
    assert "Page not found" in response.text and 'href="/events"' in response.text


async def test_404_page_speaks_the_readers_language(node: Node) -> None:
    async with client_for(node, cookies={"lang": "fr"}) as http:
        response = await http.get("/nowhere", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert '<html lang="fr"' in response.text
    assert "Page introuvable" in response.text and "Retour à la page d" in response.text


async def test_as2_client_gets_a_short_non_html_404(node: Node) -> None:
    async with client_for(node) as http:
        response = await http.get("/users/nobody-here/nothing", headers={"Accept": AS2})
    assert response.status_code == 404
    assert not response.headers["content-type"].startswith("text/html")
    assert len(response.content) < 100 and b"<" not in response.content


async def test_500_page_is_the_sites_page_translated(node: Node) -> None:
    async with raising_client(node) as http:
        response = await http.get("/boom", headers={"Accept": "text/html", "Accept-Language": "es"})
    assert response.status_code == 500
    site_layout(response.text)
    assert 'href="/events"' in response.text  # the full header: the page was rendered with the database
    assert '<html lang="es"' in response.text and "Algo salió mal" in response.text
    assert "a bug in a page" not in response.text


async def test_500_page_renders_with_the_database_down(node: Node) -> None:
    with activate(node.ctx):
        await node.ctx.close_connections()  # from here every query fails
    async with raising_client(node) as http:
        http.cookies.set("lang", "ar")
        home = await http.get("/", headers={"Accept": "text/html"})
        failing = await http.get("/boom", headers={"Accept": "text/html"})
    for answer in (home, failing):
        assert answer.status_code == 500
        site_layout(answer.text)
        assert node.settings.association.name in answer.text
        assert '<html lang="ar" dir="rtl"' in answer.text
    assert "حدث خطأ ما" in failing.text and "حدث خطأ ما" in home.text


async def test_404_page_falls_back_to_the_static_page_when_rendering_fails(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    async def unreachable(node: Node) -> None:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(pages, "association_actor", unreachable)
    async with client_for(node, cookies={"lang": "es"}) as http:
        response = await http.get("/nowhere", headers={"Accept": "text/html"})
    assert response.status_code == 404
    site_layout(response.text)
    assert '<html lang="es"' in response.text and "Página no encontrada" in response.text
