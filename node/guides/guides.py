"""The association's guides: create, save a revision (every save is one: who, when, a note), a member's
proposal (a pending revision) that an editor accepts or rejects, revert (a new revision copying an old
one), review, deletion. Each accepted revision is rendered into the guide's row and federated: a new
guide as a `Create` of its Article, every later revision as an `Update`, deletion as a `Delete` of a
Tombstone (wire.py). Who may do what is in access.py."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tortoise.transactions import in_transaction

from federation import vocab
from node.core.models import Actor
from node.core.multilingual import Translation, ordered
from node.core.runtime import Node
from node.guides import review as review_jobs
from node.guides.inputs import GuideError, GuideInput, slug_of, validate
from node.guides.links import with_links
from node.guides.models import Guide, GuideRevision
from node.guides.topics import topic
from node.guides.wire import send, summary_of
from node.posts.content import render
from node.social.delivery import publish


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def translations_of(revision: GuideRevision) -> tuple[Translation, ...]:
    items = revision.translations if isinstance(revision.translations, list) else []
    return tuple(Translation(language=str(i.get("language", "")), title=str(i.get("title", "")),
                             text=str(i.get("text", ""))) for i in items if isinstance(i, dict))


def input_of(guide: Guide, revision: GuideRevision, note: str = "") -> GuideInput:
    return GuideInput(title=revision.title, topic=guide.topic, language=revision.language, source=revision.source,
                      translations=translations_of(revision), note=note, position=guide.position,
                      review_days=guide.review_days)


async def checked(inp: GuideInput) -> GuideInput:
    inp = validate(inp)
    if await topic(inp.topic) is None:
        raise GuideError(f"topic: there is no topic {inp.topic}", "topic")
    return inp


async def _rendered(node: Node, inp: GuideInput) -> dict[str, Any]:
    """The row's texts for this input: each language's Markdown with its guide links, rendered."""
    content, _ = render(node.urls, await with_links(inp.source, inp.language), {})
    names: dict[str, str] = {}
    contents: dict[str, str] = {}
    sources: dict[str, str] = {}
    for item in inp.translations:
        names[item.language] = item.title or inp.title
        contents[item.language], _ = render(node.urls, await with_links(item.text, item.language), {})
        sources[item.language] = item.text
    several = bool(inp.translations)
    return {
        "title": inp.title, "language": inp.language, "source": inp.source, "content": content,
        "summary": summary_of(content),
        "name_map": ordered(inp.language, inp.title, names) if several else None,
        "content_map": ordered(inp.language, content, contents) if several else None,
        "source_map": ordered(inp.language, inp.source, sources) if several else None,
    }


def _revision_values(inp: GuideInput) -> dict[str, Any]:
    return {"title": inp.title, "language": inp.language, "source": inp.source, "note": inp.note[:500],
            "translations": [{"language": t.language, "title": t.title, "text": t.text} for t in inp.translations]}


async def _free_slug(wanted: str) -> str:
    slug, number = wanted, 2
    while await Guide.filter(local=True, slug=slug).exists():
        slug, number = f"{wanted[:90]}-{number}", number + 1
    return slug


async def create_guide(node: Node, association: Actor, author: Actor, inp: GuideInput) -> Guide:
    """A new guide and its first revision, federated as a `Create` to the association's followers."""
    inp = await checked(inp)
    slug = await _free_slug(slug_of(inp.slug or inp.title))
    now = utcnow()
    async with in_transaction():
        guide = await Guide.create(
            uri=node.urls.base + f"/guides/{slug}", local=True, organizer=association,
            url=node.urls.base + f"/guides/{slug}", slug=slug, topic=inp.topic, position=inp.position,
            review_days=inp.review_days, published=now, reviewed_at=now, reviewed_by=author.name or author.username or "",
            **await _rendered(node, inp))
        await GuideRevision.create(guide=guide, author=author, status="accepted", **_revision_values(inp))
        await send(node, guide, association, "Create")
        await _relink(node, slug)
    await review_jobs.ensure_review_job(node)
    return guide


async def _relink(node: Node, slug: str) -> None:
    """The guides that linked to `slug` before it existed: rendered again with the link (an Update
    each, no new revision: their Markdown did not change)."""
    needle = f"[[{slug}]]"
    for other in await Guide.filter(local=True, deleted_at=None, source__contains="[["):
        sources = [other.source, *((other.source_map or {}).values() if isinstance(other.source_map, dict) else ())]
        if other.slug != slug and any(needle in str(text) for text in sources):
            await _apply(node, other, input_of(other, (await history(other))[0]))


async def _apply(node: Node, guide: Guide, inp: GuideInput) -> None:
    """The guide's row from an accepted input, dated and federated as an `Update` (caller's transaction)."""
    await guide.update_from_dict({**await _rendered(node, inp), "topic": inp.topic, "position": inp.position,
                                  "review_days": inp.review_days, "updated": utcnow()})
    await guide.save()
    await send(node, guide, await Actor.get(id=guide.organizer_id), "Update")


def _live(guide: Guide) -> None:
    if not guide.local or guide.deleted_at is not None:
        raise GuideError("this guide cannot be changed here")


async def save_revision(node: Node, guide: Guide, author: Actor, inp: GuideInput) -> GuideRevision:
    """An editor's or trusted writer's save: a new accepted revision, applied and federated."""
    _live(guide)
    inp = await checked(inp)
    async with in_transaction():
        revision = await GuideRevision.create(guide=guide, author=author, status="accepted", **_revision_values(inp))
        await _apply(node, guide, inp)
    return revision


async def propose(guide: Guide, author: Actor, inp: GuideInput) -> GuideRevision:
    """A member's proposed change: a pending revision, nothing published until an editor accepts it."""
    _live(guide)
    inp = await checked(inp)
    if inp.topic != guide.topic:
        raise GuideError("topic: only editors move a guide to another topic", "topic")
    return await GuideRevision.create(guide=guide, author=author, status="pending", **_revision_values(inp))


async def decide(node: Node, proposal: GuideRevision, editor: Actor, accept: bool) -> GuideRevision | None:
    """Accept (a new accepted revision by the proposer, applied and federated) or reject a proposal."""
    guide = await Guide.get(id=proposal.guide_id)
    _live(guide)
    if proposal.status != "pending":
        raise GuideError("this proposal was decided already")
    name = editor.name or editor.username or ""
    async with in_transaction():
        proposal.status = "merged" if accept else "rejected"
        proposal.decided_by, proposal.decided_at = name, utcnow()
        await proposal.save(update_fields=["status", "decided_by", "decided_at"])
        if not accept:
            return None
        inp = await checked(input_of(guide, proposal, proposal.note))
        revision = await GuideRevision.create(guide=guide, author_id=proposal.author_id, status="accepted",
                                              decided_by=name, decided_at=utcnow(), **_revision_values(inp))
        await _apply(node, guide, inp)
    return revision


async def revert(node: Node, guide: Guide, revision: GuideRevision, author: Actor) -> GuideRevision:
    """A new revision with the texts of an old one."""
    if revision.guide_id != guide.id or revision.status != "accepted":
        raise GuideError("that revision is not in this guide's history")
    number = await revision_number(revision)
    return await save_revision(node, guide, author, input_of(guide, revision, f"Reverted to revision {number}"))


async def revision_number(revision: GuideRevision) -> int:
    """Its place in the guide's history (1 for the first save)."""
    return await GuideRevision.filter(guide_id=revision.guide_id, status="accepted", id__lte=revision.id).count()


async def history(guide: Guide) -> list[GuideRevision]:
    """Accepted revisions, newest first, with their authors."""
    return await GuideRevision.filter(guide=guide, status="accepted").order_by("-id").prefetch_related("author")


async def pending(guide: Guide | None = None) -> list[GuideRevision]:
    query = GuideRevision.filter(status="pending", guide__deleted_at=None)
    if guide is not None:
        query = query.filter(guide=guide)
    return await query.order_by("id").prefetch_related("author", "guide")


async def mark_reviewed(guide: Guide, reviewer: Actor) -> Guide:
    _live(guide)
    guide.reviewed_at = utcnow()
    guide.reviewed_by = reviewer.name or reviewer.username or ""
    await guide.save(update_fields=["reviewed_at", "reviewed_by"])
    return guide


async def delete_guide(node: Node, guide: Guide) -> None:
    """Gone: a Tombstone (410) at its address and a `Delete` to the association's followers."""
    _live(guide)
    organizer = await Actor.get(id=guide.organizer_id)
    now = utcnow()
    async with in_transaction():
        guide.deleted_at = now
        await guide.save(update_fields=["deleted_at"])
        tombstone = vocab.tombstone(guide.uri, "Article", now)
        tombstone.pop("@context")
        to, cc = vocab.addressing("public", organizer.followers_url or "")
        await publish(node, organizer, vocab.activity("Delete", f"{guide.uri}#delete", organizer.uri, tombstone,
                                                      to=to, cc=cc))


async def local_guides(topic_slug: str | None = None) -> list[Guide]:
    query = Guide.filter(local=True, deleted_at=None)
    if topic_slug is not None:
        query = query.filter(topic=topic_slug)
    return await query.order_by("topic", "position", "title")


async def local_guide(slug: str) -> Guide | None:
    return await Guide.filter(local=True, slug=slug).first()
