"""The fields that events and initiatives share on the wire, read tolerantly within bounds and written the
way Mastodon and Mobilizon expect: texts in one or several languages (`name`, `content`, `summary` and
the `nameMap`/`contentMap`/`summaryMap` language maps), hashtags, addressees, the page URL and the
image media type."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final
from urllib.parse import quote, urlsplit

from babel import Locale, UnknownLocaleError

from federation.vocab import as_list, ids_of, is_http_url, is_language_tag, language_map

# Bounds on what we keep from a remote document.
MAX_NAME: Final = 1_000
MAX_CONTENT: Final = 100_000
MAX_TAGS: Final = 50
MAX_TAG: Final = 100
MAX_ADDRESSEES: Final = 500
MAX_ADDRESS: Final = 2048


def clean(value: Any, limit: int) -> str:
    """A string stripped and cut to `limit` characters; "" for anything else."""
    return value.strip()[:limit] if isinstance(value, str) else ""


def first_text(doc: Mapping[str, Any], key: str) -> str:
    """`doc[key]` when it is text, else the first text of its language map (`nameMap` for `name`)."""
    value = doc.get(key)
    if isinstance(value, str) and value.strip():
        return value
    mapped = doc.get(f"{key}Map")
    if isinstance(mapped, Mapping):
        for item in mapped.values():
            if isinstance(item, str) and item.strip():
                return item
    return ""


def object_language(doc: Mapping[str, Any]) -> str | None:
    """The object's language: `inLanguage` (a tag or a schema.org Language), else the first key of
    `contentMap`, else of `nameMap`."""
    candidates: list[Any] = [doc.get("inLanguage")]
    for key in ("contentMap", "nameMap"):
        mapped = doc.get(key)
        if isinstance(mapped, Mapping):
            candidates.extend(list(mapped)[:1])
    for candidate in candidates:
        if isinstance(candidate, Mapping):  # schema.org Language object
            candidate = candidate.get("identifier") or candidate.get("name")
        if isinstance(candidate, str) and len(candidate) <= 35 and is_language_tag(candidate.strip()):
            return candidate.strip()
    return None


def other_languages(
    doc: Mapping[str, Any], language: str | None, **extra: dict[str, str]
) -> dict[str, dict[str, str]]:
    """`name_map`, the `extra` maps and `content_map`: each language besides the object's own."""
    names = {k: clean(v, MAX_NAME) for k, v in language_map(doc.get("nameMap"), MAX_NAME).items() if v.strip()}
    maps = {"name_map": names, **extra, "content_map": language_map(doc.get("contentMap"), MAX_CONTENT)}
    return {key: {k: v for k, v in mapped.items() if k != language} for key, mapped in maps.items()}


def with_default(language: str | None, value: str, others: dict[str, str]) -> dict[str, str]:
    """A language map with the default language first (Mastodon takes an object's language from the
    first key) and the other languages after it; blank values are left out."""
    mapped: dict[str, str] = {language: value} if language and value else {}
    for key, item in others.items():
        if key not in mapped and item:
            mapped[key] = item
    return mapped


def add_language_maps(
    doc: dict[str, Any],
    language: str,
    *,
    name: tuple[str, dict[str, str]],
    content: tuple[str, dict[str, str]],
    summary_in: Callable[[str], str],
    extra: Mapping[str, dict[str, str]] | None = None,
) -> None:
    """`inLanguage` and `contentMap`; when the object is written in several languages also `nameMap`,
    the `extra` maps that are not empty and `summaryMap`, whose line in each other language is
    `summary_in(language)`. `name` and `content` are (text in `language`, other languages)."""
    doc["inLanguage"] = language
    # Mastodon takes the object's language from the first key: the default language comes first.
    doc["contentMap"] = with_default(language, *content) or {language: content[0]}
    names = with_default(language, *name)
    more = extra or {}
    languages = list(dict.fromkeys([*names, *(key for mapped in more.values() for key in mapped),
                                    *doc["contentMap"]]))
    if len(languages) > 1:  # written in several languages: every one of them, the generated line too
        doc["nameMap"] = names
        doc.update({key: mapped for key, mapped in more.items() if mapped})
        doc["summaryMap"] = {
            other: doc["summary"] if other == language else summary_in(other) for other in languages
        }


def babel_locale(tag: str | None) -> Locale:
    """The Babel locale for a language tag; English when there is none or Babel does not know it."""
    if tag:
        try:
            return Locale.parse(tag.strip().replace("-", "_"))
        except (UnknownLocaleError, ValueError, TypeError):
            pass
    return Locale.parse("en")


def href(value: Any, media_type: str | None = None) -> str | None:
    """A URL from a string, a Link/Image object (`href` or `url`), or a list of those.

    With `media_type`, prefer the entry of that type (Mastodon's `url_to_href`)."""
    items = as_list(value)[:20]
    if media_type is not None:
        preferred = [i for i in items if isinstance(i, Mapping) and i.get("mediaType") == media_type]
        items = preferred + [i for i in items if i not in preferred]
    for item in items:
        if isinstance(item, str):
            if is_http_url(item):
                return item
        elif isinstance(item, Mapping):
            for key in ("href", "url"):
                ref = item.get(key)
                if isinstance(ref, str) and is_http_url(ref):
                    return ref
    return None


def page_url(doc: Mapping[str, Any], object_id: str) -> str:
    """The object's (HTML) `url` when it is on the object's own host, else its id."""
    url = href(doc.get("url"), "text/html") or object_id
    if urlsplit(url).netloc.lower() != urlsplit(object_id).netloc.lower():
        url = object_id  # a page on another host could be anything: link to the object itself
    return url


def image_media_type(declared: str | None, url: str | None) -> str:
    """The declared media type, else the image type the URL's extension says, else image/jpeg."""
    if declared:
        return declared
    guessed, _ = mimetypes.guess_type(urlsplit(url or "").path)
    # Gancio reads `mediaType.includes('image')` on every attachment: never leave it out.
    return guessed if guessed and guessed.startswith("image/") else "image/jpeg"


def hashtags(object_id: str, tags: Iterable[str]) -> list[dict[str, Any]]:
    """`tag` entries for hashtags, each linking to the tag's page on the object's host."""
    parts = urlsplit(object_id)
    origin = f"{parts.scheme}://{parts.netloc}"
    return [{"type": "Hashtag", "name": f"#{tag}", "href": f"{origin}/tags/{quote(tag, safe='')}"} for tag in tags]


def hashtag_names(values: Iterable[Any]) -> tuple[str, ...]:
    """Tag names without "#", each at most MAX_TAG long, the first spelling of each (case-insensitive)."""
    seen: dict[str, str] = {}
    for value in values:
        name = clean(value, MAX_TAG + 1).lstrip("#").strip()[:MAX_TAG]
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return tuple(seen.values())


def addressees(value: Any) -> tuple[str, ...]:
    """The ids in `to` or `cc`, at most MAX_ADDRESSEES of them, none longer than MAX_ADDRESS."""
    return tuple(a for a in ids_of(value) if len(a) <= MAX_ADDRESS)[:MAX_ADDRESSEES]
