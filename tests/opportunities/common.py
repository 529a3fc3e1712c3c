"""What the board's tests share: a mail box standing in for send_mail, posting through the service,
and the form of a new opportunity."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from node.accounts.actors import local_actor
from node.core.models import Actor, User
from node.core.runtime import Node
from node.opportunities import answers
from node.opportunities.inputs import OpportunityInput
from node.opportunities.models import Opportunity
from node.opportunities.opportunities import create_opportunity

FORM = {"title": "Kitchen helper in Lyon", "kind": "job", "purpose": "offer", "place_kind": "here",
        "place_name": "Lyon", "starts": "", "ends": "", "expires": "", "language": "en", "languages": "fr, ar",
        "tags": "work", "text": "A restaurant looks for a kitchen helper, evenings.", "action": "publish"}


@dataclass
class Outbox:
    """Stands in for node.core.mail.send_mail: what was sent, (to, subject, text)."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)

    async def __call__(self, settings: Any, to: str, subject: str, text: str) -> None:
        self.sent.append((to, subject, text))

    def to(self, address: str) -> list[tuple[str, str, str]]:
        return [m for m in self.sent if m[0] == address]


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> Outbox:
    box = Outbox()
    monkeypatch.setattr(answers, "send_mail", box)
    answers.reset_limits()
    return box


async def post(node: Node, poster: str = "asso", **changes: Any) -> Opportunity:
    """An opportunity posted by `poster` (a member's username or the association), through the service."""
    values: dict[str, Any] = {"title": "Room for a student", "kind": "housing", "text": "A room in Belleville.",
                              "place_name": "Paris", "language": "en"}
    values.update(changes)
    with node.ctx:
        association = await local_actor("asso")
        actor = await local_actor(poster)
        assert association is not None and actor is not None
        user = await User.get_or_none(actor_id=actor.id)
        return await create_opportunity(node, actor, user, OpportunityInput(**values), association)


async def refreshed(node: Node, row: Opportunity) -> Opportunity:
    with node.ctx:
        return await Opportunity.get(id=row.id)


def slug_path(row: Opportunity) -> str:
    return "/opportunities/" + row.uri.rsplit("/", 1)[-1]


async def actor_of(node: Node, username: str) -> Actor:
    with node.ctx:
        found = await local_actor(username)
        assert found is not None
        return found


def login_client(node: Node) -> Any:
    from tests.conftest import client_for
    return client_for(node, follow_redirects=False)


async def sign_in(http: Any, username: str, password: str) -> None:
    from tests.helpers import csrf_of
    token = await csrf_of(http, "/login")
    response = await http.post("/login", data={"csrf": token, "login": username, "password": password})
    assert response.status_code == 303, response.text
