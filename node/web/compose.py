"""The work behind the forms that write content (posts, events, initiatives): the images of a post
(alt text required, stored with node/core/media.py), the banner or cover of an event or initiative, the
values that fill a form again, and the preview (each language as it will look, nothing published).

The flow of those forms is node/web/editor.py; the pages are each feature's pages*.py; this module
never renders pages.

Images chosen in a file input cannot be put back into a form the browser shows again, so a preview
(or "add a language") stores the chosen images right away (as Media rows not attached to anything)
and the form carries their keys; a refused form stores nothing."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from starlette.datastructures import FormData, UploadFile

from node.core import i18n
from node.core import media as media_service
from node.posts.content import (
    MAX_ATTACHMENTS, ContentError, Draft, Rendered, render, render_languages, translations_of,
)
from node.core.models import Actor, Media, Post
from node.core.multilingual import direction, language_name, normalize_tag
from node.core.runtime import Node
from node.web.forms import rows_from_translations, text_field, translations_from_rows

_t = i18n.gettext  # errors translated when raised (pages.upload_form activates the language)
VISIBILITY_FIELDS = ("text", "summary", "language", "visibility")
SIZES = "(min-width: 50rem) 46rem, 94vw"  # the `sizes` of a post's images: the column, or the screen


# ------------------------------------------------------------------ images


@dataclass
class Slot:
    """One of the image places of the compose form: an image already stored (`key`), or a file input."""

    number: int
    key: str = ""
    alt: str = ""
    thumbnail: str = ""
    width: int = 0
    height: int = 0


@dataclass
class Images:
    """The images a form carries: stored ones (with the alt text given now), new uploads to store."""

    kept: list[tuple[int, Media, str]] = field(default_factory=list)
    uploads: list[tuple[int, UploadFile, str]] = field(default_factory=list)


def _upload(value: Any) -> UploadFile | None:
    if isinstance(value, UploadFile) and (value.filename or (value.size or 0) > 0):
        return value
    return None


async def images_of(node: Node, owner: Actor, form: FormData) -> Images:
    """Check the form's images without storing anything: every image needs its alt text, stored ones
    must be the association's own. ContentError says which image and why."""
    found = Images()
    for number in range(1, MAX_ATTACHMENTS + 1):
        alt = " ".join(text_field(form, f"alt{number}").split())
        upload = _upload(form.get(f"image{number}"))
        key = text_field(form, f"media{number}")
        if key and not form.get(f"remove{number}"):
            media = await media_service.get_media(node, key)
            if media is None or media.owner_id != owner.id:
                raise ContentError(_t("image %(number)s is not available any more; choose the file again",
                                    number=number))
            if not alt:
                raise ContentError(_t("image %(number)s has no description: write its alt text (what it shows), "
                                      "people who cannot see it rely on it", number=number))
            found.kept.append((number, media, alt))
        if upload is not None:
            if not alt:
                raise ContentError(_t("image %(number)s has no description: write its alt text (what it shows), "
                                      "people who cannot see it rely on it", number=number))
            if len(alt) > media_service.MAX_ALT:
                raise ContentError(_t("the description of image %(number)s is longer than %(num)s characters",
                                      number=number, num=media_service.MAX_ALT))
            if key and not form.get(f"remove{number}"):
                raise ContentError(_t("image %(number)s: remove the image there before choosing another one",
                                      number=number))
            found.uploads.append((number, upload, alt))
    return found


async def store_images(node: Node, owner: Actor, images: Images) -> list[tuple[int, Media, str]]:
    """Store the new uploads (resized, stripped of metadata); a refused file removes the ones stored
    before it and raises ContentError."""
    stored: list[tuple[int, Media, str]] = []
    for number, upload, alt in images.uploads:
        try:
            media = await store_picture(node, owner, upload, alt)
        except media_service.MediaError as exc:
            for _, done, _ in stored:
                await media_service.delete_media(node, done)
            raise ContentError(_t("image %(number)s: %(error)s", number=number, error=str(exc))) from None
        stored.append((number, media, alt))
    return sorted([*images.kept, *stored], key=lambda item: item[0])


def attachment(node: Node, media: Media, alt: str) -> dict[str, Any]:
    """What the note carries (Mastodon shows it): the alt text goes in `name`."""
    doc = media_service.attachment_doc(node, media)
    doc["name"] = alt
    return doc


def image_view(node: Node, media: Media, alt: str) -> dict[str, Any]:
    """What pages need to show an image without reading the Media row again."""
    return {
        "key": media.key, "url": media_service.media_url(node, media), "srcset": media_service.srcset(node, media),
        "thumbnail": media_service.media_url(node, media, 320), "width": media.width, "height": media.height,
        "alt": alt, "mediaType": media.media_type,
    }


def slots_for(images: list[dict[str, Any]]) -> list[Slot]:
    """The form's image places: the stored images first, then empty file inputs, MAX_ATTACHMENTS in all."""
    slots = [Slot(number=i + 1, key=str(img.get("key", "")), alt=str(img.get("alt", "")),
                  thumbnail=str(img.get("thumbnail") or img.get("url") or ""),
                  width=int(img.get("width") or 0), height=int(img.get("height") or 0))
             for i, img in enumerate(images[:MAX_ATTACHMENTS])]
    return slots + [Slot(number=n) for n in range(len(slots) + 1, MAX_ATTACHMENTS + 1)]


async def slots_after(node: Node, owner: Actor, form: FormData, stored: list[tuple[int, Media, str]] | None) -> list[Slot]:
    """The image places when the form is shown again: what is stored, and the alt texts typed for files
    that were not kept (so that only the file has to be chosen again)."""
    if stored is not None:
        return slots_for([image_view(node, media, alt) for _, media, alt in stored])
    kept: list[dict[str, Any]] = []
    typed: list[str] = []
    for number in range(1, MAX_ATTACHMENTS + 1):
        alt = text_field(form, f"alt{number}")
        key = text_field(form, f"media{number}")
        media = await media_service.get_media(node, key) if key and not form.get(f"remove{number}") else None
        if media is not None and media.owner_id == owner.id:
            kept.append(image_view(node, media, alt))
        elif alt and _upload(form.get(f"image{number}")) is not None:
            typed.append(alt)
    slots = slots_for(kept)
    for slot, alt in zip([s for s in slots if not s.key], typed):
        slot.alt = alt
    return slots


# ------------------------------------------------------------------ the post form


def post_values(form: FormData, default_language: str) -> dict[str, str]:
    values = {key: text_field(form, key) for key in VISIBILITY_FIELDS}
    values["text"] = str(form.get("text") or "")
    values["language"] = normalize_tag(values["language"]) if values["language"] else default_language
    values["visibility"] = values["visibility"] or "public"
    return values


def values_of_post(post: Post) -> dict[str, str]:
    return {"text": post.source, "summary": post.summary, "language": post.language or "",
            "visibility": post.visibility}


def rows_of_post(post: Post) -> list[dict[str, str]]:
    return rows_from_translations(translations_of(post))


def draft_of(values: dict[str, str], rows: list[dict[str, str]]) -> Draft:
    """The post the form describes (images aside), with its language blocks."""
    return Draft(text=values["text"], summary=values["summary"], language=values["language"],
                 visibility=values["visibility"], translations=translations_from_rows(rows))


def with_images(node: Node, draft: Draft, stored: list[tuple[int, Media, str]], *, publish: bool) -> Draft:
    return replace(
        draft, publish=publish,
        attachments=tuple(attachment(node, media, alt) for _, media, alt in stored),
        images=tuple(image_view(node, media, alt) for _, media, alt in stored),
    )


def versions(rendered: Rendered) -> list[dict[str, Any]]:
    """Each language of a rendered post for the preview, the default one first."""
    default_summary = rendered.summaries.get(rendered.language, "")
    return [{"language": tag, "name": language_name(tag), "dir": direction(tag),
             "cw": rendered.summaries.get(tag) or default_summary, "html": html}
            for tag, html in rendered.html.items()]


async def preview_post(node: Node, draft: Draft) -> list[dict[str, Any]]:
    """The post as it will look, in every language, without saving or sending anything."""
    language = normalize_tag(draft.language or node.settings.association.language)
    draft = replace(draft, language=language)
    draft.validate()
    return versions(await render_languages(node, draft, language, draft.translations or ()))


# ------------------------------------------------------------------ pictures: banners and covers

E = TypeVar("E", bound=Exception)


def N_(message: str) -> str:
    """A message id marked for extraction, translated where it is shown."""
    return message


@dataclass(frozen=True)
class Picture:
    """The picture of an editor form (an event's banner, an initiative's cover): its file input, its
    alt text field, the field that keeps the stored picture's address, and the messages naming it."""

    file: str
    alt: str
    url: str
    no_alt: str  # refuses a picture without its description
    refused: str  # "the ... image: %(error)s", when the file is refused


def chosen_file(form: FormData, name: str) -> UploadFile | None:
    """The file chosen in a file input, or None when none was."""
    return _upload(form.get(name))


async def store_picture(node: Node, owner: Actor, upload: UploadFile, alt: str) -> Media:
    """A post's image, an event banner or an initiative cover: resized, stripped of its metadata and
    stored (MediaError says why not)."""
    return await media_service.store_upload(node, owner, await upload.read(), alt, upload.filename or "")


def check_picture_alt(form: FormData, values: dict[str, Any], picture: Picture, error: type[E]) -> None:
    """A picture chosen without its description is refused before anything else is read."""
    if chosen_file(form, picture.file) is not None and not str(values[picture.alt]).strip():
        raise error(_t(picture.no_alt))


async def store_chosen_picture(node: Node, owner: Actor, form: FormData, values: dict[str, Any],
                               picture: Picture, error: type[E]) -> Media | None:
    """The picture chosen as a file, stored (it then has our address, which goes into the form's
    values); None when no file was chosen. `error` carries why it was refused."""
    upload = chosen_file(form, picture.file)
    if upload is None:
        return None
    alt = str(values[picture.alt]).strip()
    if not alt:
        raise error(_t(picture.no_alt))
    try:
        media = await store_picture(node, owner, upload, alt)
    except media_service.MediaError as exc:
        raise error(_t(picture.refused, error=str(exc))) from None
    values[picture.url] = picture_url(node, media)
    return media


def picture_url(node: Node, media: Media) -> str:
    return media_service.media_url(node, media)


def rendered_versions(node: Node, default: str, versions_in: list[tuple[str, dict[str, str]]]) -> list[dict[str, Any]]:
    """Preview versions of an event or initiative: (language, {"title", "lead", "when", "text"}) with
    the text (Markdown) rendered and sanitised as it will be stored."""
    out = []
    for tag, parts in versions_in:
        html = render(node.urls, parts.get("text", ""), {})[0] if parts.get("text", "").strip() else ""
        out.append({"language": tag, "name": language_name(tag), "dir": direction(tag), "title": parts.get("title", ""),
                    "lead": parts.get("lead", ""), "when": parts.get("when", ""), "html": html, "cw": ""})
    return out
