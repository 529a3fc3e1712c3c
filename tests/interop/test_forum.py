"""The forum against real peers: snac2 and Fedify follow a category (a Group actor of its own),
receive a new topic through the category's Announce{Create{Page}}, reply to it, and their replies
show in the thread page and in the topic's context collection (FEP-7888/f228).

Steps run in file order and share ``state``; a step whose prerequisite failed is skipped.
"""

from __future__ import annotations

import uuid

import pytest

from .conftest import everyone, need
from .harness import AgoraNode, FedifyPeer, SnacPeer, ids_of, wait_for

pytestmark = pytest.mark.interop

SLUG = "housing"


def category_actor(agora: AgoraNode) -> str:
    return f"{agora.url}/users/{SLUG}"


def context_items(agora: AgoraNode, topic_url: str) -> list[str]:
    doc = agora.get_json(topic_url)
    assert doc.get("type") == "OrderedCollection", doc
    return ids_of(doc.get("orderedItems"))


def test_category_is_created_and_served(agora: AgoraNode, state: dict) -> None:
    out = agora.cli("forum", "category", "create", SLUG, "--name", "Housing").stdout
    assert f"/forum/{SLUG}" in out, out
    group = agora.get_json(category_actor(agora))
    assert group["type"] == "Group" and group["preferredUsername"] == SLUG, group
    assert group["attributedTo"].endswith(f"/forum/{SLUG}/moderators"), group
    state["category"] = category_actor(agora)


def test_fedify_and_snac_follow_the_category(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer, state: dict) -> None:
    need(state, "category")
    fedify.call("POST", "follow", {"target": state["category"]})
    snac.cli("follow", snac.user, f"@{SLUG}@{agora.host}")
    wait_for(lambda: next((r for r in fedify.received("Accept") if r["actor"] == state["category"]), None),
             "the Fedify peer to receive the category's Accept", diagnose=everyone(agora, fedify, snac))
    wait_for(lambda: (snac.following(state["category"]) or {}).get("type") == "Accept",
             "snac to confirm it follows the category", diagnose=everyone(agora, fedify, snac))
    followers = agora.get_json(f"{state['category']}/followers")
    assert followers.get("totalItems") == 2, followers
    state["followed"] = True


def test_a_new_topic_reaches_both(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer, state: dict) -> None:
    need(state, "followed")
    marker = f"forum-topic-{uuid.uuid4().hex[:8]}"
    out = agora.cli("forum", "topic", "--category", SLUG, "--as", "admin", f"Rooms near the station {marker}",
                    f"Where do newcomers find a room? {marker}").stdout
    topic_url = out.strip().splitlines()[-1].split("\t")[0]
    assert topic_url.startswith(f"{agora.url}/topics/"), out
    [page] = context_items(agora, topic_url)
    state["topic"], state["page"] = topic_url, page

    def announced() -> dict | None:
        for entry in fedify.received("Announce"):
            inner = (entry.get("raw") or {}).get("object")
            if entry["actor"] == state["category"] and isinstance(inner, dict):
                obj = inner.get("object")
                if (obj.get("id") if isinstance(obj, dict) else obj) == page:
                    return entry
        return None

    entry = wait_for(announced, "the Fedify peer to receive the category's Announce{Create{Page}}",
                     diagnose=everyone(agora, fedify, snac))
    assert entry["verified"] is True
    # snac resolves the Announce by fetching the Create's id, then stores the Page it carries
    wait_for(lambda: snac.in_timeline(page), f"snac to put the topic {page} in its timeline",
             diagnose=everyone(agora, fedify, snac))
    stored = snac.object(page) or {}
    assert stored.get("type") == "Page" and marker in stored.get("name", ""), stored


def test_fedify_reply_joins_the_thread(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer, state: dict) -> None:
    need(state, "page")
    marker = f"fedify-forum-reply-{uuid.uuid4().hex[:8]}"
    res = fedify.call("POST", "reply", {
        "inReplyTo": state["page"], "mention": state["category"],
        "content": f'<p><a href="{state["category"]}" class="mention">@{SLUG}</a> ask at the town hall {marker}</p>'})
    reply_id = res["note"]
    wait_for(lambda: reply_id in context_items(agora, state["topic"]),
             f"Agora to list {reply_id} in the topic's context collection", diagnose=everyone(agora, fedify, snac))
    page = agora.html(state["topic"])
    assert page.status == 200 and marker in page.text, f"reply {marker!r} not on the thread page"
    state["fedify_reply"] = reply_id


def test_snac_reply_joins_the_thread(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer, state: dict) -> None:
    need(state, "page")
    marker = f"snac-forum-reply-{uuid.uuid4().hex[:8]}"
    before = set(snac.timeline_ids())
    r = snac.post_form(content=f"try the association's notice board {marker}", in_reply_to=state["page"])
    assert r.status in (200, 303), str(r)
    reply_id = wait_for(
        lambda: next((i for i in snac.timeline_ids() if i not in before and i.startswith(snac.actor + "/p/")
                      and marker in (snac.object(i) or {}).get("content", "")), None),
        "snac to store its own reply", diagnose=snac.diagnose)
    wait_for(lambda: reply_id in context_items(agora, state["topic"]),
             f"Agora to list {reply_id} in the topic's context collection", diagnose=everyone(agora, fedify, snac))
    items = context_items(agora, state["topic"])
    assert items[0] == state["page"], items  # the opening post first, replies after it in order
    page = agora.html(state["topic"])
    assert page.status == 200 and marker in page.text, f"reply {marker!r} not on the thread page"
    # the category passes snac's reply on to its other follower
    wait_for(lambda: any(isinstance((e.get("raw") or {}).get("object"), dict)
                         and reply_id in str(e["raw"]["object"].get("object")) for e in fedify.received("Announce")),
             "the Fedify peer to receive the category's Announce of snac's reply", diagnose=everyone(agora, fedify, snac))
