"""Harness self-test: snac2 and the Fedify peer talk to each other, no Agora.

If these fail, the Agora results of the lane say nothing: the peers (or the
harness driving them) are broken.
"""

from __future__ import annotations

import uuid

import pytest

from .harness import FedifyPeer, SnacPeer, wait_for

pytestmark = pytest.mark.interop


def test_peers_find_each_other(fedify: FedifyPeer, snac: SnacPeer) -> None:
    actor = fedify.call("GET", f"lookup?url={snac.actor}")
    assert actor["id"] == snac.actor
    assert actor["type"] == "Person"

    host = fedify.url.removeprefix("http://")
    wf = snac.webfinger(f"@alice@{host}")
    assert wf.get("status") == "200", wf
    assert wf.get("actor") == fedify.actor, wf


def test_snac_follows_fedify(fedify: FedifyPeer, snac: SnacPeer) -> None:
    # snac 2.75 answers 202 to any inbox POST and checks the signature later;
    # it only understands draft-cavage, so Fedify's RFC 9421 first knock is
    # "accepted" and then silently dropped (no 401 -> no fallback). Pin the
    # scheme for snac's origin so Fedify -> snac deliveries work.
    fedify.call("POST", "spec", {"origin": snac.url, "spec": "draft-cavage-http-signatures-12"})

    snac.cli("follow", snac.user, fedify.actor)
    follow = wait_for(
        lambda: fedify.find_received("Follow", actor=snac.actor),
        "fedify to receive snac's Follow",
        diagnose=lambda: snac.diagnose() + "\n" + fedify.diagnose(),
    )
    assert follow["verified"] is True
    wait_for(
        lambda: (snac.following(fedify.actor) or {}).get("type") == "Accept",
        "snac to record Fedify's Accept",
        diagnose=snac.diagnose,
    )
    incoming = [k for k in fedify.knocks()["incoming"] if "snac" in (k.get("userAgent") or "")]
    assert incoming and incoming[0]["scheme"] == "draft-cavage", incoming


def test_fedify_follows_snac(fedify: FedifyPeer, snac: SnacPeer) -> None:
    fedify.call("POST", "follow", {"target": snac.actor})
    wait_for(lambda: snac.is_follower(fedify.actor), "snac to list alice as follower", diagnose=snac.diagnose)
    wait_for(
        lambda: fedify.call("GET", "following").get(snac.actor, {}).get("state") == "accepted",
        "fedify to receive snac's Accept",
        diagnose=fedify.diagnose,
    )


def test_snac_note_reaches_fedify(fedify: FedifyPeer, snac: SnacPeer) -> None:
    marker = f"peer-note-{uuid.uuid4().hex[:8]}"
    snac.cli("note", snac.user, f"harness note {marker}")
    entry = wait_for(
        lambda: next((r for r in fedify.received("Create") if marker in (r.get("content") or "")), None),
        "fedify to receive snac's note",
        diagnose=lambda: snac.diagnose() + "\n" + fedify.diagnose(),
    )
    assert entry["actor"] == snac.actor
    assert entry["verified"] is True


def test_replies_between_peers(fedify: FedifyPeer, snac: SnacPeer) -> None:
    # Fedify -> snac: a reply mentioning bob lands in bob's timeline.
    parent = next(r for r in fedify.received("Create") if r["actor"] == snac.actor)["objectId"]
    marker = f"peer-reply-{uuid.uuid4().hex[:8]}"
    res = fedify.call(
        "POST", "reply", {"inReplyTo": parent, "content": f"<p>reply {marker}</p>", "mention": snac.actor}
    )
    note_id = res["note"]
    wait_for(lambda: snac.in_timeline(note_id), "snac to store Fedify's reply", diagnose=snac.diagnose)
    assert marker in (snac.object(note_id) or {}).get("content", "")

    # snac -> Fedify: reply through snac's web form to alice's note.
    marker2 = f"peer-back-{uuid.uuid4().hex[:8]}"
    r = snac.post_form(content=f"@alice answer {marker2}", in_reply_to=note_id)
    assert r.status in (200, 303), str(r)
    entry = wait_for(
        lambda: next((e for e in fedify.received("Create") if marker2 in (e.get("content") or "")), None),
        "fedify to receive snac's reply",
        diagnose=lambda: snac.diagnose() + "\n" + fedify.diagnose(),
    )
    assert entry["inReplyTo"] == note_id
