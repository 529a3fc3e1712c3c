"""Agora <-> snac2 (Debian bookworm-backports package) interop.

snac is driven with its CLI (webfinger, follow) and, for replies, its web
form (the CLI has no reply command); what it received is read from its data
directory.  snac accepts every inbox POST with 202 and checks signatures
afterwards, so a rejected delivery only shows in its log ("bad signature").
"""

from __future__ import annotations

import re
import uuid

import pytest

from .conftest import need
from .harness import AgoraNode, SnacPeer, wait_for

pytestmark = pytest.mark.interop


def both(agora: AgoraNode, snac: SnacPeer):
    def diagnose() -> str:
        bad = [ln for ln in snac.log_path.read_text(errors="replace").splitlines() if agora.url in ln]
        return (
            agora.diagnose()
            + "\n"
            + snac.diagnose()
            + f"\n--- snac log lines mentioning {agora.url} ---\n"
            + "\n".join(bad[-40:])
        )

    return diagnose


def test_snac_finds_association(agora: AgoraNode, snac: SnacPeer, state: dict) -> None:
    wf = snac.webfinger(f"@{agora.acct}")
    assert wf.get("status") == "200", wf
    assert wf.get("actor") == agora.actor, wf
    assert wf.get("uid") == agora.acct, wf

    out = snac.cli("actor", snac.user, agora.actor)
    assert re.search(r"^status: 20\d$", out, re.M), out
    assert re.search(r'"type":\s*"Group"', out), out
    state["found"] = True


def test_snac_follows_association(agora: AgoraNode, snac: SnacPeer, state: dict) -> None:
    need(state, "found")
    snac.cli("follow", snac.user, f"@{agora.acct}")
    assert snac.following(agora.actor) is not None, "snac did not record the Follow"

    total, items = wait_for(
        lambda: (lambda t: t if t[0] == 1 else None)(agora.followers()),
        "Agora's followers collection to count 1",
        diagnose=both(agora, snac),
    )
    assert snac.actor in items, items

    accept = wait_for(
        lambda: (lambda f: f if f and f.get("type") == "Accept" else None)(snac.following(agora.actor)),
        "snac to confirm the follow (Accept received and verified)",
        diagnose=both(agora, snac),
    )
    assert accept.get("actor") == agora.actor, accept
    state["following"] = True


def test_agora_post_reaches_snac(agora: AgoraNode, snac: SnacPeer, state: dict) -> None:
    need(state, "following")
    marker = f"snac-post-{uuid.uuid4().hex[:8]}"
    url = agora.post(f"Hello snac, this is {marker}")
    state["note"] = url

    # timeline_add only happens after snac's signature check passed
    wait_for(lambda: snac.in_timeline(url), f"snac to put {url} in its timeline", diagnose=both(agora, snac))
    note = snac.object(url)
    assert note is not None and note.get("type") == "Note", note
    assert marker in note.get("content", ""), note
    assert note.get("attributedTo") == agora.actor, note


def test_snac_reply_reaches_agora(agora: AgoraNode, snac: SnacPeer, state: dict) -> None:
    need(state, "note")
    marker = f"snac-reply-{uuid.uuid4().hex[:8]}"
    before = set(snac.timeline_ids())
    # snac adds the parent's author (the association) as a Mention; "@asso"
    # in the text is resolved against that same server.
    r = snac.post_form(content=f"@{agora.handle} reply {marker}", in_reply_to=state["note"])
    assert r.status in (200, 303), str(r)

    reply_id = wait_for(
        lambda: next(
            (
                i
                for i in snac.timeline_ids()
                if i not in before and i.startswith(snac.actor + "/p/") and marker in (snac.object(i) or {}).get("content", "")
            ),
            None,
        ),
        "snac to store its own reply",
        diagnose=snac.diagnose,
    )
    reply = snac.object(reply_id) or {}
    assert reply.get("inReplyTo") == state["note"], reply
    assert any(
        t.get("type") == "Mention" and t.get("href") == agora.actor for t in reply.get("tag") or [] if isinstance(t, dict)
    ), reply

    wait_for(
        lambda: reply_id in agora.replies_of(state["note"]),
        f"Agora to list {reply_id} in the note's replies",
        diagnose=both(agora, snac),
    )
    page = agora.html(state["note"])
    assert page.status == 200, str(page)
    assert marker in page.text, f"reply text {marker!r} not on the note's HTML page"


def test_agora_edit_reaches_snac(agora: AgoraNode, snac: SnacPeer, state: dict) -> None:
    need(state, "note")
    marker = f"snac-edit-{uuid.uuid4().hex[:8]}"
    agora.edit(state["note"], f"Edited for snac: {marker}")
    wait_for(
        lambda: marker in (snac.object(state["note"]) or {}).get("content", ""),
        "snac to apply the Update",
        diagnose=both(agora, snac),
    )


def test_agora_delete_reaches_snac(agora: AgoraNode, snac: SnacPeer, state: dict) -> None:
    need(state, "note")
    agora.delete(state["note"])
    wait_for(
        lambda: not snac.in_timeline(state["note"]),
        "snac to drop the deleted note from its timeline",
        diagnose=both(agora, snac),
    )
    r = agora.html(state["note"])
    assert r.status == 410, str(r)


def test_snac_saw_no_bad_signature_from_agora(agora: AgoraNode, snac: SnacPeer, state: dict) -> None:
    need(state, "following")
    bad = [
        ln
        for ln in snac.log_path.read_text(errors="replace").splitlines()
        if "bad signature" in ln and agora.url in ln
    ]
    assert not bad, "snac rejected signatures from Agora:\n" + "\n".join(bad)
