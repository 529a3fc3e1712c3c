"""The forum on the web: the category list (/forum), a category's topic list (/forum/<slug>) and the
subscribe buttons; what the other forum pages share (who is looking, the category a page is about).
The thread page is pages_thread.py, the writing forms pages_compose.py, the admin's pages_admin.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from node.core import i18n
from node.core.models import Actor, User
from node.forum import access, subscriptions
from node.forum.categories import category_by_slug, localized, ordered_categories
from node.forum.models import Category, ReadMark, Subscription, Topic, Visit
from node.web import auth
from node.web.errors import PageRefusal
from node.web.forms import checked_form, no_store
from node.web.pages import node_of, render

_l = i18n.lazy
PER_PAGE = 30
SORTS = {"latest": ("-pinned", "-last_activity_at", "-id"), "new": ("-pinned", "-created_at", "-id"),
         "top": ("-pinned", "-reply_count", "-like_count", "-last_activity_at")}
SORT_LABELS = {"latest": _l("Latest activity"), "new": _l("Newest"), "top": _l("Most active")}
VISIT_GAP = timedelta(hours=1)  # a visit after this long begins a new one: what was seen before is old
NO_CATEGORY = (_l("Category not found"),
               _l("There is no such category here, or it is for members only: sign in to read it."))


@dataclass
class Viewer:
    """Who looks at a forum page: a signed-in member (with their actor) or a visitor."""

    user: User | None
    actor: Actor | None

    @property
    def member(self) -> bool:
        return self.user is not None


async def viewer_of(request: Request) -> Viewer:
    user = await auth.current_user(request)
    actor = await Actor.get_or_none(id=user.actor_id) if user is not None else None
    return Viewer(user, actor)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


async def readable_category(slug: str, viewer: Viewer) -> Category:
    """The category a page is about, if the viewer may read it; else the 404 that says why."""
    category = await category_by_slug(slug)
    if category is None or not access.can_read(category, viewer.user):
        raise PageRefusal(404, *NO_CATEGORY)
    return category


def language_of(request: Request, viewer: Viewer) -> str:
    """The reader's language (the interface's), for category names and descriptions."""
    return i18n.choose(request, node_of(request), viewer.user)


def category_view(category: Category, language: str) -> dict[str, Any]:
    return {"category": category, "slug": category.slug, "name": localized(category.name_map, language, category.slug),
            "description": localized(category.description_map, language), "color": category.color,
            "icon": category.icon, "members_only": category.read_access == "members"}


async def record_visit(actor: Actor) -> datetime | None:
    """A member opens the forum: when their previous visit ended (what "new" is measured from)."""
    now = utcnow()
    visit, made = await Visit.get_or_create(actor=actor, defaults={"seen_at": now})  # two tabs at once: one row
    if made:
        return None
    if now - visit.seen_at > VISIT_GAP:
        visit.previous_at = visit.seen_at
    visit.seen_at = now
    await visit.save(update_fields=["previous_at", "seen_at"])
    return visit.previous_at


def visible_topics(category: Category) -> Any:
    return Topic.filter(category=category, held=False, removed_at=None, post__draft=False, post__deleted_at=None)


async def forum_page(request: Request) -> Response:
    """GET /forum: the categories the viewer may read, with counts, last activity and what is new."""
    viewer = await viewer_of(request)
    since = await record_visit(viewer.actor) if viewer.actor is not None else None
    language = language_of(request, viewer)
    shown = []
    for category in await ordered_categories():
        if not access.can_read(category, viewer.user):
            continue
        view = category_view(category, language)
        if viewer.member:
            new = visible_topics(category)
            view["new"] = await (new.filter(created_at__gt=since) if since is not None else new).count()
        shown.append(view)
    return no_store(await render(request, "forum/index.html", categories=shown, member=viewer.member,
                                 since=since, is_admin=bool(viewer.user and viewer.user.role == "admin")))


def small_number(text: object) -> int | None:
    """A count or position written in ASCII digits (at most 10^9), or None: never a database error."""
    if isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    return None


def page_number(request: Request) -> int:
    value = small_number(request.query_params.get("page", "1")) or 1
    return min(value, 10_000)


async def unread_marks(viewer: Viewer, topics: list[Topic], since: datetime | None) -> dict[int, dict[str, Any]]:
    """For a member: each topic's "new" mark (never opened and active since the last visit) or its
    count of posts not read yet."""
    if viewer.actor is None:
        return {}
    marks = {m.topic_id: m.position for m in await ReadMark.filter(actor=viewer.actor, topic_id__in=[t.id for t in topics])}
    found: dict[int, dict[str, Any]] = {}
    for topic in topics:
        if topic.id in marks:
            found[topic.id] = {"new": False, "unread": max(0, topic.last_position - marks[topic.id])}
        else:
            found[topic.id] = {"new": since is None or topic.last_activity_at > since, "unread": 0}
    return found


async def category_page(request: Request) -> Response:
    """GET /forum/<slug>: its topics, pinned first, then by latest activity, newest or most active."""
    viewer = await viewer_of(request)
    category = await readable_category(request.path_params["slug"], viewer)
    sort = request.query_params.get("sort", "latest")
    sort = sort if sort in SORTS else "latest"
    query = visible_topics(category)
    total = await query.count()
    pages = max(1, -(-total // PER_PAGE))
    page = min(page_number(request), pages)
    topics = await query.order_by(*SORTS[sort]).offset((page - 1) * PER_PAGE).limit(PER_PAGE).prefetch_related("post__author")
    visit = await Visit.get_or_none(actor=viewer.actor) if viewer.actor is not None else None
    subscribed = viewer.actor is not None and await Subscription.filter(
        actor=viewer.actor, category=category, topic_id=None).exists()
    language = language_of(request, viewer)
    return no_store(await render(
        request, "forum/category.html", view=category_view(category, language), topics=topics,
        titles={t.id: localized(t.title_map, language, t.title) for t in topics},
        sort=sort, sorts=SORT_LABELS, page=page, pages=pages, marks=await unread_marks(viewer, topics, visit.previous_at if visit is not None else None),
        may_start=await access.may_start(viewer.user, category), member=viewer.member, subscribed=subscribed,
        moderator=await access.is_moderator(viewer.user, category),
    ))


async def subscribe_category(request: Request) -> Response:
    """POST /forum/<slug>/subscribe: follow (or stop following) every new post of a category."""
    viewer = await viewer_of(request)
    if viewer.actor is None:
        raise PageRefusal.login()
    form = await checked_form(request)
    category = await readable_category(request.path_params["slug"], viewer)
    if form.get("do") == "unsubscribe":
        await subscriptions.unsubscribe(viewer.actor, category_id=category.id)
    else:
        await subscriptions.subscribe(viewer.actor, category_id=category.id)
    raise PageRefusal.redirect(f"/forum/{category.slug}")


def routes() -> list[BaseRoute]:
    """The forum's pages (the thread page itself is served through node/forum/routes.py)."""
    return [
        Route("/forum", forum_page, methods=["GET"]),
        Route("/forum/{slug}", category_page, methods=["GET"]),
        Route("/forum/{slug}/subscribe", subscribe_category, methods=["POST"]),
    ]
