"""What the newsletter tests share: subscribers on the list, a mailing written through the service, the
worker run until the mailing's job is done."""

from __future__ import annotations

from node.core.runtime import Node
from node.mailing.models import Subscriber
from node.newsletters.mailings import MailingInput, create_mailing
from node.newsletters.models import Mailing


async def subscribers(node: Node, count: int, *, language: str = "en", prefix: str = "s", kinds: tuple[str, ...] = ("newsletter",),
                      status: str = "active") -> list[Subscriber]:
    with node.ctx:
        return [await Subscriber.create(email=f"{prefix}{i}@example.org", token=f"tok-{prefix}{i}", status=status,
                                        language=language, kinds=list(kinds)) for i in range(count)]


async def mailing(node: Node, **changes: object) -> Mailing:
    values: dict[str, object] = {"subject": "Spring assembly", "body": "Dear members,\n\nthe **assembly** is on *Saturday*.",
                                 "language": "en"}
    values.update(changes)
    with node.ctx:
        return await create_mailing(None, MailingInput(**values))  # type: ignore[arg-type]


async def settle(node: Node) -> None:
    """Run the node's due jobs until none is due."""
    await node.extra["worker"].drain()
