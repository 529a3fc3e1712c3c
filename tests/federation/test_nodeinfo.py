"""Tests for federation.nodeinfo."""

from __future__ import annotations

import json
from typing import Any

import pytest

from federation.nodeinfo import (
    NODEINFO_20,
    NODEINFO_21,
    nodeinfo_content_type,
    nodeinfo_document,
    nodeinfo_links,
)

BASE = "https://agora.example"


def doc(version: Any = "2.0", **overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = dict(
        software_name="agora",
        software_version="0.1.0",
        users_total=12,
        users_active_month=5,
        users_active_halfyear=9,
        local_posts=345,
        open_registrations=False,
        metadata={"nodeName": "Agora test"},
    )
    kwargs.update(overrides)
    return nodeinfo_document(version, **kwargs)


def test_constants() -> None:
    assert NODEINFO_20 == "http://nodeinfo.diaspora.software/ns/schema/2.0"
    assert NODEINFO_21 == "http://nodeinfo.diaspora.software/ns/schema/2.1"


def test_nodeinfo_links() -> None:
    links = nodeinfo_links(BASE + "/", f"{BASE}/actor")
    assert links == {
        "links": [
            {"rel": NODEINFO_20, "href": f"{BASE}/nodeinfo/2.0"},
            {"rel": NODEINFO_21, "href": f"{BASE}/nodeinfo/2.1"},
            {"rel": "https://www.w3.org/ns/activitystreams#Application", "href": f"{BASE}/actor"},
        ]
    }


def test_content_type() -> None:
    assert nodeinfo_content_type("2.0") == (
        'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"'
    )
    assert nodeinfo_content_type("2.1") == (
        'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"'
    )
    with pytest.raises(ValueError):
        nodeinfo_content_type("1.0")


def test_document_20() -> None:
    d = doc("2.0", repository="https://code.example/agora")
    assert d == {
        "version": "2.0",
        "software": {"name": "agora", "version": "0.1.0"},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": False,
        "usage": {
            "users": {"total": 12, "activeMonth": 5, "activeHalfyear": 9},
            "localPosts": 345,
        },
        "metadata": {"nodeName": "Agora test"},
    }
    json.dumps(d)


def test_document_21_adds_repository_and_homepage() -> None:
    d = doc("2.1", repository="https://code.example/agora", open_registrations=True)
    assert d["version"] == "2.1"
    assert d["software"] == {
        "name": "agora",
        "version": "0.1.0",
        "repository": "https://code.example/agora",
        "homepage": "https://code.example/agora",
    }
    assert d["openRegistrations"] is True
    assert doc("2.1", repository="r", homepage="h")["software"]["homepage"] == "h"
    assert doc("2.1")["software"] == {"name": "agora", "version": "0.1.0"}


@pytest.mark.parametrize("name", ["Agora", "agora app", "agora_app", "", "agöra", "agora\n"])
def test_software_name_validated(name: str) -> None:
    with pytest.raises(ValueError):
        doc(software_name=name)


@pytest.mark.parametrize("name", ["agora", "agora-node", "a1-2"])
def test_software_name_accepted(name: str) -> None:
    assert doc(software_name=name)["software"]["name"] == name


def test_bad_version_and_counts() -> None:
    with pytest.raises(ValueError):
        doc("3.0")
    with pytest.raises(ValueError):
        doc(users_total=-1)
