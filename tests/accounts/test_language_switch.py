"""The language switcher and a member's saved preference: only a POST with the form's CSRF token
changes the account; a GET (a link, perhaps from another site) sets the cookie of that browser only,
or, when the account's saved language would outrank the cookie, shows the switcher's form."""

from __future__ import annotations

from node.core.models import User
from node.core.runtime import Node
from tests.conftest import Federation
from tests.helpers import logged_in, token_in


async def saved(node: Node, name: str) -> str | None:
    with node.ctx:
        return (await User.get(username=name)).locale


async def test_a_get_never_changes_a_members_saved_language(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    async with logged_in(node, "rania") as http:
        with node.ctx:
            await User.filter(username="rania").update(locale="ar")
        asked = await http.get("/language", params={"lang": "fr", "next": "/events"})
        assert asked.status_code == 200 and "no-store" in asked.headers["cache-control"]
        assert 'action="/language"' in asked.text and 'name="lang" value="fr"' in asked.text
        assert 'name="next" value="/events"' in asked.text and "Français" in asked.text
        assert "set-cookie" not in asked.headers
        assert await saved(node, "rania") == "ar"
        forged = await http.post("/language", data={"lang": "fr", "next": "/"})  # no token: another site's form
        assert forged.status_code == 403 and await saved(node, "rania") == "ar"
        confirmed = await http.post("/language", data={"lang": "fr", "next": "/events", "csrf": token_in(asked.text)})
        assert confirmed.status_code == 303 and confirmed.headers["location"] == "/events"
        assert await saved(node, "rania") == "fr"


async def test_a_get_sets_only_the_cookie_for_a_member_without_a_saved_language(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    async with logged_in(node, "samir") as http:
        switched = await http.get("/language", params={"lang": "es", "next": "/"})
        assert switched.status_code == 303 and switched.headers["set-cookie"].startswith("lang=es;")
        assert await saved(node, "samir") is None  # the browser's choice, not the account's
        page = await http.get("/account")
        assert '<html lang="es"' in page.text
