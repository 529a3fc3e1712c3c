"""Forum categories: created and changed by admins. A public category is its own Group actor
(`@slug@host`, one namespace with the members); a members-only one has a hidden actor that only
keeps its name taken and is never served, followed or delivered from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from node.accounts.actors import HIDDEN_KIND, create_local_actor
from node.accounts.members import MemberError, valid_username
from node.core import audit, i18n
from node.core.models import Actor, Follow, User
from node.core.multilingual import choose, normalize_tag
from node.core.runtime import Node
from node.forum.access import ForumError
from node.forum.models import READ_ACCESS, START_POLICIES, Category, CategoryModerator

_l = i18n.lazy  # ForumError messages are translated where a page shows them (str() in its language)

COLOR = re.compile(r"#[0-9a-fA-F]{6}")
MAX_NAME = 100
MAX_DESCRIPTION = 1000


@dataclass
class CategoryInput:
    """What an admin gives for a category (names and descriptions by language)."""

    names: dict[str, str]
    descriptions: dict[str, str] = field(default_factory=dict)
    position: int = 0
    color: str = ""
    icon: str = ""
    start_policy: str = "members"
    read_access: str = "public"
    approve_new: bool = False

    def checked(self) -> CategoryInput:
        names = {normalize_tag(k): " ".join(v.split()) for k, v in self.names.items() if v.strip()}
        if not names:
            raise ForumError(_l("A category needs a name."))
        if any(len(v) > MAX_NAME for v in names.values()):
            raise ForumError(_l("A category name has at most %(max)s characters.", max=MAX_NAME))
        descriptions = {normalize_tag(k): v.strip() for k, v in self.descriptions.items() if v.strip()}
        if any(len(v) > MAX_DESCRIPTION for v in descriptions.values()):
            raise ForumError(_l("A description has at most %(max)s characters.", max=MAX_DESCRIPTION))
        if self.color and not COLOR.fullmatch(self.color):
            raise ForumError(_l("A colour is written #rrggbb, e.g. #1f6feb."))
        if len(self.icon) > 8:
            raise ForumError(_l("The icon is one emoji."))
        if self.start_policy not in START_POLICIES:
            raise ForumError(_l("Who may start topics: one of %(choices)s.", choices=", ".join(START_POLICIES)))
        if self.read_access not in READ_ACCESS:
            raise ForumError(_l("Who may read: one of %(choices)s.", choices=", ".join(READ_ACCESS)))
        if not -10_000 <= self.position <= 10_000:
            raise ForumError(_l("The position is a number between -10000 and 10000."))
        return CategoryInput(names, descriptions, self.position, self.color, self.icon, self.start_policy,
                             self.read_access, self.approve_new)


def localized(values: dict[str, str] | None, language: str | None, fallback: str = "") -> str:
    """The text in the reader's language, else the first one written."""
    if not values:
        return fallback
    tag = choose(list(values), [normalize_tag(language)] if language else [])
    return values[tag] if tag is not None else next(iter(values.values()))


def category_url(node: Node, slug: str) -> str:
    return f"{node.urls.base}/forum/{slug}"


LEMMY_TERMS = {"lemmy": "https://join-lemmy.org/ns#", "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
               "moderators": {"@id": "lemmy:moderators", "@type": "@id"}}


def featured_url(node: Node, slug: str) -> str:
    """A category's pinned topics (the `target` of Lemmy's Add and Remove of a pin)."""
    return f"{category_url(node, slug)}/featured"


def document_fields(node: Node, slug: str, start_policy: str) -> dict[str, Any]:
    """What a category's Group actor document adds for Lemmy, NodeBB and PieFed (accounts/actors.py
    serves `actor.data["document"]`, node/forum/routes.py the collections): remote accounts may start
    topics only when the category lets everyone."""
    base = category_url(node, slug)
    return {"@context": LEMMY_TERMS, "attributedTo": f"{base}/moderators", "moderators": f"{base}/moderators",
            "featured": featured_url(node, slug), "outbox": f"{base}/outbox", "postingRestrictedToMods": start_policy != "everyone"}


def _actor_kind(read_access: str) -> str:
    return "Group" if read_access == "public" else HIDDEN_KIND


async def create_category(node: Node, slug: str, data: CategoryInput, by: User | None = None) -> Category:
    """A new category, with its Group actor (hidden for a members-only one)."""
    try:
        slug = valid_username(slug).lower()
    except MemberError:
        raise ForumError(_l("A category address is 1 to 30 letters, digits or _ (no spaces), and not a reserved name.")) from None
    data = data.checked()
    if slug == node.settings.association.handle.lower() or await Actor.filter(local=True, username__iexact=slug).exists() \
            or await User.filter(username__iexact=slug).exists() or await Category.filter(slug=slug).exists():
        raise ForumError(_l("The address @%(slug)s is taken (a member or another category has it).", slug=slug))
    language = next(iter(data.names))
    async with in_transaction():
        actor = await create_local_actor(node.urls, kind=_actor_kind(data.read_access), username=slug,
                                         name=data.names[language], summary=data.descriptions.get(language, ""))
        actor.url = category_url(node, slug)
        actor.data = {**(actor.data or {}), "document": document_fields(node, slug, data.start_policy)}
        await actor.save(update_fields=["url", "data"])
        category = await Category.create(
            slug=slug, actor=actor, name_map=data.names, description_map=data.descriptions, position=data.position,
            color=data.color, icon=data.icon, start_policy=data.start_policy, read_access=data.read_access,
            approve_new=data.approve_new,
        )
        await audit.record(by, "forum.category.create", slug, read=data.read_access, start=data.start_policy)
    return category


async def update_category(node: Node, category: Category, data: CategoryInput, by: User | None = None) -> Category:
    """Change a category. Made members-only, it stops being followable: its follows are removed (its
    followers' servers keep what they received, as with any account that goes private)."""
    data = data.checked()
    language = next(iter(data.names))
    async with in_transaction():
        actor = await Actor.get(id=category.actor_id) if category.actor_id else None
        if actor is not None:
            actor.kind = _actor_kind(data.read_access)
            actor.name = data.names[language]
            actor.summary = data.descriptions.get(language, "")
            actor.data = {**(actor.data or {}), "document": document_fields(node, category.slug, data.start_policy)}
            await actor.save(update_fields=["kind", "name", "summary", "data"])
            if data.read_access == "members":
                await Follow.filter(target=actor).delete()
        category.name_map, category.description_map = data.names, data.descriptions
        category.position, category.color, category.icon = data.position, data.color, data.icon
        category.start_policy, category.read_access, category.approve_new = data.start_policy, data.read_access, data.approve_new
        await category.save()
        await audit.record(by, "forum.category.update", category.slug, read=data.read_access, start=data.start_policy)
    return category


async def category_by_slug(slug: str) -> Category | None:
    return await Category.get_or_none(slug=slug.lower()[:64])


async def category_of_actor(uri: str) -> Category | None:
    """The public category whose Group actor this is."""
    return await Category.get_or_none(actor__uri=uri, actor__kind="Group", read_access="public")


async def set_moderators(category: Category, usernames: list[str], by: User | None = None) -> list[str]:
    """A category's own moderators (members by username); returns the usernames kept."""
    users = await User.filter(username__in=usernames, disabled=False)
    missing = set(usernames) - {u.username for u in users}
    if missing:
        raise ForumError(_l("No member with the username %(names)s.", names=", ".join(sorted(missing))))
    async with in_transaction():
        await CategoryModerator.filter(category=category).delete()
        for user in users:
            await CategoryModerator.create(category=category, actor_id=user.actor_id)
        await audit.record(by, "forum.category.moderators", category.slug, moderators=sorted(usernames))
    return sorted(u.username for u in users)


async def ordered_categories() -> list[Category]:
    return await Category.all().order_by("position", "id")
