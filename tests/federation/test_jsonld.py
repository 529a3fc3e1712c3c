"""federation.jsonld: pyld with a frozen, offline document loader."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from pyld import jsonld as pyld_jsonld  # type: ignore[import-untyped]

from federation import jsonld
from federation.jsonld import (
    BUNDLED_CONTEXTS,
    JsonLdError,
    canonize,
    compact,
    document_loader,
    expand,
    is_supported_context,
)

AS = "https://www.w3.org/ns/activitystreams#"
SEC = "https://w3id.org/security#"

# One term per bundled context, with the IRI it must expand to.
SAMPLES: dict[str, tuple[dict[str, Any], str, Any]] = {
    "https://www.w3.org/ns/activitystreams": (
        {"type": "Note", "content": "hello"},
        AS + "content",
        [{"@value": "hello"}],
    ),
    "https://w3id.org/security/v1": (
        {"type": "Key", "owner": "https://a.example/u", "publicKeyPem": "PEM"},
        SEC + "owner",
        [{"@id": "https://a.example/u"}],
    ),
    "https://w3id.org/identity/v1": (
        {"type": "Identity", "created": "2024-01-01T00:00:00Z"},
        "http://purl.org/dc/terms/created",
        [{"@type": "http://www.w3.org/2001/XMLSchema#dateTime", "@value": "2024-01-01T00:00:00Z"}],
    ),
    "https://w3id.org/security/data-integrity/v1": (
        {"proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022"}},
        SEC + "proof",
        None,  # a graph container; checked loosely below
    ),
    "https://w3id.org/security/multikey/v1": (
        {"type": "Multikey", "controller": "https://a.example/u", "publicKeyMultibase": "z6Mk"},
        SEC + "controller",
        [{"@id": "https://a.example/u"}],
    ),
}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every outgoing connection attempt fail loudly and record it."""
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args[:2]))
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_bundle_is_exactly_the_listed_contexts() -> None:
    assert set(BUNDLED_CONTEXTS) == set(SAMPLES)


@pytest.mark.parametrize("scheme", ["https", "http"])
@pytest.mark.parametrize("url", sorted(SAMPLES))
def test_each_bundled_context_loads_and_expands(
    no_network: list[str], url: str, scheme: str
) -> None:
    variant = scheme + url.removeprefix("https")
    assert is_supported_context(variant)
    remote = document_loader(variant)
    assert remote["documentUrl"] == variant
    assert remote["contextUrl"] is None
    assert "@context" in remote["document"]

    body, iri, expected = SAMPLES[url]
    doc = {"@context": variant, "id": "https://a.example/thing", **body}
    expanded = expand(doc)
    assert len(expanded) == 1
    node = expanded[0]
    assert node["@id"] == "https://a.example/thing"
    assert iri in node
    if expected is not None:
        assert node[iri] == expected
    assert canonize(doc)  # produces N-Quads
    assert no_network == []


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.w3.org/ns/activitystreams#",
        "https://www.w3.org/ns/activitystreams.jsonld",
        "http://www.w3.org/ns/activitystreams.jsonld",
        "HTTPS://W3ID.ORG/security/v1",
    ],
)
def test_tolerated_url_variants(variant: str) -> None:
    assert is_supported_context(variant)
    assert document_loader(variant)["document"] == document_loader(
        "https://www.w3.org/ns/activitystreams"
        if "activitystreams" in variant
        else "https://w3id.org/security/v1"
    )["document"]


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/ctx",
        "https://w3id.org/security/v2",
        "https://w3id.org/security/v1?x=1",
        "https://w3id.org/security/v1#frag",
        "https://w3id.org/security/v1/",
        "ftp://w3id.org/security/v1",
        "w3id.org/security/v1",
        "",
    ],
)
def test_unbundled_urls_are_refused(url: str) -> None:
    assert not is_supported_context(url)
    with pytest.raises(JsonLdError):
        document_loader(url)


def test_unbundled_context_raises_without_touching_the_network(no_network: list[str]) -> None:
    doc = {"@context": "https://example.com/ctx", "id": "https://a.example/1", "name": "x"}
    with pytest.raises(JsonLdError) as info:
        expand(doc)
    assert "https://example.com/ctx" in str(info.value)
    with pytest.raises(JsonLdError):
        canonize(doc)
    with pytest.raises(JsonLdError):
        compact({"@id": "https://a.example/1"}, "https://example.com/ctx")
    # Mixed with bundled contexts, the unknown one still fails.
    with pytest.raises(JsonLdError):
        expand({"@context": ["https://www.w3.org/ns/activitystreams", "https://example.com/ctx"]})
    assert no_network == []


def test_the_guard_itself_blocks_connections(no_network: list[str]) -> None:
    # Sanity check of the fixture: a real connection attempt is recorded.
    with pytest.raises(AssertionError):
        socket.create_connection(("example.com", 443))
    assert len(no_network) == 1


def test_pyld_global_loader_is_ours(no_network: list[str]) -> None:
    assert pyld_jsonld.get_document_loader() is document_loader
    # Even a direct pyld call without options cannot reach the network.
    with pytest.raises(pyld_jsonld.JsonLdError):
        pyld_jsonld.expand({"@context": "https://example.com/ctx", "name": "x"})
    assert no_network == []


def test_loader_hands_out_copies() -> None:
    first = document_loader("https://w3id.org/security/v1")
    first["document"]["@context"]["id"] = "tampered"
    again = document_loader("https://w3id.org/security/v1")
    assert again["document"]["@context"]["id"] == "@id"


def test_pyld_errors_are_wrapped() -> None:
    with pytest.raises(JsonLdError) as info:
        expand({"@context": {"a": {"@id": 5}}, "a": 1})
    assert "@id" in str(info.value)
    with pytest.raises(JsonLdError):
        canonize({"@context": 5})


MASTODON_CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    {
        "ostatus": "http://ostatus.org#",
        "atomUri": "ostatus:atomUri",
        "toot": "http://joinmastodon.org/ns#",
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
        "Emoji": "toot:Emoji",
        "blurhash": "toot:blurhash",
    },
]

NOTE: dict[str, Any] = {
    "@context": MASTODON_CONTEXT,
    "id": "https://mastodon.example/users/alice/statuses/1",
    "type": "Note",
    "attributedTo": "https://mastodon.example/users/alice",
    "to": ["https://www.w3.org/ns/activitystreams#Public"],
    "cc": ["https://mastodon.example/users/alice/followers", "https://b.example/users/bob"],
    "sensitive": True,
    "summary": "cw",
    "content": "<p>Hello <a href=\"https://mastodon.example/tags/agora\">#agora</a></p>",
    "contentMap": {"en": "<p>Hello</p>"},
    "published": "2024-05-01T10:00:00Z",
    "atomUri": "https://mastodon.example/users/alice/statuses/1",
    "tag": [
        {"type": "Hashtag", "href": "https://mastodon.example/tags/agora", "name": "#agora"},
        {"type": "Emoji", "id": "https://mastodon.example/emojis/1", "name": ":blob:"},
    ],
}


def test_mastodon_note_expands_with_inline_context() -> None:
    [node] = expand(NOTE)
    assert node["@type"] == [AS + "Note"]
    assert node[AS + "sensitive"] == [{"@value": True}]
    assert node["http://ostatus.org#atomUri"] == [{"@value": NOTE["atomUri"]}]
    assert node[AS + "to"] == [{"@id": AS + "Public"}]
    tags = node[AS + "tag"]
    assert {t["@type"][0] for t in tags} == {AS + "Hashtag", "http://joinmastodon.org/ns#Emoji"}
    assert {"@value": "<p>Hello</p>", "@language": "en"} in node[AS + "content"]


def test_mastodon_note_compact_expand_round_trip() -> None:
    expanded = expand(NOTE)
    compacted = compact({"@graph": expanded} if len(expanded) > 1 else expanded[0], MASTODON_CONTEXT)
    assert compacted["@context"] == MASTODON_CONTEXT
    assert compacted["type"] == "Note"
    assert compacted["sensitive"] is True
    assert compacted["atomUri"] == NOTE["atomUri"]
    # A single-valued @id term compacts to a plain string; note that JSON-LD
    # compaction turns the Public collection into the compact IRI "as:Public"
    # (consumers must accept all three spellings: full IRI, "as:Public", "Public").
    assert compacted["to"] == "as:Public"
    assert sorted(compacted["cc"]) == sorted(NOTE["cc"])
    assert {t["type"] for t in compacted["tag"]} == {"Hashtag", "Emoji"}
    # round trip: same RDF, same expansion, same canonical form
    assert expand(compacted) == expanded
    assert canonize(compacted) == canonize(NOTE)


def test_compact_with_context_url() -> None:
    [node] = expand(NOTE)
    compacted = compact(node, "https://www.w3.org/ns/activitystreams")
    assert compacted["@context"] == "https://www.w3.org/ns/activitystreams"
    # terms not in the AS context fall back to full IRIs / curies
    assert compacted["as:sensitive"] is True


def test_canonize_is_stable_and_order_independent() -> None:
    reordered = dict(reversed(list(NOTE.items())))
    reordered["tag"] = list(reversed(NOTE["tag"]))
    first = canonize(NOTE)
    assert first == canonize(reordered)
    assert first.endswith("\n")
    for line in first.splitlines():
        assert line.endswith(" .")


def test_resolved_context_cache_is_bounded() -> None:
    for i in range(300):
        expand({"@context": {"x": f"https://vocab.example/{i}#x"}, "x": "v"})
    assert len(jsonld._RESOLVED_CONTEXTS) <= 256
