"""What the mailing list tells subscribers about: what is published on the node, as items.

An item is a local public post (not a draft, not a reply, not a forum post), a local event (not a draft,
not cancelled), a local initiative (not a draft), an open local opportunity, or the opening post of a
forum topic in a category anyone may read (never a members-only category). Each has a moment, the time
it went out (`published`, which a draft or a held topic gets when it is published), by which the
instant scan and the digests find what is new; `load` reads one item again at sending time, so that
what was deleted, closed or moved to a members-only category meanwhile is not sent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from node.core import formats, multilingual
from node.core.models import Post
from node.core.runtime import Node
from node.core.sanitize import plain_text
from node.events.models import Event
from node.forum.access import can_read
from node.forum.models import Category, Entry, Topic
from node.initiatives.models import Initiative
from node.mailing.models import Subscriber
from node.opportunities.models import Opportunity

KINDS = ("posts", "events", "initiatives", "opportunities", "forum")  # the kinds of Subscriber.kinds that are items
EXCERPT = 300
TITLE = 120
Texts = tuple[str, Mapping[str, Any] | None]


@dataclass(frozen=True)
class Item:
    """One published thing, with its texts in every language it was written in."""

    kind: str  # of KINDS
    id: int
    at: datetime  # when it was published
    url: str
    language: str  # its default language
    title: Texts  # (default text, {language: text})
    text: Texts  # HTML, (default, map)
    category_id: int | None = None  # forum topics
    category_names: Mapping[str, Any] | None = None
    start: datetime | None = None  # events
    timezone: str | None = None

    def shown(self, language: str) -> Shown:
        """Title, excerpt and details in `language` when the item has it, else in its own."""
        picked = multilingual.shown(self.language, [language], self.title, ("", None), self.text)
        excerpt = plain_text(picked.content, EXCERPT)
        title = _short(" ".join(picked.title.split()))  # titles are plain text
        if not title:  # a post without a content warning: its text's beginning, not twice when short
            title = plain_text(picked.content, TITLE)
            excerpt = "" if excerpt == title else excerpt
        when = _when(self.start, self.timezone) if self.start is not None else ""
        category = _localized(self.category_names, language)
        return Shown(title=title, excerpt=excerpt, url=self.url, when=when, category=category,
                     language=picked.language, dir=picked.dir)


@dataclass(frozen=True)
class Shown:
    title: str
    excerpt: str
    url: str
    when: str  # an event's start, in the reader's language
    category: str  # a forum topic's category
    language: str
    dir: str


def _when(start: datetime, zone: str | None) -> str:
    """An event's start in the reader's language, in the event's own time zone (named)."""
    day = formats.format_date(start, "full", tz=zone)
    hour = formats.format_time(start, "short", tz=zone)
    return f"{day}, {hour} ({zone})" if zone else f"{day}, {hour}"


def _short(text: str) -> str:
    return text if len(text) <= TITLE else text[: TITLE - 1].rstrip() + "…"


def _localized(values: Mapping[str, Any] | None, language: str) -> str:
    texts = {k: v for k, v in (values or {}).items() if isinstance(k, str) and isinstance(v, str) and v}
    if not texts:
        return ""
    tag = multilingual.choose(list(texts), [language])
    return texts[tag] if tag is not None else next(iter(texts.values()))


def matches(subscriber: Subscriber, item: Item) -> bool:
    """The subscriber chose this kind (and, for the forum, its category: no category chosen means
    every public category)."""
    kinds = subscriber.kinds if isinstance(subscriber.kinds, list) else []
    if item.kind not in kinds:
        return False
    if item.kind == "forum":
        chosen = [c for c in (subscriber.categories if isinstance(subscriber.categories, list) else []) if isinstance(c, int)]
        return not chosen or item.category_id in chosen
    return True


def _map(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def _fallback(node: Node, language: str | None) -> str:
    return language or node.settings.association.language or "en"


# ------------------------------------------------------------------ one kind each


async def _forum_post_ids(post_ids: Sequence[int]) -> set[int]:
    if not post_ids:
        return set()
    return set(await Entry.filter(post_id__in=list(post_ids)).values_list("post_id", flat=True))  # type: ignore[arg-type]


def _post_item(node: Node, post: Post) -> Item:
    title = (post.summary, _map(post.summary_map)) if post.summary else ("", None)
    return Item("posts", post.id, post.published, post.url or post.uri, _fallback(node, post.language), title,
                (post.content, _map(post.content_map)))


async def _posts(node: Node, rows: Iterable[Post]) -> list[Item]:
    found = [p for p in rows if p.local and not p.draft and p.deleted_at is None and not p.held
             and p.visibility == "public" and not p.in_reply_to_uri]
    forum = await _forum_post_ids([p.id for p in found])
    return [_post_item(node, p) for p in found if p.id not in forum]


def _event_item(node: Node, event: Event) -> Item:
    return Item("events", event.id, event.published, event.url or event.uri, _fallback(node, event.language),
                (event.name, _map(event.name_map)), (event.content, _map(event.content_map)),
                start=event.start, timezone=event.timezone)


def _event_ok(event: Event) -> bool:
    return event.local and not event.draft and event.deleted_at is None and event.status != "CANCELLED"


def _initiative_item(node: Node, row: Initiative) -> Item:
    text = (row.summary, _map(row.summary_map)) if row.summary else (row.content, _map(row.content_map))
    return Item("initiatives", row.id, row.published, row.url or row.uri, _fallback(node, row.language),
                (row.title, _map(row.name_map)), text)


def _opportunity_item(node: Node, row: Opportunity) -> Item:
    return Item("opportunities", row.id, row.published, row.url or row.uri, _fallback(node, row.language),
                (row.title, _map(row.name_map)), (row.content, _map(row.content_map)))


async def _topics(node: Node, rows: Iterable[Topic]) -> list[Item]:
    """Topics whose opening post is out, in categories anyone may read."""
    rows = [t for t in rows if not t.held and t.removed_at is None]
    categories = {c.id: c for c in await Category.filter(id__in=list({t.category_id for t in rows}))}
    posts = {p.id: p for p in await Post.filter(id__in=[t.post_id for t in rows])}
    found = []
    for topic in rows:
        category = categories.get(topic.category_id)
        post = posts.get(topic.post_id)
        if category is None or not can_read(category, None) or post is None or post.draft or post.deleted_at is not None:
            continue
        found.append(Item("forum", topic.id, post.published, f"{node.urls.base}/topics/{topic.slug}",
                          _fallback(node, post.language), (topic.title, _map(topic.title_map)),
                          (post.content, _map(post.content_map)), category_id=category.id,
                          category_names=_map(category.name_map)))
    return found


# ------------------------------------------------------------------ reading


async def published_between(node: Node, since: datetime, until: datetime, kinds: Iterable[str] = KINDS) -> list[Item]:
    """The items published in (since, until], oldest first."""
    wanted = set(kinds)
    window = {"published__gt": since, "published__lte": until}
    found: list[Item] = []
    if "posts" in wanted:
        found += await _posts(node, await Post.filter(local=True, draft=False, deleted_at=None, held=False,
                                                      visibility="public", in_reply_to_uri=None, **window))
    if "events" in wanted:
        rows = await Event.filter(local=True, draft=False, deleted_at=None, **window)
        found += [_event_item(node, e) for e in rows if _event_ok(e)]
    if "initiatives" in wanted:
        found += [_initiative_item(node, i) for i in await Initiative.filter(local=True, draft=False, deleted_at=None, **window)]
    if "opportunities" in wanted:
        found += [_opportunity_item(node, o) for o in await Opportunity.filter(local=True, status="open", **window)]
    if "forum" in wanted:
        topics = await Topic.filter(held=False, removed_at=None, post__draft=False, post__deleted_at=None,
                                    post__published__gt=since, post__published__lte=until)
        found += await _topics(node, topics)
    return sorted(found, key=lambda item: (item.at, KINDS.index(item.kind), item.id))


async def load(node: Node, kind: str, item_id: int) -> Item | None:
    """One item as it is now; None when it is no longer one (deleted, closed, members only...)."""
    if kind == "posts":
        post = await Post.get_or_none(id=item_id)
        found = await _posts(node, [post]) if post is not None else []
        return found[0] if found else None
    if kind == "events":
        event = await Event.get_or_none(id=item_id)
        return _event_item(node, event) if event is not None and _event_ok(event) else None
    if kind == "initiatives":
        initiative = await Initiative.get_or_none(id=item_id, local=True, draft=False, deleted_at=None)
        return _initiative_item(node, initiative) if initiative is not None else None
    if kind == "opportunities":
        opportunity = await Opportunity.get_or_none(id=item_id, local=True, status="open")
        return _opportunity_item(node, opportunity) if opportunity is not None else None
    if kind == "forum":
        topic = await Topic.get_or_none(id=item_id)
        topics = await _topics(node, [topic]) if topic is not None else []
        return topics[0] if topics else None
    return None

