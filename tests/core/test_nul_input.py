"""NUL characters: PostgreSQL can neither store nor compare text holding one, so every way in refuses
them with a 400 instead of failing deep in a query (a 500 on PostgreSQL, found by the PostgreSQL lane)."""

from __future__ import annotations

from node.core.models import Post, User
from tests.conftest import Federation, client_for
from tests.helpers import csrf_of, logged_in


async def test_nul_in_the_path_or_query_is_refused(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with client_for(a) as http:
        for path in ("/@%00", "/@asso%00x", "/search?q=%00", "/tags/a%00"):
            response = await http.get(path)
            assert response.status_code == 400 and "NUL" in response.text, path
        assert (await http.get("/search?q=ok")).status_code == 200  # the check is not a blanket refusal


async def test_nul_in_a_form_field_is_refused_and_nothing_changes(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/account")
        response = await http.post("/account/language", data={"csrf": token, "locale": "fr\x00"})
        assert response.status_code == 400
        token = await csrf_of(http, "/compose")
        response = await http.post("/compose", data={
            "csrf": token, "text": "bad \x00 text", "language": "en", "visibility": "public"})
        assert response.status_code == 400
    with a.ctx:
        assert not await Post.filter(source__contains="bad").exists()
        assert (await User.get(username="carla")).locale is None
    async with client_for(a) as http:
        token = await csrf_of(http, "/login")
        response = await http.post("/login", data={"csrf": token, "login": "carla\x00", "password": "x"})
        assert response.status_code == 400
