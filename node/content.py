"""Posts: Markdown in, sanitized HTML Notes out; create, update, delete -> rows + outgoing activities."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markdown_it import MarkdownIt
from tortoise.transactions import in_transaction

from federation import vocab
from federation.client import FetchError
from federation.webfinger import resolve_handle
from node.actors import fetch_actor
from node.delivery import publish
from node.models import Actor, Event, Initiative, Post
from node.runtime import Node
from node.sanitize import clean_html
from node.urls import Urls

VISIBILITIES = ("public", "unlisted", "followers")
MAX_SOURCE = 20_000

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
    text: str
    summary: str = ""
    language: str | None = None
    visibility: str = "public"
    in_reply_to: str | None = None
    audience: tuple[str, ...] = ()  # direct posts: the actors addressed besides mentions
    context: str | None = None  # the conversation or object this post belongs to (an initiative's story)

    def validate(self) -> None:
        if not self.text.strip():
            raise ContentError("the post is empty")
        if len(self.text) > MAX_SOURCE:
            raise ContentError(f"the post is longer than {MAX_SOURCE} characters")
        if self.visibility not in (*VISIBILITIES, "direct"):
            raise ContentError(f"visibility must be one of {', '.join(VISIBILITIES)}")
        if self.language is not None and not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", self.language):
            raise ContentError(f"not a language tag: {self.language!r}")


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
    if post.summary:
        doc["summary"] = post.summary
    if post.language:
        doc["contentMap"] = post.content_map or {post.language: post.content}
    if post.in_reply_to_uri:
        doc["inReplyTo"] = post.in_reply_to_uri
    context = (post.data or {}).get("context") if post.local else None
    if isinstance(context, str):
        doc["context"] = context
    if post.updated:
        doc["updated"] = vocab.iso(post.updated, precise=True)
    if author.kind == "Group":
        doc["audience"] = author.uri
    return doc


async def reply_target(node: Node, uri: str) -> tuple[Post | None, str]:
    """The post replied to (when stored here) and its author's actor id."""
    parent = await Post.get_or_none(uri=uri, deleted_at=None)
    if parent is not None:
        return parent, (await Actor.get(id=parent.author_id)).uri  # type: ignore[attr-defined]
    event = await Event.get_or_none(uri=uri, deleted_at=None)
    if event is not None:  # comments and announcements under an event
        return None, (await Actor.get(id=event.organizer_id)).uri  # type: ignore[attr-defined]
    initiative = await Initiative.get_or_none(uri=uri, deleted_at=None)
    if initiative is not None:  # progress posts and comments under an initiative
        return None, (await Actor.get(id=initiative.organizer_id)).uri  # type: ignore[attr-defined]
    if node.urls.is_local(uri):
        raise ContentError(f"nothing here to reply to at {uri}")
    try:
        doc = await node.client.get_json(uri, signer=node.instance_signer)
        author = vocab.parse_note(doc).attributed_to
    except (FetchError, vocab.VocabError) as exc:
        raise ContentError(f"cannot reply to {uri}: {exc}") from None
    return None, author


async def create_post(node: Node, author: Actor, draft: Draft) -> Post:
    draft.validate()
    parent, parent_author = await reply_target(node, draft.in_reply_to) if draft.in_reply_to else (None, None)
    mentions = await resolve_mentions(node, draft.text)
    html, tags = render(node.urls, draft.text, mentions)
    language = draft.language or node.settings.association.language
    slug = new_slug()
    uri = node.urls.post(slug)
    mentioned = [t["href"] for t in tags if t["type"] == "Mention" and t["href"] != author.uri]
    if parent_author and parent_author != author.uri and parent_author not in mentioned:
        mentioned.append(parent_author)
    mentioned += [uri for uri in draft.audience if uri not in mentioned and uri != author.uri]
    to, cc = vocab.addressing(draft.visibility, author.followers_url or "", mentioned)
    now = datetime.now().astimezone()
    async with in_transaction():
        post = await Post.create(
            uri=uri,
            local=True,
            author=author,
            url=uri,
            source=draft.text,
            content=html,
            content_map={language: html},
            summary=draft.summary.strip(),
            sensitive=bool(draft.summary.strip()),
            language=language,
            visibility=draft.visibility,
            tags=tags,
            to=to,
            cc=cc,
            in_reply_to_uri=draft.in_reply_to,
            in_reply_to=parent,
            data={"context": draft.context} if draft.context else None,
            published=now,
        )
        doc = vocab.activity(
            "Create", f"{uri}/activity", author.uri, note_document(node, post, author),
            to=to, cc=cc, published=vocab.iso(now),
        )
        if draft.visibility != "direct" or mentioned:  # a direct post to nobody stays here
            await publish(node, author, doc, followers=draft.visibility != "direct", recipients=mentioned)
    return post


async def update_post(node: Node, post: Post, draft: Draft) -> Post:
    draft.validate()
    if post.deleted_at is not None:
        raise ContentError("this post was deleted")
    author = await Actor.get(id=post.author_id)  # type: ignore[attr-defined]
    mentions = await resolve_mentions(node, draft.text)
    html, tags = render(node.urls, draft.text, mentions)
    language = draft.language or post.language or node.settings.association.language
    now = datetime.now().astimezone()
    async with in_transaction():
        post.source, post.content, post.tags = draft.text, html, tags
        post.content_map = {language: html}
        post.language = language
        post.summary = draft.summary.strip()
        post.sensitive = bool(post.summary)
        post.updated = now
        await post.save()
        doc = vocab.activity(
            "Update", f"{post.uri}#updates/{int(now.timestamp())}-{secrets.token_hex(4)}", author.uri, note_document(node, post, author),
            to=post.to, cc=post.cc, published=vocab.iso(now),
        )
        mentioned = [t["href"] for t in tags if t["type"] == "Mention"]
        await publish(node, author, doc, followers=post.visibility != "direct", recipients=mentioned + [u for u in post.to if u not in mentioned])
    return post


async def delete_post(node: Node, post: Post) -> None:
    if post.deleted_at is not None:
        return
    author = await Actor.get(id=post.author_id)  # type: ignore[attr-defined]
    now = datetime.now().astimezone()
    async with in_transaction():
        post.deleted_at = now
        await post.save(update_fields=["deleted_at"])
        tombstone = vocab.tombstone(post.uri, post.kind, now)
        tombstone.pop("@context")
        doc = vocab.activity("Delete", f"{post.uri}#delete", author.uri, tombstone, to=post.to, cc=post.cc)
        mentioned = [t["href"] for t in post.tags if t.get("type") == "Mention"]
        await publish(node, author, doc, followers=post.visibility != "direct", recipients=mentioned + [u for u in post.to if u not in mentioned])


async def post_by_uri(uri: str) -> Post | None:
    return await Post.get_or_none(uri=uri)
