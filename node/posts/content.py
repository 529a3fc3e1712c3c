"""Posts: Markdown in, sanitized HTML Notes out; create, update, delete -> rows + outgoing activities.

A post may be written in several languages (the default one plus translations: `contentMap` and
`summaryMap` on the wire), carry images (`attachment`), and wait as a draft: stored, shown to editors
only, and neither listed, served over ActivityPub nor federated until `publish_post`."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from markdown_it import MarkdownIt
from tortoise.transactions import in_transaction

from federation import remote
from federation import vocab
from federation.client import FetchError
from federation.webfinger import resolve_handle
from node.accounts.actors import fetch_actor
from node.social.delivery import publish
from node.core.models import Actor, Post
from node.events.models import Event
from node.initiatives.models import Initiative
from node.core.multilingual import Translation, check_translations, normalize_tag, ordered, others
from node.core.runtime import Node
from node.core.sanitize import clean_html, plain_text
from node.core.urls import Urls

VISIBILITIES = ("public", "unlisted", "followers")
MEMBERS = "members"  # forum posts of a members-only category: never served, delivered nor listed publicly
MAX_SOURCE = 20_000
MAX_TITLE = 300
EXCERPT = 400  # characters of a titled post's body in its `summary`, what Mastodon shows under the title
MAX_ATTACHMENTS = 4

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False}).enable(
    ["linkify", "strikethrough"]
)
MENTION = re.compile(r"(?<![\w/@])@([A-Za-z0-9_.-]{1,64})@([A-Za-z0-9.-]+(?::\d{1,5})?)")
HASHTAG = re.compile(r"(?<![\w/&#])#(\w{1,64})", re.UNICODE)
TAG_SPLIT = re.compile(r"(<[^>]*>)")


class ContentError(ValueError):
    """A post that cannot be published as given; the message says why."""


@dataclass(frozen=True)
class Draft:
    """What an author writes. `translations` None keeps a post's other languages as they are (an edit
    that gives none), () removes them; `attachments` likewise (attachment documents, at most 4).
    `publish` False keeps the post as a draft."""

    text: str
    summary: str = ""
    language: str | None = None
    visibility: str = "public"
    in_reply_to: str | None = None
    audience: tuple[str, ...] = ()  # direct posts: the actors addressed besides mentions
    context: str | None = None  # the conversation or object this post belongs to (an initiative's story)
    translations: tuple[Translation, ...] | None = None
    attachments: tuple[dict[str, Any], ...] | None = None
    images: tuple[dict[str, Any], ...] | None = None  # how pages show them: key, url, srcset, width, height, alt
    publish: bool = True
    kind: str = "Note"  # "Page": a forum topic's opening post (a title, shown by Mastodon as a link)
    title: str = ""  # the title in the default language (titled kinds only)
    titles: tuple[tuple[str, str], ...] = ()  # (language, title) of the other languages
    group: str | None = None  # the forum category's Group actor (`audience`), addressed too
    url: str | None = None  # the page that shows it, when not the post's own (a topic's thread page)
    question: dict[str, Any] | None = None  # a poll's Question fields (node/polls), merged into its document

    def validate(self) -> None:
        if not self.text.strip():
            raise ContentError("the post is empty")
        if self.kind == "Page" and not self.title.strip():
            raise ContentError("a topic needs a title")
        if len(self.title) > MAX_TITLE or any(len(t) > MAX_TITLE for _, t in self.titles):
            raise ContentError(f"a title is longer than {MAX_TITLE} characters")
        if len(self.text) > MAX_SOURCE:
            raise ContentError(f"the post is longer than {MAX_SOURCE} characters")
        if self.visibility not in (*VISIBILITIES, "direct", MEMBERS):
            raise ContentError(f"visibility must be one of {', '.join(VISIBILITIES)}")
        if self.language is not None and not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", self.language):
            raise ContentError(f"not a language tag: {self.language!r}")
        if self.translations:
            check_translations(self.language or "", self.translations, ContentError, needs_text=True)
            for item in self.translations:
                if len(item.text) > MAX_SOURCE:
                    raise ContentError(f"the {item.language} text is longer than {MAX_SOURCE} characters")
        if self.attachments is not None and len(self.attachments) > MAX_ATTACHMENTS:
            raise ContentError(f"at most {MAX_ATTACHMENTS} images")


def translations_of(post: Post) -> tuple[Translation, ...]:
    """A post's other languages as the author wrote them (Markdown), for its edit form."""
    sources = (post.data or {}).get("source_map") if post.local else None
    sources = sources if isinstance(sources, dict) else {}
    summaries = post.summary_map or {}
    found = others(post.language, post.content_map)
    return tuple(
        Translation(language=tag, text=str(sources.get(tag) or ""), summary=str(summaries.get(tag) or ""))
        for tag in found
    )


def new_slug() -> str:
    return f"{int(time.time() * 1000):x}{secrets.token_hex(3)}"


def _link_text_segments(html: str, replace: Any) -> str:
    """Apply `replace` to text outside tags, links and code."""
    out: list[str] = []
    skip = 0
    for part in TAG_SPLIT.split(html):
        if part.startswith("<"):
            name = part[1:].lstrip("/").split(None, 1)[0].rstrip(">").lower() if len(part) > 2 else ""
            if name in ("a", "code", "pre"):
                skip += -1 if part.startswith("</") else 1
            out.append(part)
        else:
            out.append(part if skip > 0 else replace(part))
    return "".join(out)


async def resolve_mentions(node: Node, source: str) -> dict[str, Actor]:
    """@user@host -> actor, for every handle in the text that resolves (others stay plain text)."""
    found: dict[str, Actor] = {}
    for user, host in set(MENTION.findall(source)):
        handle = f"{user}@{host}"
        if host.lower() == node.urls.host.lower():
            actor = await Actor.get_or_none(local=True, username=user)
        else:
            try:
                actor = await fetch_actor(node, await resolve_handle(node.client, handle, scheme=node.webfinger_scheme(host)))
            except FetchError:
                actor = None
        if actor is not None:
            found[handle.lower()] = actor
    return found


def render(urls: Urls, source: str, mentions: dict[str, Actor]) -> tuple[str, list[dict[str, Any]]]:
    """Markdown -> sanitized HTML with mention and hashtag links, and the matching AS2 tags."""
    tags: list[dict[str, Any]] = []

    def link(segment: str) -> str:
        def mention(m: re.Match[str]) -> str:
            actor = mentions.get(f"{m.group(1)}@{m.group(2)}".lower())
            if actor is None:
                return m.group(0)
            name = f"@{m.group(1)}@{m.group(2)}"
            tags.append({"type": "Mention", "href": actor.uri, "name": name})
            href = actor.url or actor.uri
            return f'<span class="h-card"><a href="{href}" class="u-url mention">@<span>{m.group(1)}</span></a></span>'

        def hashtag(m: re.Match[str]) -> str:
            tag = m.group(1)
            href = f"{urls.base}/tags/{tag.lower()}"
            tags.append({"type": "Hashtag", "href": href, "name": f"#{tag.lower()}"})
            return f'<a href="{href}" class="mention hashtag" rel="tag">#<span>{tag}</span></a>'

        return HASHTAG.sub(hashtag, MENTION.sub(mention, segment))

    html = _link_text_segments(_markdown.render(source), link)
    unique = list({(t["type"], t["href"]): t for t in tags}.values())
    return clean_html(html), unique


def note_document(node: Node, post: Post, author: Actor) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": vocab.CONTEXT,
        "id": post.uri,
        "type": post.kind,
        "attributedTo": author.uri,
        "content": post.content,
        "published": vocab.iso(post.published),
        "url": post.url or post.uri,
        "to": post.to,
        "cc": post.cc,
        "sensitive": post.sensitive,
        "tag": post.tags,
        "replies": f"{post.uri}/replies",
        "likes": f"{post.uri}/likes",
        "shares": f"{post.uri}/shares",
    }
    data = post.data or {}
    title = data.get("name")
    if isinstance(title, str) and title:
        doc["name"] = title
        names = data.get("name_map")
        if isinstance(names, dict) and len(names) > 1:
            doc["nameMap"] = ordered(post.language or "", title, others(post.language, names))
        if not post.summary:  # Mastodon shows a Page as its title, its summary and a link
            doc["summary"] = excerpt(post.content)
    if post.summary:
        doc["summary"] = post.summary
    if post.language:
        # Mastodon takes the post's language from contentMap's first key: the default language first.
        doc["contentMap"] = ordered(post.language, post.content, others(post.language, post.content_map))
        summaries = ordered(post.language, post.summary, others(post.language, post.summary_map))
        if summaries:
            doc["summaryMap"] = summaries
    if post.attachments:
        doc["attachment"] = [dict(a) for a in post.attachments if isinstance(a, dict)]
    if post.in_reply_to_uri:
        doc["inReplyTo"] = post.in_reply_to_uri
    context = (post.data or {}).get("context") if post.local else None
    if isinstance(context, str):
        doc["context"] = context
    if post.updated:
        doc["updated"] = vocab.iso(post.updated, precise=True)
    group = data.get("audience") if post.local else None
    if isinstance(group, str):
        doc["audience"] = group
    elif author.kind == "Group":
        doc["audience"] = author.uri
    question = data.get("question") if post.local else None
    if isinstance(question, dict):  # a poll (node/polls): a Question, whose summary would be a content warning
        doc.update(question)
        if not post.summary:
            doc.pop("summary", None)
    return doc


def excerpt(html: str, limit: int = EXCERPT) -> str:
    """The start of a post's text, plain, for a titled post's `summary`."""
    return plain_text(html, limit)


MAX_LOCK_DEPTH = 20  # ancestors looked at for another server's lock (Lemmy locks the post, not each comment)


async def _locked_there(post: Post) -> bool:
    """A post of another server, or one of the stored posts it answers (ours among them: a member's
    comment under a Lemmy post), locked by that server's moderators (node/forum/mirror.py): the
    server refuses replies under it, so they are refused here."""
    current: Post | None = post
    for _ in range(MAX_LOCK_DEPTH):
        if current is None:
            return False
        if not current.local and current.replies_moderation == "closed":
            return True
        if not current.in_reply_to_uri:
            return False
        current = await Post.get_or_none(uri=current.in_reply_to_uri)
    return False


async def reply_target(node: Node, uri: str) -> tuple[Post | None, str]:
    """The post replied to (when stored here) and its author's actor id."""
    parent = await Post.get_or_none(uri=uri, deleted_at=None, draft=False)
    if parent is not None:
        if await _locked_there(parent):
            raise ContentError("this thread was locked by its moderators: it takes no new replies")
        return parent, (await Actor.get(id=parent.author_id)).uri
    event = await Event.get_or_none(uri=uri, deleted_at=None, draft=False)
    if event is not None:  # comments and announcements under an event
        return None, (await Actor.get(id=event.organizer_id)).uri
    initiative = await Initiative.get_or_none(uri=uri, deleted_at=None, draft=False)
    if initiative is not None:  # progress posts and comments under an initiative
        return None, (await Actor.get(id=initiative.organizer_id)).uri
    if node.urls.is_local(uri):
        raise ContentError(f"nothing here to reply to at {uri}")
    try:
        doc = await node.client.get_json(uri, signer=node.instance_signer)
        author = remote.parse_note(doc).attributed_to
    except (FetchError, vocab.VocabError) as exc:
        raise ContentError(f"cannot reply to {uri}: {exc}") from None
    return None, author


@dataclass(frozen=True)
class Rendered:
    """A draft's languages as HTML, with the tags of all of them and the sources, default language first."""

    language: str
    html: dict[str, str]
    summaries: dict[str, str]
    sources: dict[str, str]
    tags: list[dict[str, Any]]


async def render_languages(node: Node, draft: Draft, language: str, translations: tuple[Translation, ...],
                           *, resolve: bool = True) -> Rendered:
    """Every language of a post rendered (also what the compose form's preview shows). `resolve`
    False leaves @mentions as plain text instead of looking them up."""
    sources = {language: draft.text}
    summaries = {language: draft.summary.strip()}
    for item in translations:
        tag = normalize_tag(item.language)
        sources[tag] = item.text
        summaries[tag] = item.summary.strip()
    mentions = await resolve_mentions(node, "\n".join(sources.values())) if resolve else {}
    html: dict[str, str] = {}
    tags: list[dict[str, Any]] = []
    for tag, text in sources.items():
        html[tag], found = render(node.urls, text, mentions)
        tags += found
    unique = list({(t["type"], t["href"]): t for t in tags}.values())
    return Rendered(language=language, html=html, summaries={k: v for k, v in summaries.items() if v},
                    sources=sources, tags=unique)


def _data(post: Post | None, draft: Draft, rendered: Rendered) -> dict[str, Any] | None:
    data: dict[str, Any] = dict(post.data or {}) if post is not None else {}
    if draft.context:
        data["context"] = draft.context
    if len(rendered.sources) > 1:
        data["source_map"] = rendered.sources
    else:
        data.pop("source_map", None)
    if draft.images is not None:
        data["images"] = [dict(image) for image in draft.images]
    if draft.title.strip():
        data["name"] = draft.title.strip()
        names = {rendered.language: draft.title.strip()}
        names.update({normalize_tag(lang): title.strip() for lang, title in draft.titles if title.strip()})
        data["name_map"] = names
    if draft.group:
        data["audience"] = draft.group
    if draft.question is not None:
        data["question"] = draft.question
    return data or None


def _apply(post: Post, rendered: Rendered) -> None:
    post.source = rendered.sources[rendered.language]
    post.content = rendered.html[rendered.language]
    post.content_map = dict(rendered.html)
    post.language = rendered.language
    post.summary = rendered.summaries.get(rendered.language, "")
    post.summary_map = dict(rendered.summaries) if len(rendered.html) > 1 and rendered.summaries else None
    post.sensitive = bool(rendered.summaries)
    post.tags = rendered.tags


def _recipients(post: Post, author: Actor) -> list[str]:
    """The actors a post is addressed to besides the public and the followers (mentions, audience)."""
    skip = {*vocab.PUBLIC_ALIASES, author.followers_url or ""}
    return [uri for uri in dict.fromkeys([*post.to, *post.cc]) if uri not in skip and uri != author.uri]


async def _send_create(node: Node, post: Post, author: Actor) -> None:
    doc = vocab.activity(
        "Create", f"{post.uri}/activity", author.uri, note_document(node, post, author),
        to=post.to, cc=post.cc, published=vocab.iso(post.published),
    )
    if post.visibility == MEMBERS:
        return
    mentioned = _recipients(post, author)
    if post.visibility != "direct" or mentioned:  # a direct post to nobody stays here
        await publish(node, author, doc, followers=post.visibility != "direct", recipients=mentioned)


async def create_post(node: Node, author: Actor, draft: Draft) -> Post:
    """Publish a post (a `Create` to the followers and the mentioned), or keep it as a draft."""
    language = normalize_tag(draft.language or node.settings.association.language)
    draft.validate()
    translations = draft.translations or ()
    check_translations(language, translations, ContentError, needs_text=True)
    parent, parent_author = await reply_target(node, draft.in_reply_to) if draft.in_reply_to else (None, None)
    if parent is not None and not parent.local and not draft.group:  # a reply in another server's forum thread
        draft = replace(draft, group=await thread_group(parent))  # goes to its category too (FEP-1b12 audience)
    rendered = await render_languages(node, draft, language, translations)
    slug = new_slug()
    uri = node.urls.post(slug)
    mentioned = [t["href"] for t in rendered.tags if t["type"] == "Mention" and t["href"] != author.uri]
    if parent_author and parent_author != author.uri and parent_author not in mentioned:
        mentioned.append(parent_author)
    mentioned += [uri for uri in draft.audience if uri not in mentioned and uri != author.uri]
    if draft.group and draft.group not in mentioned:
        mentioned.append(draft.group)
    to, cc = vocab.addressing(draft.visibility, author.followers_url or "", mentioned) if draft.visibility != MEMBERS else ([], [])
    now = datetime.now().astimezone()
    async with in_transaction():
        post = Post(
            uri=uri, local=True, kind=draft.kind, author=author, url=draft.url or uri, visibility=draft.visibility, to=to, cc=cc,
            in_reply_to_uri=draft.in_reply_to, in_reply_to=parent, published=now, draft=not draft.publish,
            attachments=list(draft.attachments or ()), data=_data(None, draft, rendered),
        )
        _apply(post, rendered)
        await post.save()
        if draft.publish:
            await _send_create(node, post, author)
    return post


async def publish_post(node: Node, post: Post) -> Post:
    """A draft goes out: dated now, and a `Create` to the followers and the mentioned."""
    if post.deleted_at is not None:
        raise ContentError("this post was deleted")
    if not post.draft:
        return post
    author = await Actor.get(id=post.author_id)
    async with in_transaction():
        post.draft = False
        post.published = datetime.now().astimezone()
        post.updated = None
        await post.save(update_fields=["draft", "published", "updated"])
        await _send_create(node, post, author)
    return post


async def update_post(node: Node, post: Post, draft: Draft) -> Post:
    """Edit a post: every language is replaced by the draft's (or kept, when it gives no
    translations); a published post sends an `Update` carrying all of them, a draft stays quiet."""
    draft.validate()
    if post.deleted_at is not None:
        raise ContentError("this post was deleted")
    author = await Actor.get(id=post.author_id)
    language = normalize_tag(draft.language or post.language or node.settings.association.language)
    translations = draft.translations if draft.translations is not None else translations_of(post)
    translations = tuple(t for t in translations if t.text.strip() and normalize_tag(t.language) != language)
    check_translations(language, translations, ContentError, needs_text=True)
    rendered = await render_languages(node, draft, language, translations)
    now = datetime.now().astimezone()
    async with in_transaction():
        _apply(post, rendered)
        post.data = _data(post, draft, rendered)
        if draft.attachments is not None:
            post.attachments = list(draft.attachments)
        if post.draft:
            if draft.visibility != post.visibility:
                post.visibility = draft.visibility
                mentioned = [t["href"] for t in rendered.tags if t["type"] == "Mention" and t["href"] != author.uri]
                post.to, post.cc = vocab.addressing(draft.visibility, author.followers_url or "", mentioned)
            await post.save()
            return post
        post.updated = now
        await post.save()
        doc = vocab.activity(
            "Update", f"{post.uri}#updates/{int(now.timestamp())}-{secrets.token_hex(4)}", author.uri, note_document(node, post, author),
            to=post.to, cc=post.cc, published=vocab.iso(now),
        )
        if post.visibility == MEMBERS:
            return post
        # everyone addressed: the mentioned, and the author replied to (a forum thread's server among them)
        await publish(node, author, doc, followers=post.visibility != "direct", recipients=_recipients(post, author),
                      groups=await forum_groups(node, post))
    return post


async def delete_post(node: Node, post: Post) -> None:
    """Gone: a `Delete` to whoever had it. A draft nobody saw is simply removed."""
    if post.deleted_at is not None:
        return
    if post.draft:
        await post.delete()
        return
    author = await Actor.get(id=post.author_id)
    now = datetime.now().astimezone()
    async with in_transaction():
        post.deleted_at = now
        await post.save(update_fields=["deleted_at"])
        tombstone = vocab.tombstone(post.uri, post.kind, now)
        tombstone.pop("@context")
        if post.visibility == MEMBERS:
            return
        doc = vocab.activity("Delete", f"{post.uri}#delete", author.uri, tombstone, to=post.to, cc=post.cc)
        await publish(node, author, doc, followers=post.visibility != "direct", recipients=_recipients(post, author),
                      groups=await forum_groups(node, post))


async def forum_groups(node: Node, post: Post) -> list[int]:
    """The local forum category a post was written in (its `audience`), whose followers also get its
    edits and deletion: they saw the post through the category's Announce."""
    group = (post.data or {}).get("audience")
    if not isinstance(group, str) or not node.urls.is_local(group):
        return []
    return [actor.id for actor in await Actor.filter(uri=group, local=True, kind="Group").only("id")]


async def thread_group(post: Post) -> str | None:
    """The remote forum category (a Group we know) a received post was written in, if any."""
    audience = vocab.id_of((post.data or {}).get("audience"))
    if audience is None or not await Actor.filter(uri=audience, kind="Group", local=False).exists():
        return None
    return audience


async def post_by_uri(uri: str) -> Post | None:
    return await Post.get_or_none(uri=uri)
