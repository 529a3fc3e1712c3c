"""Opportunities against real peers: Fedify and snac2 follow the association and receive an
opportunity made with `agora opportunity create` as a `Create{Note}` (Fedify verifies the signature;
snac stores the Note, whose content shows the kind, the place and the expiry); Fedify answers it with a
direct reply, which reaches the poster (the answer count of `agora opportunity list`); closing it with
`agora opportunity close` reaches both as an `Update` saying it is closed.

Steps run in file order and share ``state``; a step whose prerequisite failed is skipped.
"""

from __future__ import annotations

import uuid

import pytest

from .conftest import everyone, follow_the_association, need
from .harness import AgoraNode, FedifyPeer, SnacPeer, wait_for

pytestmark = pytest.mark.interop


def listed(agora: AgoraNode, url: str) -> list[str]:
    for line in agora.cli("opportunity", "list").stdout.splitlines():
        fields = line.split("\t")
        if fields and fields[-1] == url:
            return fields
    return []


def test_fedify_and_snac_follow_the_association(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer,
                                                state: dict) -> None:
    follow_the_association(agora, fedify, snac)
    state["followed"] = True


def test_an_opportunity_reaches_both(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer, state: dict) -> None:
    need(state, "followed")
    marker = f"opportunity-{uuid.uuid4().hex[:8]}"
    url = agora.cli("opportunity", "create", "--kind", "job", "--title", f"Kitchen helper {marker}",
                    "--place", "Montreuil", f"Evenings, four days a week. {marker}").stdout.strip().splitlines()[-1]
    assert url.startswith(agora.url + "/opportunities/"), url
    create = wait_for(lambda: fedify.find_received("Create", objectId=url),
                      f"the Fedify peer to receive (and verify) Create for {url}", diagnose=everyone(agora, fedify, snac))
    assert create["verified"] is True and create["objectType"] == "Note", create
    assert create["actor"] == agora.actor
    wait_for(lambda: snac.in_timeline(url), f"snac to put the opportunity {url} in its timeline",
             diagnose=everyone(agora, fedify, snac))
    content = (snac.object(url) or {}).get("content", "")
    assert "Job offer" in content and "Montreuil" in content and "open until" in content, content
    state["opportunity"], state["marker"] = url, marker


def test_fedifys_direct_reply_reaches_the_poster(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer,
                                                 state: dict) -> None:
    need(state, "opportunity")
    url = state["opportunity"]
    fedify.call("POST", "reply", {
        "inReplyTo": url, "mention": agora.actor, "direct": True,
        "content": f'<p><a href="{agora.actor}" class="mention">@{agora.acct}</a> I can start on Monday</p>'})
    wait_for(lambda: (listed(agora, url) or ["0"] * 5)[4] == "1" or None,
             "the poster to have Fedify's answer", diagnose=everyone(agora, fedify, snac))
    page = agora.html(url)
    assert page.status == 200 and "I can start on Monday" not in page.text, "an answer must not be public"
    state["answered"] = True


def test_closing_reaches_both_as_an_update(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer, state: dict) -> None:
    need(state, "opportunity")
    url = state["opportunity"]
    agora.cli("opportunity", "close", url)
    update = wait_for(lambda: fedify.find_received("Update", objectId=url),
                      f"the Fedify peer to receive (and verify) Update for {url}", diagnose=everyone(agora, fedify, snac))
    assert update["verified"] is True, update
    wait_for(lambda: "CLOSED" in (snac.object(url) or {}).get("content", "") or None,
             "snac to apply the closing Update", diagnose=everyone(agora, fedify, snac))
    assert listed(agora, url)[0] == "closed"
