"""Guides against real peers: Fedify and snac2 follow the association, receive a guide made with
`agora guide create` as a `Create{Article}` (Fedify verifies the signature; snac stores the Article with
its name), and its revision made with `agora guide edit` as an `Update` (snac applies the new content).

Steps run in file order and share ``state``; a step whose prerequisite failed is skipped.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from .conftest import everyone, follow_the_association, need
from .harness import AgoraNode, FedifyPeer, SnacPeer, wait_for

pytestmark = pytest.mark.interop


def test_fedify_and_snac_follow_the_association(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer,
                                                state: dict) -> None:
    follow_the_association(agora, fedify, snac)
    state["followed"] = True


def test_a_guide_reaches_both(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer, state: dict,
                              tmp_path: Path) -> None:
    need(state, "followed")
    marker = f"guide-{uuid.uuid4().hex[:8]}"
    text = tmp_path / "guide.md"
    text.write_text(f"Book the appointment **three months** ahead. {marker}\n", encoding="utf-8")
    url = agora.cli("guide", "create", "--topic", "residence", "--title", f"Renewing papers {marker}",
                    str(text)).stdout.strip().splitlines()[-1].strip()
    assert url.startswith(agora.url + "/guides/"), url
    create = wait_for(lambda: fedify.find_received("Create", objectId=url),
                      f"the Fedify peer to receive (and verify) Create for {url}", diagnose=everyone(agora, fedify, snac))
    assert create["verified"] is True and create["objectType"] == "Article", create
    assert create["actor"] == agora.actor
    wait_for(lambda: snac.in_timeline(url), f"snac to put the guide {url} in its timeline",
             diagnose=everyone(agora, fedify, snac))
    stored = snac.object(url) or {}
    assert stored.get("type") == "Article" and marker in stored.get("name", ""), stored
    assert stored.get("guideTopic") == "residence" or "three months" in stored.get("content", ""), stored
    state["guide"], state["marker"] = url, marker


def test_a_revision_reaches_both_as_an_update(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer, state: dict,
                                              tmp_path: Path) -> None:
    need(state, "guide")
    url = state["guide"]
    edited = f"revised-{uuid.uuid4().hex[:8]}"
    text = tmp_path / "guide.md"
    text.write_text(f"Book the appointment **four months** ahead. {edited}\n", encoding="utf-8")
    agora.cli("guide", "edit", url, str(text), "--note", "four months now")
    update = wait_for(lambda: fedify.find_received("Update", objectId=url),
                      f"the Fedify peer to receive (and verify) Update for {url}", diagnose=everyone(agora, fedify, snac))
    assert update["verified"] is True and update["objectType"] == "Article", update
    wait_for(lambda: edited in (snac.object(url) or {}).get("content", ""), "snac to apply the guide's Update",
             diagnose=everyone(agora, fedify, snac))
