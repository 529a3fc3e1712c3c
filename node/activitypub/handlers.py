"""Every feature's inbound handlers, in one table. Loading this module loads each feature's
`handlers.py`, whose `@handles` decorators fill the registry (node/activitypub/registry.py). Handlers
of the same stage claim disjoint activities, so the order of the features below changes nothing; it is
the order in which they were written before the registry existed. The inbox job calls `dispatch`."""

from __future__ import annotations

from types import ModuleType

from node.activitypub.registry import dispatch
from node.accounts import handlers as accounts
from node.social import handlers as social
from node.events import handlers as events
from node.initiatives import handlers as initiatives
from node.policy import handlers as policy
from node.moderation import handlers as moderation
from node.forum import handlers as forum
from node.opportunities import handlers as opportunities
from node.guides import handlers as guides
from node.polls import handlers as polls

FEATURES: tuple[ModuleType, ...] = (accounts, social, events, initiatives, policy, moderation, forum, opportunities, guides, polls)

__all__ = ["FEATURES", "dispatch"]
