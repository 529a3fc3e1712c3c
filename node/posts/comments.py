"""Members' comments from the web on this node's posts, events and initiatives: an ordinary reply from
the member's own Person actor (`create_post` with `in_reply_to`), so it federates to the member's
followers and to the object's author like any reply, and shows in the object's comments.

The object's reply setting (node/moderation/holds.py) applies: "closed" refuses, and a "moderated"
object keeps a member's comment unpublished and held until a moderator approves it (approval
publishes it). Editors, moderators and admins are never held."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from node.accounts.roles import PUBLISHING_ROLES
from node.core.models import Actor, Post, User
from node.core.runtime import Node
from node.events.models import Event
from node.forum.models import Entry
from node.initiatives.models import Initiative
from node.moderation import holds
from node.posts.content import ContentError, Draft, create_post
from node.social import notify

STAFF = frozenset({*PUBLISHING_ROLES, "moderator", "admin"})
Commentable = Post | Event | Initiative


def N_(text: str) -> str:
    """Marks a message for extraction: the page showing the error translates it."""
    return text


class CommentError(ValueError):
    """A comment that cannot be made; the message says why."""


class CommentsClosed(CommentError):
    """The object takes no comments."""


@dataclass(frozen=True)
class Comment:
    post: Post
    target: Commentable
    held: bool  # waits for a moderator


async def commentable(uri: str) -> Commentable | None:
    """Our published, public object at this address that takes comments from the web (a forum post
    is answered in its thread instead)."""
    target = await holds.local_object(uri)
    if isinstance(target, Post):
        if target.draft or target.held or target.visibility not in ("public", "unlisted") \
                or await Entry.filter(post_id=target.id).exists():
            return None
    elif target is not None and (target.draft or target.deleted_at is not None):
        return None
    return target


def path_of(target: Commentable) -> str:
    """The page that shows an object and its comments."""
    kind = "posts" if isinstance(target, Post) else "events" if isinstance(target, Event) else "initiatives"
    return f"/{kind}/" + target.uri.rsplit("/", 1)[-1]


async def state_of(node: Node, target: Commentable) -> str:
    """"open", "moderated" (comments wait for approval) or "closed"."""
    if await holds.effective_mode(node, target) == "closed":
        return "closed"
    return "moderated" if target.replies_moderation == "moderated" else "open"


async def comment(node: Node, user: User, uri: str, text: str, language: str | None = None) -> Comment:
    """A member's comment on one of our objects. Raises CommentError (closed, nothing there) or
    ContentError (an empty or too long text, a bad language)."""
    if user.disabled:
        raise CommentError(N_("This account is disabled."))
    target = await commentable(uri)
    if target is None:
        raise CommentError(N_("There is nothing here to comment on."))
    state = await state_of(node, target)
    if state == "closed":
        raise CommentsClosed(N_("Comments are closed."))
    held = state == "moderated" and user.role not in STAFF
    author = await Actor.get(id=user.actor_id)
    visibility = target.visibility if isinstance(target, Post) else "public"
    draft = Draft(text=text, language=language or None, visibility=visibility, in_reply_to=target.uri, publish=not held)
    async with in_transaction():
        post = await create_post(node, author, draft)
        if held:
            post.held = True
            await post.save(update_fields=["held"])
    if not held:
        await notify.local_post(node, post)
    return Comment(post, target, held)


__all__ = ["Comment", "CommentError", "CommentsClosed", "ContentError", "comment", "commentable", "path_of", "state_of"]
