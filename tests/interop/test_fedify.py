"""Agora <-> Fedify (2.3, npm) interop, driven through the peer's control API.

The steps run in file order and share ``state``; a step whose prerequisite
failed is skipped rather than reported as a second failure.
"""

from __future__ import annotations

import re
import uuid

import pytest

from .conftest import need
from .harness import AgoraNode, FedifyPeer, get_ap, wait_for

pytestmark = pytest.mark.interop


def both(agora: AgoraNode, fedify: FedifyPeer):
    return lambda: agora.diagnose() + "\n" + fedify.diagnose()


def test_fedify_finds_association(agora: AgoraNode, fedify: FedifyPeer, state: dict) -> None:
    # Fedify resolves acct: handles over https only, so it looks the actor up by URL.
    group = fedify.call("GET", f"lookup?url={agora.actor}")
    assert group["id"] == agora.actor, group
    assert group["type"] == "Group", group
    assert group.get("preferredUsername") == agora.handle, group
    assert group.get("inbox"), group
    state["found"] = True


def test_fedify_follows_association(agora: AgoraNode, fedify: FedifyPeer, state: dict) -> None:
    need(state, "found")
    res = fedify.call("POST", "follow", {"target": agora.actor})
    state["follow_id"] = res["id"]

    accept = wait_for(
        lambda: next(
            (r for r in fedify.received("Accept") if r["actor"] == agora.actor),
            None,
        ),
        "the Fedify peer to receive Agora's Accept",
        diagnose=both(agora, fedify),
    )
    assert accept["verified"] is True
    assert accept.get("innerType") in (None, "Follow"), accept
    assert accept.get("innerObject") in (None, agora.actor), accept
    assert fedify.call("GET", "following")[agora.actor]["state"] == "accepted"

    total, items = wait_for(
        lambda: (lambda t: t if t[0] == 1 else None)(agora.followers()),
        "Agora's followers collection to count 1",
        diagnose=agora.diagnose,
    )
    assert fedify.actor in items, items
    state["following"] = True


def test_fedify_first_knock_is_rfc9421(agora: AgoraNode, fedify: FedifyPeer, state: dict) -> None:
    """Fedify signs with RFC 9421 first; Agora must accept that first knock."""
    need(state, "follow_id")
    inbox_posts = [
        k for k in fedify.knocks()["outgoing"] if k["method"] == "POST" and k["url"].startswith(agora.url + "/")
    ]
    assert inbox_posts, "no POST from Fedify to Agora was recorded"
    first = inbox_posts[0]
    assert first["scheme"] == "rfc9421", inbox_posts
    assert isinstance(first["status"], int) and 200 <= first["status"] < 300, (
        f"Agora refused Fedify's RFC 9421 first knock: {inbox_posts}\n{agora.diagnose()}"
    )
    spec = fedify.call("GET", f"spec?origin={agora.url}")["spec"]
    assert spec == "rfc9421", spec

    schemes = re.findall(r"inbox verified scheme=(\S+)", agora.log_text())
    assert schemes, f"no 'inbox verified scheme=' line in Agora's log\n{agora.diagnose()}"
    assert schemes[0] == "rfc9421", schemes


def test_agora_post_reaches_fedify(agora: AgoraNode, fedify: FedifyPeer, state: dict) -> None:
    need(state, "following")
    marker = f"fedify-post-{uuid.uuid4().hex[:8]}"
    url = agora.post(f"Hello Fedify, this is {marker}")
    state["note"] = url

    create = wait_for(
        lambda: fedify.find_received("Create", objectId=url),
        f"the Fedify peer to receive (and verify) Create for {url}",
        diagnose=both(agora, fedify),
    )
    assert create["verified"] is True
    assert create["actor"] == agora.actor
    assert create["objectType"] == "Note", create
    assert marker in (create["content"] or ""), create
    assert not [r for r in fedify.call("GET", "rejected") if r.get("actor") == agora.actor]


def test_fedify_reply_reaches_agora(agora: AgoraNode, fedify: FedifyPeer, state: dict) -> None:
    need(state, "note")
    marker = f"fedify-reply-{uuid.uuid4().hex[:8]}"
    res = fedify.call(
        "POST",
        "reply",
        {
            "inReplyTo": state["note"],
            "content": f'<p><a href="{agora.actor}" class="mention">@{agora.handle}</a> reply {marker}</p>',
            "mention": agora.actor,
        },
    )
    reply_id = res["note"]

    wait_for(
        lambda: reply_id in agora.replies_of(state["note"]),
        f"Agora to list {reply_id} in the note's replies",
        diagnose=both(agora, fedify),
    )
    page = agora.html(state["note"])
    assert page.status == 200, str(page)
    assert marker in page.text, f"reply text {marker!r} not on the note's HTML page"


def test_fedify_like_counts(agora: AgoraNode, fedify: FedifyPeer, state: dict) -> None:
    need(state, "note")
    fedify.call("POST", "like", {"object": state["note"]})
    wait_for(lambda: agora.likes_of(state["note"]) == 1, "likes.totalItems == 1", diagnose=both(agora, fedify))


def test_agora_edit_reaches_fedify(agora: AgoraNode, fedify: FedifyPeer, state: dict) -> None:
    need(state, "note")
    marker = f"fedify-edit-{uuid.uuid4().hex[:8]}"
    agora.edit(state["note"], f"Edited for Fedify: {marker}")
    update = wait_for(
        lambda: next(
            (u for u in fedify.received("Update") if u["objectId"] == state["note"] and marker in (u["content"] or "")),
            None,
        ),
        "the Fedify peer to receive the Update",
        diagnose=both(agora, fedify),
    )
    assert update["verified"] is True
    assert update["actor"] == agora.actor


def test_agora_delete_reaches_fedify(agora: AgoraNode, fedify: FedifyPeer, state: dict) -> None:
    need(state, "note")
    agora.delete(state["note"])
    delete = wait_for(
        lambda: fedify.find_received("Delete", objectId=state["note"]),
        "the Fedify peer to receive the Delete",
        diagnose=both(agora, fedify),
    )
    assert delete["verified"] is True
    assert delete["actor"] == agora.actor
    r = agora.html(state["note"])
    assert r.status == 410, str(r)


def test_agora_event_reaches_fedify_and_its_join_is_accepted(agora: AgoraNode, fedify: FedifyPeer, state: dict) -> None:
    """An event made with `agora events create` arrives as an Event; Fedify Joins it; Agora accepts."""
    need(state, "following")
    out = agora.cli(
        "events", "create", "--name", "Interop festival", "--start", "2026-12-05 19:00",
        "--end", "2026-12-05 23:00", "--timezone", "Europe/Paris", "--place-name", "Maison des associations",
        "--locality", "Paris", "--country", "France", "--capacity", "10",
    ).stdout.strip().splitlines()[-1]
    event_url = out.strip()
    create = wait_for(
        lambda: fedify.find_received("Create", objectId=event_url),
        f"the Fedify peer to receive (and verify) Create for {event_url}",
        diagnose=both(agora, fedify),
    )
    assert create["verified"] is True and create["objectType"] == "Event", create

    fedify.call("POST", "join", {"object": event_url, "target": agora.actor})
    accept = wait_for(
        lambda: next(
            (r for r in fedify.received("Accept") if r["actor"] == agora.actor and r.get("innerType") == "Join"),
            None,
        ),
        "the Fedify peer to receive Agora's Accept of its Join",
        diagnose=both(agora, fedify),
    )
    assert accept["verified"] is True
    wait_for(
        lambda: get_ap(event_url).json().get("participantCount") == 1,
        "the event's participantCount to be 1",
        diagnose=both(agora, fedify),
    )


def test_agora_initiative_reaches_fedify_and_its_like_counts_as_support(
    agora: AgoraNode, fedify: FedifyPeer, state: dict
) -> None:
    """An initiative made with `agora initiative create` arrives as an Article; Fedify Likes it; the
    initiative's `supportCount` (agora:supportCount) becomes 1."""
    need(state, "following")
    marker = f"fedify-initiative-{uuid.uuid4().hex[:8]}"
    url = agora.cli(
        "initiative", "create", "--title", f"Interop school {marker}", "--kind", "development",
        "--summary", "A roof before the rains", "--goal", "5000", "--currency", "EUR",
    ).stdout.strip().splitlines()[-1].strip()
    assert url.startswith(agora.url + "/initiatives/"), url
    create = wait_for(
        lambda: fedify.find_received("Create", objectId=url),
        f"the Fedify peer to receive (and verify) Create for {url}",
        diagnose=both(agora, fedify),
    )
    assert create["verified"] is True and create["objectType"] == "Article", create
    assert create["actor"] == agora.actor

    fedify.call("POST", "like", {"object": url, "target": agora.actor})
    wait_for(
        lambda: get_ap(url).json().get("supportCount") == 1,
        "the initiative's supportCount to be 1",
        diagnose=both(agora, fedify),
    )
