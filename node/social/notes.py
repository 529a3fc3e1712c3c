"""Notes received from other servers (and Articles, Pages...: every content type that is no event or
initiative): stored when they concern us, replies held or refused as the moderation settings say, edits
applied only over older versions, deletions."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from federation import remote
from federation import vocab
from node.core import sql
from node.core.models import Actor, Follow, Post
from node.core.runtime import Node
from node.core.sanitize import clean_html
from node.moderation import holds
from node.social.interactions import recount

log = logging.getLogger("agora.inbox")


async def _is_relevant(node: Node, note: remote.RemoteNote, parent: Post | None) -> bool:
    if parent is not None:
        return True
    if any(t.get("type") == "Mention" and node.urls.is_local(str(t.get("href", ""))) for t in note.tags):
        return True
    if any(node.urls.is_local(a) for a in note.to + note.cc):
        return True
    return await Follow.filter(follower__local=True, target__uri=note.attributed_to, state="accepted").exists()


def _values(note: remote.RemoteNote, actor: Actor, parent: Post | None, obj: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "kind": note.type,
        "author_id": actor.id,
        "url": note.url,
        "content": clean_html(note.content),
        "content_map": {k: clean_html(v) for k, v in note.content_map.items()} if note.content_map else None,
        "summary_map": note.summary_map,  # every language kept (plain text, escaped when shown)
        "attachments": note.attachments,  # shown as links with their alt text, never hotlinked
        "summary": note.summary,
        "sensitive": note.sensitive,
        "language": note.language,
        "visibility": vocab.visibility_of(note.to, note.cc, actor.followers_url),
        "in_reply_to_uri": note.in_reply_to,
        "in_reply_to_id": parent.id if parent else None,
        "tags": note.tags,
        "to": note.to,
        "cc": note.cc,
        "data": dict(obj),
        "published": note.published or datetime.now(timezone.utc),
        "updated": note.updated,
    }


async def store_note(node: Node, actor: Actor, obj: Mapping[str, Any], *, wanted: bool = False,
                     hold: bool = False) -> Post | None:
    """Store (or update) a note the sender wrote, when it concerns us (`wanted`: the caller knows it
    does, e.g. a forum category took it). `hold`: a new note waits for a moderator whatever the reply
    settings say (a category that approves newcomers). Raises vocab.VocabError."""
    note = remote.parse_note(obj)
    if note.attributed_to != actor.uri or vocab.host_of(note.id) != actor.domain:
        log.info("refused %s: author is not the sender", note.id)
        return None
    parent = await sql.get(Post, uri=note.in_reply_to) if note.in_reply_to else None
    decision, target = await holds.reply_decision(node, actor, note.in_reply_to)
    if decision == "refuse":
        log.info("reply %s to %s refused: replies are closed", note.id, note.in_reply_to)
        return None
    if target is None and not wanted and not await _is_relevant(node, note, parent):
        return None
    values = _values(note, actor, parent, obj)
    created: Post | None = None
    if not await sql.exists(Post, uri=note.id):  # held is decided once; an edit keeps the decision
        try:
            created = await Post.create(uri=note.id, local=False, held=hold or decision == "hold", **values)
        except IntegrityError:
            await _update_if_newer(note, actor, values)  # a concurrent delivery stored it first
    else:
        await _update_if_newer(note, actor, values)
    if parent is not None:
        await recount(parent.id)
    return created if created is not None else await sql.get(Post, uri=note.id)


async def _update_if_newer(note: remote.RemoteNote, actor: Actor, values: dict[str, Any]) -> None:
    """Deliveries are not ordered (a Create may arrive after its Updates): a version is written only
    over an older one, and the comparison happens in the database, so concurrent handlers agree."""
    query = Post.filter(uri=note.id, author_id=actor.id)
    if note.updated is None:
        query = query.filter(updated__isnull=True)
    else:
        query = query.filter(Q(updated__isnull=True) | Q(updated__lte=note.updated))
    await query.update(**values)


async def delete_note(actor: Actor, uri: str) -> None:
    """A Delete of one of the sender's posts; the post it replied to is recounted."""
    post = await Post.get_or_none(uri=uri, author=actor, local=False)
    if post is None:
        return
    parent_id = post.in_reply_to_id
    await post.delete()
    if parent_id:
        await recount(parent_id)
