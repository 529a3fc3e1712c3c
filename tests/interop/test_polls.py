"""Polls against real peers: Fedify and snac2 follow the association and receive a poll made with
`agora poll create` as a `Create{Question}` (FEP-9967, the way Mastodon sends them: `oneOf`/`anyOf`
options, each a `Note` with a `name` and `replies.totalItems`, `endTime`, `votersCount`); each peer votes
the way it does for Mastodon's polls (Fedify: the peer's `POST /_control/vote`, a `Create{Note}` with
`name` = the option, `inReplyTo` = the question, no content, to the author; snac: its web UI's vote form,
`POST /<user>/admin/vote`); Agora counts the votes (the question's AS2 document and `agora poll
results`), and the counts come back to both peers by `Update{Question}` (Agora sends at most one per 30
seconds per poll, so those waits are longer). A second vote of the same peer in a one-choice poll does not
count twice; a several-choices poll counts each choice and one voter.

Steps run in file order and share ``state``; a step whose prerequisite failed is skipped.
"""

from __future__ import annotations

import base64
import urllib.parse
import uuid
from typing import Any

import pytest

from .conftest import everyone, follow_the_association, need
from .harness import DEFAULT_TIMEOUT, AgoraNode, FedifyPeer, Reply, SnacPeer, http, wait_for

pytestmark = pytest.mark.interop

# Agora batches the Update of a poll's counts in 30-second windows (node/polls/polls.py UPDATE_EVERY).
UPDATE_TIMEOUT = max(DEFAULT_TIMEOUT, 75.0)


# -- reading a Question ------------------------------------------------------


def options_of(question: dict) -> tuple[str, dict[str, int | None]]:
    """("oneOf" | "anyOf", {option name: replies.totalItems}) of an AS2 Question document."""
    kind = "anyOf" if "anyOf" in question and "oneOf" not in question else "oneOf"
    items = question.get(kind) or []
    counts: dict[str, int | None] = {}
    for item in items if isinstance(items, list) else [items]:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            replies = item.get("replies")
            total = replies.get("totalItems") if isinstance(replies, dict) else None
            counts[item["name"]] = total if isinstance(total, int) else None
    return kind, counts


def peer_counts(entry: dict) -> dict[str, int | None]:
    """{option: count} of a poll the Fedify peer received (its `poll` summary)."""
    return {o["name"]: o["count"] for o in (entry.get("poll") or {}).get("options") or []}


def agora_counts(agora: AgoraNode, url: str) -> tuple[dict[str, int | None], Any]:
    doc = agora.get_json(url)
    return options_of(doc)[1], doc.get("votersCount")


def results(agora: AgoraNode, url: str) -> dict[str, int]:
    """`agora poll results URL`: one "COUNT<TAB>NAME" line per option, then "voters N ..."."""
    out: dict[str, int] = {}
    for line in agora.cli("poll", "results", url).stdout.splitlines():
        count, _, name = line.partition("\t")
        if count.isdigit():
            out[name] = int(count)
        elif count.startswith("voters "):
            out["<voters>"] = int(count.split()[1])
    return out


def updates_for(fedify: FedifyPeer, question_id: str) -> list[dict]:
    return [u for u in fedify.received("Update") if u.get("objectId") == question_id and u.get("poll")]


# -- snac's vote form ---------------------------------------------------------


def snac_vote(snac: SnacPeer, author: str, question_id: str, *choices: str) -> Reply:
    """What snac's web UI posts when its user votes (html.c, admin/vote): the poll's author, the
    question (`irt`) and one `question` field per chosen option."""
    token = base64.b64encode(f"{snac.user}:{snac.password}".encode()).decode()
    fields = [("actor", author), ("irt", question_id), *(("question", c) for c in choices)]
    return http(
        "POST",
        f"{snac.actor}/admin/vote",
        body=urllib.parse.urlencode(fields),
        headers={"Authorization": f"Basic {token}", "Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )


def snac_votes(snac: SnacPeer, question_id: str) -> list[dict]:
    """snac's own vote Notes for a question (it stores each in its timeline)."""
    found = []
    for obj_id in snac.timeline_ids():
        if obj_id and obj_id.startswith(snac.actor + "/p/"):
            obj = snac.object(obj_id) or {}
            if obj.get("inReplyTo") == question_id and obj.get("name"):
                found.append(obj)
    return found


# -- the steps ----------------------------------------------------------------


def test_fedify_and_snac_follow_the_association(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer,
                                                state: dict) -> None:
    follow_the_association(agora, fedify, snac)
    state["followed"] = True


def test_a_poll_reaches_both_as_a_question(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer,
                                           state: dict) -> None:
    need(state, "followed")
    marker = f"poll-{uuid.uuid4().hex[:8]}"
    url = agora.cli("poll", "create", "--as", agora.handle, "--option", "Tea", "--option", "Coffee",
                    "--option", "Water", "--ends", "2d",
                    f"What do we serve at the assembly? {marker}").stdout.strip().splitlines()[-1].strip()
    assert url.startswith(agora.url + "/"), url
    doc = agora.get_json(url)
    qid = doc["id"]
    assert doc.get("type") == "Question", doc
    assert options_of(doc) == ("oneOf", {"Tea": 0, "Coffee": 0, "Water": 0}), doc
    assert doc.get("votersCount") == 0 and doc.get("endTime"), doc

    create = wait_for(lambda: fedify.find_received("Create", objectId=qid),
                      f"the Fedify peer to receive (and verify) Create for {qid}", diagnose=everyone(agora, fedify, snac))
    assert create["verified"] is True and create["objectType"] == "Question", create
    assert create["actor"] == agora.actor
    assert marker in (create["content"] or ""), create
    poll = create["poll"]
    assert [(o["kind"], o["name"], o["count"]) for o in poll["options"]] == [
        ("oneOf", "Tea", 0), ("oneOf", "Coffee", 0), ("oneOf", "Water", 0)], poll
    assert poll["multiple"] is False and poll["votersCount"] == 0 and poll["endTime"], poll

    wait_for(lambda: snac.in_timeline(qid), f"snac to put the poll {qid} in its timeline",
             diagnose=everyone(agora, fedify, snac))
    stored = snac.object(qid) or {}
    assert stored.get("type") == "Question" and marker in stored.get("content", ""), stored
    assert options_of(stored) == ("oneOf", {"Tea": 0, "Coffee": 0, "Water": 0}), stored
    state["poll"], state["qid"] = url, qid


def test_fedifys_vote_counts_and_the_update_reaches_it(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer,
                                                      state: dict) -> None:
    need(state, "poll")
    url, qid = state["poll"], state["qid"]
    sent = fedify.call("POST", "vote", {"question": url, "choice": "Coffee"})
    assert [v["choice"] for v in sent["votes"]] == ["Coffee"], sent
    wait_for(lambda: agora_counts(agora, url) == ({"Tea": 0, "Coffee": 1, "Water": 0}, 1) or None,
             "Agora to count Fedify's vote (Coffee 1, votersCount 1)", diagnose=everyone(agora, fedify, snac))
    assert results(agora, url) == {"Tea": 0, "Coffee": 1, "Water": 0, "<voters>": 1}
    # a vote is not a reply: the question's replies stay empty and the page shows no "Coffee" comment
    assert sent["votes"][0]["note"] not in agora.replies_of(url)

    update = wait_for(
        lambda: next((u for u in updates_for(fedify, qid) if peer_counts(u).get("Coffee") == 1), None),
        "the Fedify peer to receive Update{Question} with Coffee = 1", timeout=UPDATE_TIMEOUT,
        diagnose=everyone(agora, fedify, snac))
    assert update["verified"] is True and update["actor"] == agora.actor, update
    assert peer_counts(update) == {"Tea": 0, "Coffee": 1, "Water": 0}, update
    assert update["poll"]["votersCount"] == 1, update
    state["fedify_voted"] = True


def test_a_second_vote_of_fedify_does_not_count(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer,
                                               state: dict) -> None:
    need(state, "fedify_voted")
    url = state["poll"]
    fedify.call("POST", "vote", {"question": url, "choice": "Water"})
    wait_for(lambda: "voted already" in agora.log_text() or None,
             "Agora to refuse Fedify's second vote in a one-choice poll", diagnose=agora.diagnose)
    assert agora_counts(agora, url) == ({"Tea": 0, "Coffee": 1, "Water": 0}, 1)


def test_snacs_vote_counts_and_the_update_reaches_it(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer,
                                                    state: dict) -> None:
    need(state, "poll")
    url, qid = state["poll"], state["qid"]
    r = snac_vote(snac, agora.actor, qid, "Tea")
    assert r.status in (200, 303), str(r)
    votes = wait_for(lambda: snac_votes(snac, qid), "snac to store its vote", diagnose=snac.diagnose)
    assert [(v.get("name"), v.get("to")) for v in votes] == [("Tea", [agora.actor])], votes
    assert not votes[0].get("content"), votes

    voters = 2 if "fedify_voted" in state else 1
    wait_for(lambda: agora_counts(agora, url)[0].get("Tea") == 1 or None, "Agora to count snac's vote (Tea 1)",
             diagnose=everyone(agora, fedify, snac))
    assert agora_counts(agora, url)[1] == voters
    assert results(agora, url)["Tea"] == 1

    wait_for(lambda: options_of(snac.object(qid) or {})[1].get("Tea") == 1 or None,
             "snac to apply Update{Question} with Tea = 1", timeout=UPDATE_TIMEOUT,
             diagnose=everyone(agora, fedify, snac))
    assert (snac.object(qid) or {}).get("votersCount") == voters, snac.object(qid)
    if "fedify_voted" in state:
        wait_for(lambda: any(u["poll"]["votersCount"] == 2 for u in updates_for(fedify, qid)) or None,
                 "the Fedify peer to receive the Update with votersCount 2", timeout=UPDATE_TIMEOUT,
                 diagnose=everyone(agora, fedify, snac))


def test_several_choices_count_each_choice_and_one_voter(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer,
                                                        state: dict) -> None:
    need(state, "followed")
    url = agora.cli("poll", "create", "--option", "Monday", "--option", "Tuesday", "--option", "Friday",
                    "--multiple", "--ends", "1d",
                    "Which evenings can you help at the food bank?").stdout.strip().splitlines()[-1].strip()
    qid = agora.get_json(url)["id"]
    create = wait_for(lambda: fedify.find_received("Create", objectId=qid),
                      f"the Fedify peer to receive Create for {qid}", diagnose=everyone(agora, fedify, snac))
    assert create["poll"]["multiple"] is True, create
    assert {o["kind"] for o in create["poll"]["options"]} == {"anyOf"}, create
    wait_for(lambda: snac.in_timeline(qid), "snac to store the several-choices poll",
             diagnose=everyone(agora, fedify, snac))
    assert options_of(snac.object(qid) or {})[0] == "anyOf", snac.object(qid)

    fedify.call("POST", "vote", {"question": url, "choices": ["Monday", "Friday"]})
    wait_for(lambda: agora_counts(agora, url) == ({"Monday": 1, "Tuesday": 0, "Friday": 1}, 1) or None,
             "Agora to count both of Fedify's choices and one voter", diagnose=everyone(agora, fedify, snac))

    r = snac_vote(snac, agora.actor, qid, "Tuesday", "Friday")
    assert r.status in (200, 303), str(r)
    wait_for(lambda: agora_counts(agora, url) == ({"Monday": 1, "Tuesday": 1, "Friday": 2}, 2) or None,
             "Agora to count both of snac's choices (two voters)", diagnose=everyone(agora, fedify, snac))
    assert results(agora, url) == {"Monday": 1, "Tuesday": 1, "Friday": 2, "<voters>": 2}
    wait_for(lambda: options_of(snac.object(qid) or {})[1] == {"Monday": 1, "Tuesday": 1, "Friday": 2} or None,
             "snac to apply the Update with the final counts", timeout=UPDATE_TIMEOUT,
             diagnose=everyone(agora, fedify, snac))
