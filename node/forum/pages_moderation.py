"""The forum moderators' pages: the buttons of the thread page (lock, unlock, pin, unpin; remove and
restore a post, with a reason; approve or reject a held one), the move form, and the approval queue
(/moderation/forum: the held topics and replies of the categories the member moderates).

Every action goes through node/forum/moderation.py (and moderation_queue.py), which checks who may and
writes the audit log. A visitor is sent to the login page; a member who does not moderate the category
gets 403 with the reason; a mistake (locked already, no reason given) 400 with what to do."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from node.core import i18n
from node.core.models import User
from node.core.sanitize import clean_html
from node.forum import moderation, moderation_queue
from node.forum.access import ForumError, is_moderator
from node.forum.categories import localized, ordered_categories
from node.forum.models import Category, Entry, Topic
from node.web import auth
from node.web.errors import PageRefusal
from node.web.forms import checked_form, no_store, text_field
from node.web.pages import node_of, render

_l = i18n.lazy
NO_TOPIC = (_l("Topic not found"), _l("There is no such topic here, or it is for members only: sign in to read it."))
NO_POST = (_l("Post not found"), _l("There is no post at this place of the topic."))
MAX_POSITION = 10**9


async def _member(request: Request) -> User:
    user = await auth.current_user(request)
    if user is None or user.disabled:
        raise PageRefusal.login()
    return user


async def _topic(request: Request, user: User) -> tuple[Topic, Category]:
    """The topic of the address and its category, for one of its moderators (403 for anyone else)."""
    topic = await Topic.get_or_none(slug=str(request.path_params["slug"])[:64])
    if topic is None:
        raise PageRefusal(404, *NO_TOPIC)
    category = await Category.get(id=topic.category_id)
    if not await is_moderator(user, category):
        if category.read_access != "public":
            raise PageRefusal(404, *NO_TOPIC)  # a members-only category's topics are not confirmed to outsiders
        raise PageRefusal(403, "Not allowed", moderation.N_(
            "Only the moderators of this category, the node's moderators and admins can do this."))
    return topic, category


async def _entry(request: Request, topic: Topic) -> Entry:
    raw = str(request.path_params["position"])
    entry = await Entry.get_or_none(topic=topic, position=int(raw)) if raw.isdigit() and int(raw) < MAX_POSITION else None
    if entry is None:
        raise PageRefusal(404, *NO_POST)
    return entry


def _thread(topic: Topic, position: int | None = None) -> RedirectResponse:
    return RedirectResponse(f"/topics/{topic.slug}" + (f"#p{position}" if position else ""), status_code=303)


def _not_possible(exc: ForumError) -> PageRefusal:
    if isinstance(exc, moderation.NotModerator):
        return PageRefusal(403, "Not allowed", str(exc))
    return PageRefusal(400, _l("Not possible"), str(exc))


async def topic_action(request: Request) -> Response:
    """POST /topics/<slug>/{lock,unlock,pin,unpin} (a lock may say why: `reason`)."""
    user = await _member(request)
    form = await checked_form(request)
    await i18n.activate_request(request, node_of(request))
    topic, _ = await _topic(request, user)
    verb = request.url.path.rsplit("/", 1)[1]
    node = node_of(request)
    try:
        if verb in ("lock", "unlock"):
            await moderation.set_locked(node, topic, user, verb == "lock", text_field(form, "reason"))
        else:
            await moderation.set_pinned(node, topic, user, verb == "pin")
    except ForumError as exc:
        raise _not_possible(exc) from None
    return _thread(topic)


async def move_page(request: Request) -> Response:
    """GET: the form choosing the category; POST `category`: the topic moves there."""
    user = await _member(request)
    topic, category = await _topic(request, user)
    language = i18n.choose(request, node_of(request), user)
    choices = [c for c in await ordered_categories()
               if c.id != category.id and c.read_access == category.read_access and await is_moderator(user, c)]
    options = [{"slug": c.slug, "name": localized(c.name_map, language, c.slug)} for c in choices]
    error = None
    if request.method == "POST":
        form = await checked_form(request)
        await i18n.activate_request(request, node_of(request))
        target = next((c for c in choices if c.slug == text_field(form, "category")), None)
        if target is not None:
            try:
                await moderation.move(node_of(request), topic, target, user)
            except ForumError as exc:
                raise _not_possible(exc) from None
            return _thread(topic)
        error = _l("Choose one of the categories offered.")
    return no_store(await render(
        request, "forum/moderation_move.html", status=400 if error else 200, topic=topic, options=options, error=error,
        current=localized(category.name_map, language, category.slug),
        title=localized(topic.title_map, language, topic.title),
    ))


async def remove_page(request: Request) -> Response:
    """GET: the form asking why; POST `reason`: the post (the opening one: the topic) is removed."""
    user = await _member(request)
    topic, _ = await _topic(request, user)
    entry = await _entry(request, topic)
    error, reason = None, ""
    if request.method == "POST":
        form = await checked_form(request)
        await i18n.activate_request(request, node_of(request))
        reason = text_field(form, "reason")
        try:
            await moderation.remove(node_of(request), entry, user, reason)
            return _thread(topic, entry.position)
        except moderation.NotModerator as exc:
            raise _not_possible(exc) from None
        except ForumError as exc:
            error = str(exc)
    await entry.fetch_related("post")
    return no_store(await render(
        request, "forum/moderation_remove.html", status=400 if error else 200, topic=topic, entry=entry,
        html=clean_html(entry.post.content), error=error, reason=reason[:moderation.MAX_REASON],
    ))


async def restore_post(request: Request) -> Response:
    """POST /topics/<slug>/posts/<position>/restore: undo a moderator's removal."""
    user = await _member(request)
    await checked_form(request)
    await i18n.activate_request(request, node_of(request))
    topic, _ = await _topic(request, user)
    entry = await _entry(request, topic)
    try:
        await moderation.restore(node_of(request), entry, user)
    except ForumError as exc:
        raise _not_possible(exc) from None
    return _thread(topic, entry.position)


def _queue_item(entry: Entry, language: str) -> dict[str, Any]:
    topic: Topic = entry.topic
    category: Category = topic.category
    return {"entry": entry, "post": entry.post, "author": entry.post.author, "topic": topic,
            "title": localized(topic.title_map, language, topic.title),
            "category": localized(category.name_map, language, category.slug), "html": clean_html(entry.post.content),
            "opening": entry.position == 0}


async def queue_page(request: Request) -> Response:
    """GET: the held topics and replies of the categories the member moderates; POST `id` and
    `decision` (approve or reject), back to the queue (or to `back`, a thread page)."""
    user = await _member(request)
    if await moderation.moderated_categories(user) == []:
        raise PageRefusal(403, "Not allowed", _l("Only the forum's moderators see the approval queue."))
    if request.method == "POST":
        return await _decide(request, user)
    language = i18n.choose(request, node_of(request), user)
    items = [_queue_item(e, language) for e in await moderation_queue.queue(user)]
    return no_store(await render(request, "forum/moderation_queue.html", items=items))


async def _decide(request: Request, user: User) -> Response:
    form = await checked_form(request)
    await i18n.activate_request(request, node_of(request))
    decision, raw = text_field(form, "decision"), text_field(form, "id")
    if decision not in ("approve", "reject") or not raw.isdigit() or len(raw) > 18:
        raise PageRefusal(400, _l("Unknown decision"), _l("Approve or reject one of the posts on the page."))
    entry = await Entry.get_or_none(id=int(raw))
    if entry is None:
        raise PageRefusal(400, _l("Not possible"), moderation.N_("This post was handled already."))
    try:
        if decision == "approve":
            await moderation_queue.approve(node_of(request), entry, user)
        else:
            await moderation_queue.reject(node_of(request), entry, user)
    except ForumError as exc:
        raise _not_possible(exc) from None
    back = text_field(form, "back")
    if back.startswith("/topics/") and "//" not in back and decision == "approve":
        return RedirectResponse(back, status_code=303)
    return RedirectResponse("/moderation/forum", status_code=303)


def routes() -> list[BaseRoute]:
    return [
        *[Route(f"/topics/{{slug}}/{verb}", topic_action, methods=["POST"]) for verb in ("lock", "unlock", "pin", "unpin")],
        Route("/topics/{slug}/move", move_page, methods=["GET", "POST"]),
        Route("/topics/{slug}/posts/{position}/remove", remove_page, methods=["GET", "POST"]),
        Route("/topics/{slug}/posts/{position}/restore", restore_post, methods=["POST"]),
        Route("/moderation/forum", queue_page, methods=["GET", "POST"]),
    ]
