"""A thread on the web: /topics/<slug> (served by node/forum/routes.py, which answers AS2 clients
itself and HTML ones with `thread_view`), a post's place in it, subscribing, deleting one's own post,
publishing a draft topic and a post's history for moderators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from node.core import i18n, multilingual
from node.core.models import Actor, Post
from node.core.sanitize import plain_text
from node.forum import access, pages_cache, subscriptions, threads
from node.forum.categories import localized
from node.forum.models import Category, Entry, ReadMark, Revision, Subscription, Topic
from node.forum.pages_feeds import thread_meta
from node.polls import polls
from node.forum.pages import Viewer, category_view, language_of, page_number, small_number, viewer_of
from node.web.errors import PageRefusal
from node.web.forms import checked_form, no_store
from node.web.pages import node_of, render

_l = i18n.lazy
NO_TOPIC = (_l("Topic not found"), _l("There is no such topic here, or it is for members only: sign in to read it."))
REMOVED = (_l("Topic removed"), _l("A moderator or its author removed this topic."))
MAX_QUOTE = 2000


@dataclass
class Shown:
    """The topic a page is about, as its viewer may see it."""

    topic: Topic
    category: Category
    opening: Post  # with its author
    moderator: bool  # the viewer moderates the category


async def readable_topic(request: Request, viewer: Viewer) -> Shown:
    """The topic of the address, its category, opening post and whether the viewer moderates it;
    raises the refusal when they may not see it (members-only, held or a draft of someone else's,
    removed)."""
    topic = await Topic.get_or_none(slug=str(request.path_params["slug"])[:64])
    if topic is None:
        raise PageRefusal(404, *NO_TOPIC)
    category = await Category.get(id=topic.category_id)
    if not access.can_read(category, viewer.user):
        raise PageRefusal(404, *NO_TOPIC)
    moderator = await access.is_moderator(viewer.user, category)
    opening = await Post.get(id=topic.post_id).prefetch_related("author")
    mine = viewer.actor is not None and opening.author_id == viewer.actor.id
    # A draft is its author's alone; a held topic (a member's is a draft until approved) is also
    # shown to the category's moderators, with the approval buttons.
    if (topic.held or opening.draft) and not (mine or (moderator and topic.held)):
        raise PageRefusal(404, *NO_TOPIC)
    if topic.removed_at is not None and not moderator:
        raise PageRefusal(410, *REMOVED)
    return Shown(topic, category, opening, moderator)


async def page_of(topic: Topic, position: int) -> int:
    """The page of a thread that shows the post at this position (as visitors count the posts)."""
    before = await Entry.filter(topic=topic, post__draft=False, held=False, position__lt=position).count()
    return before // threads.PER_PAGE + 1


async def thread_location(post: Post) -> str | None:
    """Where the thread page shows a forum post (`/topics/<slug>?page=N#p<position>`), or None for a
    post that is in no thread."""
    entry = await Entry.get_or_none(post=post)
    if entry is None:
        return None
    topic = await Topic.get(id=entry.topic_id)
    page = await page_of(topic, entry.position)
    return f"/topics/{topic.slug}?page={page}#p{entry.position}" if page > 1 else f"/topics/{topic.slug}#p{entry.position}"


async def entry_views(topic: Topic, entries: list[Entry], wishes: list[str], fallback: str) -> list[dict[str, Any]]:
    """Each post as the thread shows it: its place, author, text in the reader's language (`wishes`),
    what it answers, removed or held."""
    known: dict[str, int] = {e.post.uri: e.position for e in entries}  # parents on this page need no query
    parents = {p for e in entries if (p := e.post.in_reply_to_uri) and p not in known}
    found = await Entry.filter(topic=topic, post__uri__in=list(parents)).values_list("post__uri", "position") if parents else []
    known.update({str(uri): int(position) for uri, position in found})
    edited = [e.post_id for e in entries if e.post.updated is not None]  # only an edited post shows its history
    revised = set(await Revision.filter(post_id__in=edited).values_list("post_id", flat=True)) if edited else set()
    views = []
    for entry in entries:
        post = entry.post
        parent = known.get(post.in_reply_to_uri or "")
        views.append({
            "entry": entry, "post": post, "author": post.author, "position": entry.position,
            "removed": entry.removed_at is not None or post.deleted_at is not None, "held": entry.held,
            "parent": parent or None,  # a reply to the opening post answers the topic: no link
            "history": post.id in revised, "shown": multilingual.show_post(post, wishes, fallback),
        })
    return views


async def mark_read(viewer: Viewer, topic: Topic, position: int) -> None:
    """A member saw the thread up to this position: the lists stop counting those posts as unread."""
    if viewer.actor is None:
        return
    mark, made = await ReadMark.get_or_create(actor=viewer.actor, topic=topic, defaults={"position": position})
    if not made and mark.position < position:
        mark.position = position
        await mark.save(update_fields=["position", "seen_at"])


async def quote_of(topic: Topic, request: Request, moderator: bool) -> tuple[str, int | None]:
    """The reply form's text when "Quote" was chosen: the post as a Markdown quote, and its position."""
    value = small_number(request.query_params.get("quote", ""))
    if value is None:
        return "", None
    entry = await Entry.get_or_none(topic=topic, position=value).prefetch_related("post", "post__author")
    if entry is None or entry.removed_at is not None or entry.post.deleted_at is not None or (entry.held and not moderator):
        return "", None
    author: Actor = entry.post.author
    await i18n.activate_request(request, node_of(request))  # "... wrote:" in the reader's language
    text = plain_text(entry.post.content, MAX_QUOTE)
    lines = "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())
    return f"{i18n.gettext('%(name)s wrote:', name=author.name or author.username or author.handle)}\n{lines}\n\n", entry.position


async def thread_view(request: Request) -> Response:
    """GET /topics/<slug> in HTML: the thread in order, one page of it, and the reply form (a
    visitor's from pages_cache.py when it was rendered a moment ago)."""
    return await pages_cache.visitor_page(request, rendered_thread)


async def rendered_thread(request: Request) -> Response:
    viewer = await viewer_of(request)
    shown = await readable_topic(request, viewer)
    topic, category, opening = shown.topic, shown.category, shown.opening
    if opening.draft:
        entries, pages = await Entry.filter(topic=topic, position=0).prefetch_related("post", "post__author"), 1
    else:
        entries, pages = await threads.thread_page(topic, page_number(request), moderator=shown.moderator, viewer=viewer.actor)
    language = language_of(request, viewer)
    wishes = [*multilingual.request_wishes(request, viewer.user), language]
    views = await entry_views(topic, entries, wishes, node_of(request).settings.association.language)
    if views:
        await mark_read(viewer, topic, views[-1]["position"])
    quote, quoted = await quote_of(topic, request, shown.moderator)
    subscribed = viewer.actor is not None and await Subscription.filter(actor=viewer.actor, topic=topic).exists()
    held = await Entry.get_or_none(topic=topic, position=0) if topic.held and shown.moderator else None
    return no_store(await render(
        request, "forum/thread.html", topic=topic, opening=opening, view=category_view(category, language),
        title=localized(topic.title_map, language, topic.title), posts=views, page=min(page_number(request), pages),
        pages=pages, moderator=shown.moderator, me=viewer.actor, member=viewer.member, quote=quote, quoted=quoted,
        may_reply=await access.may_reply(viewer.user, topic, category), subscribed=subscribed, language=language,
        og=await thread_meta(request, topic, category, opening, language), held=held,
        polls_voted=await polls.voted_in(viewer.user, [v["post"].id for v in views]),
    ))


async def post_in_thread(request: Request) -> Response:
    """GET /topics/<slug>/posts/<position>: the thread page that shows that post, at its anchor."""
    viewer = await viewer_of(request)
    topic = (await readable_topic(request, viewer)).topic
    position = small_number(request.path_params["position"])
    if position is None:
        raise PageRefusal(404, *NO_TOPIC)
    page = await page_of(topic, position)
    return RedirectResponse(f"/topics/{topic.slug}?page={page}#p{position}", status_code=303)


async def own_entry(request: Request) -> tuple[Viewer, Topic, Entry]:
    """The viewer's own post at /topics/<slug>/posts/<position>/...; raises the refusal otherwise."""
    viewer = await viewer_of(request)
    if viewer.actor is None:
        raise PageRefusal.login()
    topic = (await readable_topic(request, viewer)).topic
    position = small_number(request.path_params["position"])
    entry = await Entry.get_or_none(topic=topic, position=position).prefetch_related("post") if position is not None else None
    if entry is None or entry.post.author_id != viewer.actor.id:
        raise PageRefusal(403, "Not allowed", _l("Only its author changes or deletes a post."))
    if entry.removed_at is not None or entry.post.deleted_at is not None:
        raise PageRefusal(410, _l("Removed"), _l("This post was removed."))
    return viewer, topic, entry


async def delete_post(request: Request) -> Response:
    """GET: confirm deleting one's own post. POST: delete it (its place in the thread says "removed")."""
    viewer, topic, entry = await own_entry(request)
    if request.method == "GET":
        return no_store(await render(request, "forum/delete.html", topic=topic, entry=entry))
    await checked_form(request)
    assert viewer.actor is not None
    await threads.delete_own(node_of(request), entry.post, viewer.actor)
    return RedirectResponse("/forum" if entry.position == 0 else f"/topics/{topic.slug}/posts/{entry.position}", status_code=303)


async def publish_draft(request: Request) -> Response:
    """POST /topics/<slug>/publish: the author publishes the topic they kept as a draft."""
    viewer = await viewer_of(request)
    if viewer.actor is None:
        raise PageRefusal.login()
    shown = await readable_topic(request, viewer)
    topic, opening = shown.topic, shown.opening
    if opening.author_id != viewer.actor.id:
        raise PageRefusal(403, "Not allowed", _l("Only its author publishes a draft."))
    await checked_form(request)
    try:
        await threads.publish_topic(node_of(request), topic)
    except threads.ForumError as exc:
        raise PageRefusal(400, _l("Not possible"), str(exc)) from None
    return RedirectResponse(f"/topics/{topic.slug}", status_code=303)


async def subscribe_topic(request: Request) -> Response:
    """POST /topics/<slug>/subscribe: be notified of (or stop hearing of) new replies."""
    viewer = await viewer_of(request)
    if viewer.actor is None:
        raise PageRefusal.login()
    form = await checked_form(request)
    topic = (await readable_topic(request, viewer)).topic
    if form.get("do") == "unsubscribe":
        await subscriptions.unsubscribe(viewer.actor, topic=topic)
    else:
        await subscriptions.subscribe(viewer.actor, topic=topic)
    return RedirectResponse(f"/topics/{topic.slug}", status_code=303)


async def history(request: Request) -> Response:
    """GET /topics/<slug>/posts/<position>/history: a post's earlier versions, for moderators."""
    viewer = await viewer_of(request)
    shown = await readable_topic(request, viewer)
    topic = shown.topic
    if not shown.moderator:
        raise PageRefusal(403, "Not allowed", _l("Only the category's moderators see a post's history."))
    position = small_number(request.path_params["position"])
    entry = await Entry.get_or_none(topic=topic, position=position).prefetch_related("post") if position is not None else None
    if entry is None:
        raise PageRefusal(404, *NO_TOPIC)
    revisions = await Revision.filter(post_id=entry.post_id).order_by("-id").prefetch_related("editor")
    return no_store(await render(request, "forum/history.html", topic=topic, entry=entry, revisions=revisions))


def routes() -> list[BaseRoute]:
    """The thread's own pages besides /topics/<slug> (node/forum/routes.py serves that one)."""
    return [
        Route("/topics/{slug}/posts/{position}", post_in_thread, methods=["GET"]),
        Route("/topics/{slug}/posts/{position}/delete", delete_post, methods=["GET", "POST"]),
        Route("/topics/{slug}/posts/{position}/history", history, methods=["GET"]),
        Route("/topics/{slug}/publish", publish_draft, methods=["POST"]),
        Route("/topics/{slug}/subscribe", subscribe_topic, methods=["POST"]),
    ]
