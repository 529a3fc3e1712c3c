"""Admin console: the association's profile (display name, bio, avatar and header images with their
alt text) and the texts of the about page. A changed profile is sent to followers as an `Update` of
the Group actor; the config file's association.name stays the default name."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from tortoise.transactions import in_transaction

from node.core import audit, i18n, media, site_settings
from node.accounts import members, profile
from node.posts.content import render as render_markdown
from node.accounts.members import MemberError
from node.core.models import Actor, Media
from node.web.admin_access import admin_form, done, page, staff
from node.web.forms import text_field
from node.web.media_routes import FORM_MARGIN, checked_upload_form, uploaded_file
from node.web.pages import association_actor, message, node_of

IMAGES = ("avatar", "header")
ICON_WIDTH = 400
HEADER_WIDTH = 1280


class ProfileError(ValueError):
    """A profile form that cannot be saved; `field` names the box the message belongs to."""

    def __init__(self, field: str, text: str) -> None:
        super().__init__(text)
        self.field = field


def _image(actor: Actor, key: str) -> dict[str, Any]:
    data = actor.data if isinstance(actor.data, dict) else {}
    value = data.get(key)
    return value if isinstance(value, dict) else {}


async def _values(actor: Actor) -> dict[str, str]:
    about = await site_settings.about()
    values = {
        "name": actor.name, "bio": profile.bio_source(actor),
        "avatar_alt": str(_image(actor, "icon").get("name") or ""),
        "header_alt": str(_image(actor, "image").get("name") or ""),
    }
    values.update({f"about_{k}": v["source"] for k, v in about.items()})
    return values


def _text(form: FormData, name: str) -> str:
    """A text field as sent (not stripped: Markdown keeps its layout); "" when absent or a file."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _entered(form: FormData) -> dict[str, str]:
    names = ("name", "bio", "avatar_alt", "header_alt", *(f"about_{k}" for k in site_settings.ABOUT_SECTIONS))
    return {name: _text(form, name) for name in names}


async def _form(request: Request, actor: Actor, values: dict[str, str], *, status: int = 200,
                errors: dict[str, str] | None = None) -> Response:
    return await page(
        request, "admin/profile.html", status=status, actor=actor, values=values, errors=errors or {},
        header=_image(actor, "image").get("url"), sections=site_settings.ABOUT_SECTIONS,
        max_mb=node_of(request).settings.media.max_upload_bytes // 1_000_000,
    )


async def _store_images(request: Request, actor: Actor, form: FormData) -> dict[str, Media]:
    """Check every chosen image's alt text first, then store the images (nothing is stored when an alt
    text is missing)."""
    node = node_of(request)
    chosen: dict[str, tuple[bytes, str, str]] = {}
    for name in IMAGES:
        upload = await uploaded_file(form, name)
        if upload is None:
            continue
        alt = text_field(form, f"{name}_alt")
        try:
            media.check_alt(alt)
        except media.MediaError as exc:
            raise ProfileError(name, str(exc)) from None
        chosen[name] = (upload[0], upload[1], alt)
    stored: dict[str, Media] = {}
    for name, (data, filename, alt) in chosen.items():
        try:
            stored[name] = await media.store_upload(node, actor, data, alt, filename)
        except media.MediaError as exc:
            raise ProfileError(name, str(exc)) from None
    return stored


def _image_entry(request: Request, item: Media, width: int) -> dict[str, Any]:
    url = media.media_url(node_of(request), item, width)
    return {"media": item.key, "url": url, "mediaType": item.media_type, "name": item.alt}


async def _apply(request: Request, actor: Actor, form: FormData) -> list[str]:
    """Save the profile; returns what changed. Raises ProfileError."""
    node = node_of(request)
    await i18n.activate_request(request, node)  # the errors are translated when raised
    try:
        name = members.valid_display_name(text_field(form, "name")) or node.settings.association.name
    except MemberError as exc:
        raise ProfileError("name", str(exc)) from None
    bio = text_field(form, "bio").replace("\r\n", "\n").replace("\x00", "")
    if len(bio) > profile.MAX_BIO:
        raise ProfileError("bio", i18n.gettext(
            "The presentation must have at most %(num)s characters.", num=profile.MAX_BIO))
    sources = {k: _text(form, f"about_{k}") for k in site_settings.ABOUT_SECTIONS}
    if any(len(v) > site_settings.MAX_ABOUT_SOURCE for v in sources.values()):
        raise ProfileError("about", i18n.gettext(
            "Each text must have at most %(num)s characters.", num=site_settings.MAX_ABOUT_SOURCE))
    images = await _store_images(request, actor, form)
    summary = render_markdown(node.urls, bio, {})[0] if bio else ""
    data = dict(actor.data) if isinstance(actor.data, dict) else {}
    data["summary_source"] = bio
    icon = actor.icon_url
    if "avatar" in images:
        entry = _image_entry(request, images["avatar"], ICON_WIDTH)
        icon = entry["url"]
        data["icon"] = {k: v for k, v in entry.items() if k != "url"}
    elif form.get("remove_avatar") == "1":
        icon = None
        data.pop("icon", None)
    if "header" in images:
        data["image"] = _image_entry(request, images["header"], HEADER_WIDTH)
    elif form.get("remove_header") == "1":
        data.pop("image", None)
    changed = [label for label, old, new in (
        ("name", actor.name, name), ("bio", actor.summary, summary), ("avatar", actor.icon_url, icon),
        ("header", _image(actor, "image").get("url"), data.get("image", {}).get("url")),
    ) if old != new]
    previous_about = await site_settings.about()
    if any(previous_about[k]["source"] != sources[k] for k in sources):
        changed.append("about")
    async with in_transaction():
        actor.name, actor.summary, actor.icon_url, actor.data = name, summary, icon, data
        await actor.save(update_fields=["name", "summary", "icon_url", "data"])
        if "about" in changed:
            await site_settings.save_about(sources)
        if set(changed) - {"about"}:
            await profile.publish_actor_update(node, actor)
    return changed


async def profile_page(request: Request) -> Response:
    await staff(request)  # before reading an upload from someone who may not send one
    node = node_of(request)
    actor = await association_actor(node)
    if actor is None:
        return await message(request, 500, "No association", "The association account is missing; run agora init.")
    if request.method == "GET":
        return await _form(request, actor, await _values(actor))
    form = await checked_upload_form(request, 2 * node.settings.media.max_upload_bytes + FORM_MARGIN)
    checked = await admin_form(request, form)
    admin, form = checked
    try:
        changed = await _apply(request, actor, form)
    except ProfileError as exc:
        return await _form(request, actor, _entered(form), status=400, errors={exc.field: str(exc)})
    if not changed:
        return done(request, "/admin/profile", "Nothing changed.")
    await audit.record(admin, "association.profile", actor.uri, changed=changed)
    if set(changed) - {"about"}:
        return done(request, "/admin/profile", "Saved. Followers receive the new profile.")
    return done(request, "/admin/profile", "Saved.")


def routes() -> list[BaseRoute]:
    return [Route("/admin/profile", profile_page, methods=["GET", "POST"])]
