"""Parsing what arrives and building what we send (federation/vocab.py)."""

from __future__ import annotations

import pytest

from federation import remote
from federation import vocab

MASTODON_ACTOR = {
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
    "id": "https://m.example/users/amina",
    "type": "Person",
    "preferredUsername": "amina",
    "name": "Amina",
    "inbox": "https://m.example/users/amina/inbox",
    "endpoints": {"sharedInbox": "https://m.example/inbox"},
    "followers": "https://m.example/users/amina/followers",
    "url": "https://m.example/@amina",
    "icon": {"type": "Image", "url": "https://m.example/a.png"},
    "publicKey": {"id": "https://m.example/users/amina#main-key", "owner": "https://m.example/users/amina",
                  "publicKeyPem": "-----BEGIN PUBLIC KEY-----\n..."},
}


def test_parse_actor_reads_mastodon_fields() -> None:
    actor = remote.parse_actor(MASTODON_ACTOR)
    assert actor.shared_inbox == "https://m.example/inbox"
    assert actor.icon == "https://m.example/a.png"
    assert actor.key is not None and actor.key.key_id.endswith("#main-key")


def test_parse_actor_ignores_a_key_owned_by_someone_else() -> None:
    doc = MASTODON_ACTOR | {"publicKey": MASTODON_ACTOR["publicKey"] | {"owner": "https://evil.example/u"}}
    assert remote.parse_actor(doc).key is None


@pytest.mark.parametrize("broken", [
    {"type": "Note"}, {"inbox": None}, {"inbox": "javascript:alert(1)"}, {"id": 12},
])
def test_parse_actor_refuses_what_is_not_an_actor(broken: dict[str, object]) -> None:
    with pytest.raises(vocab.VocabError):
        remote.parse_actor(MASTODON_ACTOR | broken)


def test_parse_note_keeps_content_map_whole_and_takes_language() -> None:
    note = remote.parse_note({
        "id": "https://m.example/s/1", "type": "Note", "attributedTo": ["https://m.example/users/amina"],
        "contentMap": {"ar": "<p>مرحبا</p>", "fr": "<p>Bonjour</p>"}, "inReplyTo": {"id": "https://a.test/posts/x"},
        "to": "https://www.w3.org/ns/activitystreams#Public", "tag": [{"type": "Mention", "href": "https://a.test/users/asso"}, "junk"],
    })
    assert note.content == "<p>مرحبا</p>" and note.language == "ar"
    assert note.content_map == {"ar": "<p>مرحبا</p>", "fr": "<p>Bonjour</p>"}
    assert note.in_reply_to == "https://a.test/posts/x" and note.attributed_to == "https://m.example/users/amina"
    assert note.tags == [{"type": "Mention", "href": "https://a.test/users/asso"}]


@pytest.mark.parametrize(("to", "cc", "expected"), [
    ([vocab.PUBLIC], [], "public"),
    (["as:Public"], [], "public"),
    (["https://x/f"], ["Public"], "unlisted"),
    (["https://x/f"], [], "followers"),
    (["https://y/users/z"], [], "direct"),
])
def test_visibility_follows_mastodon(to: list[str], cc: list[str], expected: str) -> None:
    assert vocab.visibility_of(to, cc, "https://x/f") == expected


@pytest.mark.parametrize("visibility", ["public", "unlisted", "followers"])
def test_addressing_round_trips_through_visibility(visibility: str) -> None:
    to, cc = vocab.addressing(visibility, "https://x/f", ["https://y/users/z"])
    assert vocab.visibility_of(to, cc, "https://x/f") == visibility
    assert "https://y/users/z" in to + cc


@pytest.mark.parametrize("body", [b"[]", b"{", b'{"id": "x", "type": "Like", "actor": "https://a/u"}',
                                  b'{"id": "https://a/1", "type": "Like"}', b'{"id": "https://a/1", "type": 3, "actor": "https://a/u"}'])
def test_decode_envelope_refuses_malformed_activities(body: bytes) -> None:
    with pytest.raises(vocab.VocabError):
        vocab.decode_envelope(body)


@pytest.mark.parametrize("body", [b'{"id": "https://a/1", "type": "Like", "actor": "https://a/u", "to": ["\\u0000"]}',
                                  b'{"id": "https://a/1", "type": "Like", "actor": "https://a/u\x00"}'])
def test_nul_characters_are_refused(body: bytes) -> None:
    """PostgreSQL cannot store NUL in text or jsonb: such a document must be refused, not crash."""
    with pytest.raises(vocab.VocabError, match="NUL"):
        vocab.decode_envelope(body)
