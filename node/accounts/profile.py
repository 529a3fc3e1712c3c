"""A member's profile: display name, bio and avatar (changes federate to followers as an `Update` of
the Person), and the interface language they chose."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from federation import vocab
from node.core import i18n
from node.accounts.actors import actor_document
from node.accounts.members import MemberError, utcnow, valid_display_name
from node.posts.content import new_slug, render
from node.social.delivery import publish
from node.core.media import media_url
from node.core.models import Actor, Media, User
from node.core.runtime import Node

MAX_BIO = 5000


@dataclass(frozen=True)
class ProfileInput:
    display_name: str
    bio: str  # Markdown
    avatar: Media | None = None  # a new avatar, already stored
    remove_avatar: bool = False


def bio_source(actor: Actor) -> str:
    data = actor.data if isinstance(actor.data, dict) else {}
    source = data.get("summary_source")
    return source if isinstance(source, str) else ""


async def update_profile(node: Node, user: User, change: ProfileInput) -> Actor:
    """Change the member's name, bio and avatar; followers receive an `Update` of the Person."""
    actor = await Actor.get(id=user.actor_id)
    name = valid_display_name(change.display_name) or user.username
    bio = change.bio.strip()
    if len(bio) > MAX_BIO:
        raise MemberError(f"The bio must have at most {MAX_BIO} characters.")
    summary, _ = render(node.urls, bio, {}) if bio else ("", [])
    icon = actor.icon_url
    if change.avatar is not None:
        icon = media_url(node, change.avatar, 400)
    elif change.remove_avatar:
        icon = None
    data = dict(actor.data) if isinstance(actor.data, dict) else {}
    data["summary_source"] = bio
    if change.avatar is not None:
        data["icon"] = {"media": change.avatar.key, "mediaType": change.avatar.media_type, "name": change.avatar.alt}
    elif change.remove_avatar:
        data.pop("icon", None)
    if (name, summary, icon) == (actor.name, actor.summary, actor.icon_url):
        if data != actor.data:
            actor.data = data
            await actor.save(update_fields=["data"])
        return actor
    actor.name, actor.summary, actor.icon_url, actor.data = name, summary, icon, data
    async with in_transaction():
        await actor.save(update_fields=["name", "summary", "icon_url", "data"])
        await publish_actor_update(node, actor)
    return actor


async def publish_actor_update(node: Node, actor: Actor) -> None:
    """Send the actor's current document to its followers as an `Update`."""
    document = actor_document(node.urls, actor)
    document.pop("@context", None)
    now = utcnow()
    doc = vocab.activity(
        "Update", node.urls.activity(new_slug()), actor.uri, document,
        to=[vocab.PUBLIC], cc=[actor.followers_url] if actor.followers_url else None, published=vocab.iso(now),
    )
    await publish(node, actor, doc)


async def set_locale(node: Node, user: User, locale: str | None) -> User:
    if locale is not None and locale not in i18n.offered(node):
        raise MemberError("This language is not offered here.")
    user.locale = locale
    await user.save(update_fields=["locale"])
    return user
