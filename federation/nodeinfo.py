"""NodeInfo 2.0 / 2.1 documents and the ``/.well-known/nodeinfo`` index."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, Literal

__all__ = [
    "INSTANCE_ACTOR_REL",
    "NODEINFO_20",
    "NODEINFO_21",
    "NodeInfoVersion",
    "nodeinfo_content_type",
    "nodeinfo_document",
    "nodeinfo_links",
]

NODEINFO_20: Final = "http://nodeinfo.diaspora.software/ns/schema/2.0"
NODEINFO_21: Final = "http://nodeinfo.diaspora.software/ns/schema/2.1"
#: FEP-2677: identifying the application actor.
INSTANCE_ACTOR_REL: Final = "https://www.w3.org/ns/activitystreams#Application"

NodeInfoVersion = Literal["2.0", "2.1"]
_SCHEMAS: Final[Mapping[str, str]] = {"2.0": NODEINFO_20, "2.1": NODEINFO_21}
_SOFTWARE_NAME_RE: Final = re.compile(r"[a-z0-9-]+")


def _schema(version: str) -> str:
    try:
        return _SCHEMAS[version]
    except KeyError:
        raise ValueError(f"unsupported NodeInfo version: {version!r}") from None


def nodeinfo_links(base_url: str, instance_actor_url: str) -> dict[str, Any]:
    """The ``/.well-known/nodeinfo`` JSON document."""
    base = base_url.rstrip("/")
    return {
        "links": [
            {"rel": NODEINFO_20, "href": f"{base}/nodeinfo/2.0"},
            {"rel": NODEINFO_21, "href": f"{base}/nodeinfo/2.1"},
            {"rel": INSTANCE_ACTOR_REL, "href": instance_actor_url},
        ]
    }


def nodeinfo_content_type(version: str) -> str:
    """``application/json; profile="<schema>#"`` for a NodeInfo version."""
    return f'application/json; profile="{_schema(version)}#"'


def nodeinfo_document(
    version: NodeInfoVersion,
    *,
    software_name: str,
    software_version: str,
    users_total: int,
    users_active_month: int,
    users_active_halfyear: int,
    local_posts: int,
    open_registrations: bool,
    metadata: Mapping[str, Any],
    repository: str | None = None,
    homepage: str | None = None,
) -> dict[str, Any]:
    """A NodeInfo document. ``software_name`` must match ``^[a-z0-9-]+$``.

    Version 2.1 also carries ``software.repository`` and
    ``software.homepage`` (``homepage`` defaults to ``repository``); they are
    omitted when unknown, as the schema does not allow ``null``.
    """
    _schema(version)
    if _SOFTWARE_NAME_RE.fullmatch(software_name) is None:
        raise ValueError(f"invalid NodeInfo software name: {software_name!r}")
    counts = (users_total, users_active_month, users_active_halfyear, local_posts)
    if any(count < 0 for count in counts):
        raise ValueError("usage counts must not be negative")
    software: dict[str, Any] = {"name": software_name, "version": software_version}
    if version == "2.1":
        if repository is not None:
            software["repository"] = repository
        if (homepage or repository) is not None:
            software["homepage"] = homepage or repository
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": open_registrations,
        "usage": {
            "users": {
                "total": users_total,
                "activeMonth": users_active_month,
                "activeHalfyear": users_active_halfyear,
            },
            "localPosts": local_posts,
        },
        "metadata": dict(metadata),
    }
