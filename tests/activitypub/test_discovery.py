"""WebFinger, host-meta, NodeInfo, actors and content negotiation, as Mastodon asks for them."""

from __future__ import annotations

from tests.conftest import Federation, client_for

AS2 = {"Accept": "application/activity+json"}
LD = {"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}


async def test_webfinger_answers_acct_and_actor_url(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with client_for(a) as http:
        for resource in ("acct:asso@a.test", "http://a.test/users/asso"):
            jrd = (await http.get("/.well-known/webfinger", params={"resource": resource})).json()
            assert jrd["subject"] == "acct:asso@a.test"
            self_link = next(link for link in jrd["links"] if link["rel"] == "self")
            assert self_link == {"rel": "self", "type": "application/activity+json", "href": "http://a.test/users/asso"}
            subscribe = next(link for link in jrd["links"] if link["rel"] == "http://ostatus.org/schema/1.0/subscribe")
            assert subscribe["template"] == "http://a.test/authorize_interaction?uri={uri}"
        assert (await http.get("/.well-known/webfinger", params={"resource": "acct:nobody@a.test"})).status_code == 404
        assert (await http.get("/.well-known/webfinger", params={"resource": "acct:asso@other.test"})).status_code == 404
        assert (await http.get("/.well-known/webfinger")).status_code == 400


async def test_host_meta_and_nodeinfo(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with client_for(a) as http:
        xrd = await http.get("/.well-known/host-meta")
        assert "application/xrd+xml" in xrd.headers["content-type"]
        assert 'template="http://a.test/.well-known/webfinger?resource={uri}"' in xrd.text
        links = (await http.get("/.well-known/nodeinfo")).json()["links"]
        rels = {link["rel"]: link["href"] for link in links}
        assert rels["http://nodeinfo.diaspora.software/ns/schema/2.0"] == "http://a.test/nodeinfo/2.0"
        assert rels["https://www.w3.org/ns/activitystreams#Application"] == "http://a.test/actor"
        doc = await http.get("/nodeinfo/2.0")
        assert doc.headers["content-type"].startswith("application/json; profile=")
        assert doc.json()["software"]["name"] == "agora" and doc.json()["protocols"] == ["activitypub"]


async def test_actor_negotiates_and_never_redirects_as2(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with client_for(a, follow_redirects=False) as http:
        for headers in (AS2, LD):
            response = await http.get("/users/asso", headers=headers)
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("application/activity+json")
            assert "Accept" in response.headers["vary"].split(", ")  # and Accept-Encoding (gzip)
            actor = response.json()
            assert actor["type"] == "Group" and actor["id"] == "http://a.test/users/asso"
            assert actor["publicKey"]["owner"] == actor["id"] and "PRIVATE" not in response.text
            assert actor["endpoints"]["sharedInbox"] == "http://a.test/inbox"
        browser = await http.get("/users/asso", headers={"Accept": "text/html"})
        assert browser.status_code == 302 and browser.headers["location"] == "http://a.test/@asso"
        instance = (await http.get("/actor", headers=AS2)).json()
        assert instance["type"] == "Application"
        outbox = (await http.get("/users/asso/outbox", headers=AS2)).json()
        assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 0
        assert (await http.get("/users/nobody", headers=AS2)).status_code == 404


async def test_inbox_of_an_unknown_actor_is_404(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with client_for(a) as http:
        response = await http.post("/users/nobody/inbox", content=b"{}", headers={"Content-Type": "application/activity+json"})
        assert response.status_code == 404
