"""Writing in the forum: a new topic (/forum/<slug>/new), a reply (/topics/<slug>/reply) and editing
one's own post (/topics/<slug>/posts/<position>/edit), each plugged into the one editor flow
(node/web/editor.py): Markdown, preview, drafts (topics), images with alt text, several languages
(a title per language for topics), mentions and tags."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from node.core import i18n
from node.core.models import Actor, Media, Post
from node.forum import access, threads
from node.forum.access import ForumError
from node.forum.models import Category, Entry, Topic
from node.forum.pages import Viewer, category_view, language_of, readable_category, small_number, viewer_of
from node.forum.pages_thread import own_entry, readable_topic
from node.polls import inputs as poll_inputs
from node.polls.inputs import PollError, PollInput
from node.polls.polls import with_poll
from node.posts.content import MAX_ATTACHMENTS, ContentError, Draft
from node.web import compose
from node.web.editor import Editor, form_page
from node.web.errors import PageRefusal
from node.web.forms import rows_from_translations, text_field
from node.web.pages import node_of, upload_form

_l = i18n.lazy
LABELS = {"title": _l("Title"), "text": _l("Text"), "language": _l("Language code (like en, fr or ar)")}


class ForumEditor(Editor[Draft]):
    """What the forum's three forms share: the post's fields, its images, its preview."""

    refusals = (ContentError, ForumError, PollError)
    titled = False  # a topic's opening post has a title (one per language)
    mode = "reply"

    def __init__(self, request: Request, form: FormData, author: Actor, topic: Topic | None = None) -> None:
        super().__init__(request, form, author)
        self.topic = topic
        self.values = compose.post_values(form, self.node.settings.association.language)
        self.values["title"] = text_field(form, "title")
        self.values["reply_to"] = text_field(form, "reply_to")
        self.images = compose.Images()
        self.stored: list[tuple[int, Media, str]] | None = None

    async def draft(self) -> Draft:
        draft = compose.draft_of(self.values, self.rows)
        titles = tuple((t.language, t.title) for t in draft.translations or () if t.title) if self.titled else ()
        draft = replace(draft, title=self.values["title"] if self.titled else "", titles=titles)
        self.images = await compose.images_of(self.node, self.author, self.form)
        return draft

    async def checked(self, draft: Draft) -> Draft:
        if self.titled and not draft.title.strip():
            raise ForumError(i18n.gettext("A topic needs a title."))
        await compose.preview_post(self.node, replace(draft, kind="Page" if self.titled else "Note"))
        return draft

    async def store(self, draft: Draft) -> Draft:
        self.stored = await compose.store_images(self.node, self.author, self.images)
        return draft

    async def preview(self, draft: Draft) -> list[dict[str, Any]]:
        versions = await compose.preview_post(self.node, replace(draft, kind="Note"))
        titles: dict[str, str] = {draft.language or "": draft.title, **dict(draft.titles)}
        for version in versions:
            version["title"] = titles.get(version["language"], draft.title)
        return versions

    def complete(self, draft: Draft, *, publish: bool = True) -> Draft:
        return compose.with_images(self.node, draft, self.stored or [], publish=publish)

    def labels(self) -> dict[str, Any]:
        return LABELS

    async def page(self, *, status: int = 200, error: str | None = None,
                   preview: list[dict[str, Any]] | None = None) -> Response:
        slots = await compose.slots_after(self.node, self.author, self.form, self.stored)
        return await forum_form(self.request, self.context(), values=self.values, rows=self.rows, slots=slots,
                                status=status, error=error, preview=preview, problems=self.problems)

    def context(self) -> dict[str, Any]:
        """What the form page shows besides the fields: its heading, address and buttons."""
        raise NotImplementedError


async def forum_form(request: Request, context: dict[str, Any], *, values: dict[str, str],
                     rows: list[dict[str, str]] | None = None, slots: list[compose.Slot] | None = None,
                     **more: Any) -> Response:
    return await form_page(request, "forum/compose.html", values=values, rows=rows,
                           slots=slots if slots is not None else compose.slots_for([]),
                           max_images=MAX_ATTACHMENTS, **context, **more)


class TopicEditor(ForumEditor):
    titled = True
    mode = "topic"

    def __init__(self, request: Request, form: FormData, author: Actor, category: Category, view: dict[str, Any]) -> None:
        super().__init__(request, form, author)
        self.category = category
        self.view = view
        self.poll: PollInput | None = None

    async def draft(self) -> Draft:
        draft = await super().draft()
        self.poll = poll_inputs.poll_from_form(self.form)  # a topic may open with a poll (a Question)
        if self.poll is not None and self.keeps_draft:
            raise PollError(i18n.gettext("A post with a poll is published at once, not kept as a draft."))
        return draft

    async def save(self, draft: Draft) -> str:
        complete = self.complete(draft, publish=not self.keeps_draft)
        started: list[Topic] = []

        async def start(version: Draft) -> Post:
            started.append(await threads.start_topic(self.node, self.author, self.category, version))
            return await Post.get(id=started[0].post_id)

        if self.poll is not None:
            await with_poll(complete, self.poll, start)
        else:
            await start(complete)
        return f"/topics/{started[0].slug}"

    def context(self) -> dict[str, Any]:
        return {**topic_context(self.view), "poll_form": poll_inputs.form_values(self.form)}


def topic_context(view: dict[str, Any]) -> dict[str, Any]:
    return {"mode": "topic", "view": view, "action": f"/forum/{view['slug']}/new", "heading": i18n.gettext(
        "New topic in %(name)s", name=view["name"]), "drafts": True, "titled": True,
        "poll_form": poll_inputs.form_values(None)}


class ReplyEditor(ForumEditor):
    async def save(self, draft: Draft) -> str:
        assert self.topic is not None
        parent = None
        position = small_number(self.values["reply_to"])
        if position is not None:
            found = await Entry.get_or_none(topic=self.topic, position=position).prefetch_related("post")
            parent = found.post if found is not None and found.position > 0 else None
        entry = await threads.reply(self.node, self.author, self.topic, self.complete(draft), parent)
        return f"/topics/{self.topic.slug}/posts/{entry.position}"

    def context(self) -> dict[str, Any]:
        assert self.topic is not None
        return {"mode": "reply", "topic": self.topic, "action": f"/topics/{self.topic.slug}/reply",
                "heading": i18n.gettext("Reply to “%(title)s”", title=self.topic.title), "drafts": False, "titled": False}


class EditEditor(ForumEditor):
    """One's own post changed: the version before is kept, the thread shows "edited"."""

    def __init__(self, request: Request, form: FormData, author: Actor, topic: Topic, entry: Entry) -> None:
        super().__init__(request, form, author, topic)
        self.entry = entry
        self.titled = entry.position == 0

    async def save(self, draft: Draft) -> str:
        assert self.topic is not None
        post: Post = self.entry.post
        await threads.edit(self.node, self.author, post, self.complete(draft))
        if post.draft and self.publishes:
            await threads.publish_topic(self.node, self.topic)
        return f"/topics/{self.topic.slug}/posts/{self.entry.position}"

    def context(self) -> dict[str, Any]:
        return edit_context(self.topic, self.entry)


def edit_context(topic: Topic | None, entry: Entry) -> dict[str, Any]:
    assert topic is not None
    return {"mode": "edit", "topic": topic, "action": f"/topics/{topic.slug}/posts/{entry.position}/edit",
            "heading": i18n.gettext("Edit your post"), "drafts": entry.post.draft, "titled": entry.position == 0,
            "editing": True}


async def starter(request: Request) -> tuple[Viewer, Category]:
    """The member who may start a topic in the category of the address; raises the refusal otherwise."""
    viewer = await viewer_of(request)
    if viewer.actor is None:
        raise PageRefusal.login()
    category = await readable_category(request.path_params["slug"], viewer)
    if not await access.may_start(viewer.user, category):
        raise PageRefusal(403, "Not allowed", _l("In this category, only editors start topics."))
    return viewer, category


async def new_topic(request: Request) -> Response:
    """GET/POST /forum/<slug>/new: the new-topic form."""
    viewer, category = await starter(request)
    view = category_view(category, language_of(request, viewer))
    if request.method == "GET":
        values = {"text": "", "summary": "", "title": "", "language": language_of(request, viewer), "reply_to": ""}
        return await forum_form(request, topic_context(view), values=values)
    form = await upload_form(request)
    assert viewer.actor is not None
    return await TopicEditor(request, form, viewer.actor, category, view).submit()


async def replier(request: Request) -> tuple[Viewer, Topic]:
    viewer = await viewer_of(request)
    if viewer.actor is None:
        raise PageRefusal.login()
    shown = await readable_topic(request, viewer)
    topic = shown.topic
    if not await access.may_reply(viewer.user, topic, shown.category):
        raise PageRefusal(403, _l("No new replies"), _l("This topic is locked: it takes no new replies."))
    return viewer, topic


async def reply_page(request: Request) -> Response:
    """GET/POST /topics/<slug>/reply: the full reply form (images, languages), and where the thread's
    own reply form is sent."""
    viewer, topic = await replier(request)
    if request.method == "GET":
        to = request.query_params.get("to", "")
        values = {"text": "", "summary": "", "title": "", "language": language_of(request, viewer),
                  "reply_to": to if small_number(to) is not None else ""}
        context = {"mode": "reply", "topic": topic, "action": f"/topics/{topic.slug}/reply", "drafts": False,
                   "heading": i18n.gettext("Reply to “%(title)s”", title=topic.title), "titled": False}
        return await forum_form(request, context, values=values)
    form = await upload_form(request)
    assert viewer.actor is not None
    return await ReplyEditor(request, form, viewer.actor, topic).submit()


async def edit_page(request: Request) -> Response:
    """GET/POST /topics/<slug>/posts/<position>/edit: the author changes their post."""
    viewer, topic, entry = await own_entry(request)
    post: Post = entry.post
    if request.method == "GET":
        values = {**compose.values_of_post(post), "title": topic.title if entry.position == 0 else "", "reply_to": ""}
        rows = compose.rows_of_post(post)
        if entry.position == 0:
            names = topic.title_map or {}
            rows = [{**row, "title": str(names.get(row["language"], ""))} for row in rows]
        images = (post.data or {}).get("images")
        return await forum_form(request, edit_context(topic, entry), values=values, rows=rows or rows_from_translations(()),
                                slots=compose.slots_for(images if isinstance(images, list) else []))
    form = await upload_form(request)
    assert viewer.actor is not None
    return await EditEditor(request, form, viewer.actor, topic, entry).submit()


def routes() -> list[BaseRoute]:
    return [
        Route("/forum/{slug}/new", new_topic, methods=["GET", "POST"]),
        Route("/topics/{slug}/reply", reply_page, methods=["GET", "POST"]),
        Route("/topics/{slug}/posts/{position}/edit", edit_page, methods=["GET", "POST"]),
    ]
