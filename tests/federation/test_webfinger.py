"""Tests for federation.webfinger."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree

import httpx2
import pytest

from federation.client import FederationClient, FetchError
from federation.webfinger import (
    build_jrd,
    host_meta_json,
    host_meta_xrd,
    lookup,
    parse_resource,
    resolve_handle,
    split_handle,
    subscribe_template,
)

BASE = "https://agora.example"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@alice@remote.example", ("alice", "remote.example")),
        ("alice@remote.example", ("alice", "remote.example")),
        ("acct:alice@remote.example", ("alice", "remote.example")),
        ("ACCT:alice@Remote.Example", ("alice", "remote.example")),
        ("  @Alice_1@remote.example  ", ("Alice_1", "remote.example")),
        ("alice@127.0.0.1:8000", ("alice", "127.0.0.1:8000")),
        ("@bob@localhost:3000", ("bob", "localhost:3000")),
        ("first.last@sub.remote.example", ("first.last", "sub.remote.example")),
        ("alice@[::1]:8000", ("alice", "[::1]:8000")),
        ("alice", None),
        ("@alice", None),
        ("alice@", None),
        ("@alice@", None),
        ("@@remote.example", None),
        ("alice@remote.example@other", None),
        ("alice@remote.example/path", None),
        ("https://remote.example/@alice", None),
        ("al ice@remote.example", None),
        ("alice@remote.example:0", None),
        ("alice@remote.example:99999", None),
        ("alice@-bad.example", None),
        ("", None),
    ],
)
def test_split_handle(text: str, expected: tuple[str, str] | None) -> None:
    assert split_handle(text) == expected


@pytest.mark.parametrize(
    ("resource", "host", "base", "expected"),
    [
        ("acct:alice@agora.example", "agora.example", BASE, "alice"),
        ("acct:alice@AGORA.example", "agora.example", BASE, "alice"),
        ("alice@agora.example", "agora.example", BASE, "alice"),
        ("acct:alice@other.example", "agora.example", BASE, None),
        ("acct:alice@127.0.0.1:8000", "127.0.0.1:8000", "http://127.0.0.1:8000", "alice"),
        ("acct:alice@127.0.0.1", "127.0.0.1:8000", "http://127.0.0.1:8000", None),
        ("https://agora.example/users/alice", "agora.example", BASE, "alice"),
        ("https://agora.example/@alice", "agora.example", BASE, "alice"),
        ("https://agora.example/users/alice/outbox", "agora.example", BASE, None),
        ("https://other.example/users/alice", "agora.example", BASE, None),
        ("http://127.0.0.1:8000/users/bob", "127.0.0.1:8000", "http://127.0.0.1:8000/", "bob"),
        ("https://agora.example/users/", "agora.example", BASE, None),
        ("mailto:alice@agora.example", "agora.example", BASE, None),
        ("", "agora.example", BASE, None),
    ],
)
def test_parse_resource(resource: str, host: str, base: str, expected: str | None) -> None:
    assert parse_resource(resource, host=host, base_url=base) == expected


def test_build_jrd() -> None:
    jrd = build_jrd(
        subject="acct:alice@agora.example",
        actor_url=f"{BASE}/users/alice",
        profile_url=f"{BASE}/@alice",
        base_url=BASE,
        aliases=[f"{BASE}/users/alice", "https://old.example/users/alice"],
    )
    assert jrd["subject"] == "acct:alice@agora.example"
    assert jrd["aliases"] == [
        f"{BASE}/users/alice", f"{BASE}/@alice", "https://old.example/users/alice"
    ]
    links = {link["rel"]: link for link in jrd["links"]}
    assert links["self"] == {
        "rel": "self", "type": "application/activity+json", "href": f"{BASE}/users/alice"
    }
    assert links["http://webfinger.net/rel/profile-page"] == {
        "rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
        "href": f"{BASE}/@alice",
    }
    assert links["http://ostatus.org/schema/1.0/subscribe"]["template"] == (
        f"{BASE}/authorize_interaction?uri={{uri}}"
    )
    json.dumps(jrd)


def test_host_meta() -> None:
    xrd = host_meta_xrd(BASE)
    root = ElementTree.fromstring(xrd)
    ns = "{http://docs.oasis-open.org/ns/xri/xrd-1.0}"
    assert root.tag == f"{ns}XRD"
    link = root.find(f"{ns}Link")
    assert link is not None
    assert link.get("rel") == "lrdd"
    assert link.get("template") == f"{BASE}/.well-known/webfinger?resource={{uri}}"
    assert host_meta_json(BASE + "/") == {
        "links": [{"rel": "lrdd", "template": f"{BASE}/.well-known/webfinger?resource={{uri}}"}]
    }


# ---------------------------------------------------------------------------
# Resolving through MockTransport
# ---------------------------------------------------------------------------

REMOTE_JRD: dict[str, Any] = {
    "subject": "acct:bob@remote.example",
    "aliases": ["https://remote.example/@bob"],
    "links": [
        {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
         "href": "https://remote.example/@bob"},
        {"rel": "self", "type": "text/html", "href": "https://remote.example/not-this"},
        {"rel": "self", "type": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
         "href": "https://remote.example/users/bob"},
        {"rel": "http://ostatus.org/schema/1.0/subscribe",
         "template": "https://remote.example/authorize_interaction?uri={uri}"},
    ],
}


def client_for(
    respond: Callable[[httpx2.Request], httpx2.Response], seen: list[httpx2.Request]
) -> FederationClient:
    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return respond(request)

    return FederationClient(
        user_agent="Agora-test", allow_private_addresses=True,
        transport=httpx2.MockTransport(handler),
    )


def jrd_response(doc: dict[str, Any]) -> httpx2.Response:
    return httpx2.Response(
        200, content=json.dumps(doc).encode(), headers={"content-type": "application/jrd+json"}
    )


async def test_resolve_handle() -> None:
    seen: list[httpx2.Request] = []

    def respond(request: httpx2.Request) -> httpx2.Response:
        if (
            request.url.path == "/.well-known/webfinger"
            and request.url.params.get("resource") == "acct:bob@remote.example"
        ):
            return jrd_response(REMOTE_JRD)
        return httpx2.Response(404)

    client = client_for(respond, seen)
    assert await resolve_handle(client, "@bob@remote.example") == "https://remote.example/users/bob"
    assert await subscribe_template(client, "bob@remote.example") == (
        "https://remote.example/authorize_interaction?uri={uri}"
    )
    result = await lookup(client, "acct:bob@remote.example")
    await client.aclose()
    assert result.subject == "acct:bob@remote.example"
    assert result.aliases == ("https://remote.example/@bob",)
    assert seen[0].url.scheme == "https"
    assert "jrd+json" in seen[0].headers["accept"]


async def test_resolve_handle_http_with_port() -> None:
    seen: list[httpx2.Request] = []
    doc = {"subject": "acct:bob@127.0.0.1:8001",
           "links": [{"rel": "self", "type": "application/activity+json",
                      "href": "http://127.0.0.1:8001/users/bob"}]}
    client = client_for(lambda r: jrd_response(doc), seen)
    actor = await resolve_handle(client, "bob@127.0.0.1:8001", scheme="http")
    assert actor == "http://127.0.0.1:8001/users/bob"
    assert await subscribe_template(client, "bob@127.0.0.1:8001", scheme="http") is None
    await client.aclose()
    assert str(seen[0].url) == (
        "http://127.0.0.1:8001/.well-known/webfinger?resource=acct:bob@127.0.0.1:8001"
    )


async def test_resolve_handle_falls_back_to_host_meta() -> None:
    seen: list[httpx2.Request] = []
    xrd = host_meta_xrd("https://remote.example/wf-elsewhere").replace(
        "/.well-known/webfinger", ""
    )

    def respond(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/.well-known/host-meta":
            return httpx2.Response(
                200, content=xrd.encode(), headers={"content-type": "application/xrd+xml"}
            )
        if request.url.path == "/wf-elsewhere":
            assert request.url.params.get("resource") == "acct:bob@remote.example"
            return jrd_response(REMOTE_JRD)
        return httpx2.Response(404)

    client = client_for(respond, seen)
    assert await resolve_handle(client, "bob@remote.example") == "https://remote.example/users/bob"
    await client.aclose()
    assert [r.url.path for r in seen] == [
        "/.well-known/webfinger", "/.well-known/host-meta", "/wf-elsewhere"
    ]


async def test_resolve_handle_errors() -> None:
    seen: list[httpx2.Request] = []
    no_self = {"subject": "acct:bob@remote.example", "links": [
        {"rel": "http://webfinger.net/rel/profile-page", "href": "https://remote.example/@bob"}
    ]}

    def respond(request: httpx2.Request) -> httpx2.Response:
        host = request.url.host
        if host == "noself.example":
            return jrd_response(no_self)
        if host == "gone.example":
            return httpx2.Response(410)
        return httpx2.Response(404)

    client = client_for(respond, seen)
    with pytest.raises(FetchError, match="no ActivityPub actor link"):
        await resolve_handle(client, "bob@noself.example")
    with pytest.raises(FetchError) as gone:
        await resolve_handle(client, "bob@gone.example")
    assert gone.value.status == 410
    with pytest.raises(FetchError) as missing:
        await resolve_handle(client, "bob@missing.example")
    assert missing.value.status == 404
    with pytest.raises(FetchError, match="not a handle"):
        await resolve_handle(client, "https://remote.example/@bob")
    await client.aclose()
