"""The handler registry: every feature's handlers are loaded, each activity type runs its chain in the
order the inbox always used, and the first handler that claims an activity ends its chain."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from node.activitypub import handlers, registry
from node.activitypub.registry import FIRST, OWN, REST

ROOT = Path(__file__).resolve().parents[2]

# type -> the handlers that see it, in order (feature.function)
CHAINS = {
    "Accept": ["events.on_accept", "policy.on_accept", "social.on_accept"],
    "Announce": ["forum.on_announce", "social.on_announce"],
    "Create": ["polls.on_vote", "events.on_event", "initiatives.on_initiative", "forum.on_create", "opportunities.on_opportunity", "guides.on_guide", "polls.on_question", "social.on_create"],
    "Delete": ["accounts.on_delete", "events.on_delete", "initiatives.on_delete", "forum.on_delete", "opportunities.on_delete", "guides.on_delete", "social.on_delete"],
    "EmojiReact": ["moderation.on_like", "initiatives.on_like", "social.on_like"],
    "Flag": ["moderation.on_flag"],
    "Follow": ["social.on_follow"],
    "Join": ["events.on_join"],
    "Leave": ["events.on_leave"],
    "Like": ["moderation.on_like", "initiatives.on_like", "forum.on_like", "social.on_like"],
    "Lock": ["forum.on_lock"],
    "Move": ["forum.on_move"],
    "Reject": ["events.on_reject", "policy.on_reject", "social.on_reject"],
    "Remove": ["forum.on_move"],
    "Undo": ["social.on_undo_follow", "events.on_undo_join", "initiatives.on_unlike", "forum.on_undo", "social.on_undo"],
    "Update": ["polls.on_question_update", "accounts.on_update", "events.on_event", "initiatives.on_initiative", "forum.on_update", "opportunities.on_opportunity", "guides.on_guide", "polls.on_question", "social.on_update"],
}


def chain(kind: str) -> list[str]:
    names = []
    for entry in registry._TABLE[kind]:
        fn = entry.activity or entry.object
        assert fn is not None
        names.append(f"{fn.__module__.split('.')[1]}.{fn.__name__}")
    return names


def test_every_features_handlers_module_is_loaded() -> None:
    on_disk = {".".join(p.relative_to(ROOT).with_suffix("").parts) for p in ROOT.glob("node/*/handlers.py")}
    on_disk.discard("node.activitypub.handlers")
    assert {m.__name__ for m in handlers.FEATURES} == on_disk


def test_each_type_runs_its_chain_in_the_inbox_order() -> None:
    assert registry.handled_types() == frozenset(CHAINS)
    assert {kind: chain(kind) for kind in CHAINS} == CHAINS


async def test_the_first_handler_that_claims_an_activity_ends_the_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_TABLE", {})
    seen: list[str] = []

    def handler(name: str, claims: bool) -> registry.ActivityHandler:
        async def run(node: Any, actor: Any, doc: registry.Doc) -> bool:
            seen.append(name)
            return claims
        return run

    registry.handles("Probe", stage=REST)(handler("rest", True))
    registry.handles("Probe", stage=FIRST)(handler("first", False))
    registry.handles("Probe")(handler("own-1", False))
    registry.handles("Probe", stage=OWN)(handler("own-2", True))
    registry.handles("Probe")(handler("own-3", True))
    await registry.run(cast(Any, None), cast(Any, None), {"type": "Probe"})
    assert seen == ["first", "own-1", "own-2"]
    seen.clear()
    await registry.run(cast(Any, None), cast(Any, None), {"type": "Other"})
    assert seen == []
