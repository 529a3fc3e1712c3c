"""Who may read, start topics, reply and moderate in a forum category."""

from __future__ import annotations

from node.accounts.roles import PUBLISHING_ROLES
from node.core.models import Actor, User
from node.forum.models import Category, CategoryModerator, Entry, Topic

MODERATING_ROLES = frozenset({"admin", "moderator"})


class ForumError(ValueError):
    """A forum action that cannot be done as asked; the message says why."""


def can_read(category: Category, user: User | None) -> bool:
    """Public categories are for everyone; members-only ones for signed-in members."""
    return category.read_access == "public" or (user is not None and not user.disabled)


async def is_moderator(user: User | None, category: Category) -> bool:
    """Admins and moderators moderate every category; a category's own moderators theirs."""
    if user is None or user.disabled:
        return False
    if user.role in MODERATING_ROLES:
        return True
    return await CategoryModerator.filter(category=category, actor_id=user.actor_id).exists()


async def may_start(user: User | None, category: Category) -> bool:
    """Who may start a topic in a category from this node."""
    if user is None or user.disabled:
        return False
    if category.start_policy == "editors":
        return user.role in PUBLISHING_ROLES or await is_moderator(user, category)
    return True


def remote_may_start(category: Category) -> bool:
    """Whether accounts of other servers may start topics in a category (public ones only)."""
    return category.start_policy == "everyone" and category.read_access == "public"


async def may_reply(user: User | None, topic: Topic, category: Category) -> bool:
    if user is None or user.disabled or not can_read(category, user):
        return False
    if topic.locked or topic.removed_at is not None:
        return await is_moderator(user, category)
    return True


async def must_wait(author: Actor, category: Category) -> bool:
    """A category that approves newcomers holds an author's first post until a moderator approves it:
    the first post of a member (or a remote account) with no approved post in the forum yet."""
    if not category.approve_new:
        return False
    user = await User.get_or_none(actor_id=author.id)
    if user is not None and (user.role in PUBLISHING_ROLES or user.role in MODERATING_ROLES):
        return False
    if user is not None and await CategoryModerator.filter(category=category, actor_id=author.id).exists():
        return False
    return not await Entry.filter(post__author_id=author.id, held=False, removed_at=None).exists()
