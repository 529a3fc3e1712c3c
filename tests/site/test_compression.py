"""Pages and feeds go gzip-compressed to clients that take it; images and small answers do not."""

from __future__ import annotations

import gzip

from tests.conftest import Federation, client_for


async def test_pages_are_compressed_for_clients_that_take_gzip(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with client_for(a) as http:
        plain = await http.get("/", headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200 and "content-encoding" not in plain.headers
        assert "Accept-Encoding" in plain.headers.get("vary", "")  # a shared cache keeps both apart
        packed = await http.get("/", headers={"Accept-Encoding": "gzip"})
        assert packed.headers["content-encoding"] == "gzip"
        assert packed.num_bytes_downloaded < len(plain.content) / 2
        assert packed.text.count("<html") == plain.text.count("<html") == 1
        css = await http.get("/static/agora.css", headers={"Accept-Encoding": "gzip"})
        assert css.headers["content-encoding"] == "gzip" and len(gzip.compress(css.content)) >= css.num_bytes_downloaded - 64
        small = await http.get("/.well-known/webfinger", headers={"Accept-Encoding": "gzip"})
        assert small.status_code == 400 and "content-encoding" not in small.headers  # under 500 bytes


async def test_static_files_by_their_hashed_address_are_cached_a_year(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with client_for(a) as http:
        page = (await http.get("/login")).text
        start = page.index("/static/agora.css?v=")
        address = page[start:page.index('"', start)]
        hashed = await http.get(address)
        assert hashed.status_code == 200 and hashed.headers["cache-control"] == "public, max-age=31536000, immutable"
        bare = await http.get("/static/agora.css")
        assert bare.content == hashed.content and bare.headers["cache-control"] == "public, max-age=300"
        old = await http.get("/static/agora.css?v=000000000000")
        assert old.headers["cache-control"] == "public, max-age=300"  # an old page's address: revalidated
