"""What a suspension removes. It cuts contact at once: follows in both directions are removed (no
Undo is sent: no contact at all) and the remote content of the suspended accounts is deleted (posts,
likes and boosts, event participations, support of initiatives, network events and initiatives), with
the counters of our own objects recounted. The accounts themselves stay known, so that lifting the
suspension works."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from node.core import audit
from node.events import participation
from node.policy.domains import covers, host_of
from node.social.interactions import recount
from node.initiatives.support import recount_support
from node.core.models import Actor, Follow, Interaction, Post, User
from node.events.models import Event, Participation
from node.initiatives.models import Initiative, Support
from node.core.runtime import Node


async def actors_on(domain: str) -> list[int]:
    """Ids of the known remote actors on a domain or its subdomains."""
    rows = await Actor.filter(local=False).filter(
        Q(domain=domain) | Q(domain__endswith=f".{domain}") | Q(domain__startswith=f"{domain}:")
        | Q(domain__contains=f".{domain}:")
    ).values_list("id", "domain")
    return [row_id for row_id, host in rows if covers(domain, host_of(host))]


async def purge_actors(ids: Sequence[int]) -> dict[str, int]:
    """Remove the follows (both ways) and the remote content of these actors; recount ours."""
    if not ids:
        return {"follows": 0, "posts": 0}
    ids = list(ids)
    async with in_transaction():
        follows = await Follow.filter(Q(follower_id__in=ids) | Q(target_id__in=ids)).delete()
        touched = set(await Interaction.filter(actor_id__in=ids).values_list("post_id", flat=True))
        touched |= set(await Post.filter(author_id__in=ids, in_reply_to_id__isnull=False)
                       .values_list("in_reply_to_id", flat=True))
        await Interaction.filter(actor_id__in=ids).delete()
        posts = await Post.filter(author_id__in=ids, local=False).delete()
        event_ids = set(await Participation.filter(actor_id__in=ids).values_list("event_id", flat=True))
        await Participation.filter(actor_id__in=ids).delete()
        initiative_ids = set(await Support.filter(actor_id__in=ids).values_list("initiative_id", flat=True))
        await Support.filter(actor_id__in=ids).delete()
        network_events = await Event.filter(organizer_id__in=ids, local=False).delete()
        network_initiatives = await Initiative.filter(organizer_id__in=ids, local=False).delete()
    for post_id in touched:
        if isinstance(post_id, int) and await Post.filter(id=post_id).exists():
            await recount(post_id)
    for event in await Event.filter(id__in=[i for i in event_ids if isinstance(i, int)]):
        await participation.recount(event)
    for initiative in await Initiative.filter(id__in=[i for i in initiative_ids if isinstance(i, int)]):
        await recount_support(initiative)
    return {"follows": follows, "posts": posts, "events": network_events, "initiatives": network_initiatives}


async def suspend_domain_effects(node: Node, domain: str, *, user: User | None = None, by: str | None = None) -> dict[str, int]:
    counts = await purge_actors(await actors_on(domain))
    if any(counts.values()):
        await audit.record(user, "domain.purge", domain, by=by, **counts)
    return counts
