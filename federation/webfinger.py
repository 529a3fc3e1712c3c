"""WebFinger (RFC 7033) and host-meta (RFC 6415): serving and resolving."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote
from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

from federation import vocab
from federation.client import FederationClient, FetchError

__all__ = [
    "JRD_CONTENT_TYPE",
    "PROFILE_PAGE_REL",
    "SUBSCRIBE_REL",
    "XRD_CONTENT_TYPE",
    "WebFingerResult",
    "build_jrd",
    "host_meta_json",
    "host_meta_xrd",
    "lookup",
    "parse_resource",
    "resolve_handle",
    "split_handle",
    "subscribe_template",
]

JRD_CONTENT_TYPE: Final = "application/jrd+json; charset=utf-8"
XRD_CONTENT_TYPE: Final = "application/xrd+xml; charset=utf-8"
PROFILE_PAGE_REL: Final = "http://webfinger.net/rel/profile-page"
SUBSCRIBE_REL: Final = "http://ostatus.org/schema/1.0/subscribe"
_XRD_NS: Final = "http://docs.oasis-open.org/ns/xri/xrd-1.0"
_AS2_PROFILE: Final = "https://www.w3.org/ns/activitystreams"
_JRD_ACCEPT: Final = "application/jrd+json, application/json;q=0.9"
_HOST_META_ACCEPT: Final = "application/xrd+xml, application/json;q=0.5, */*;q=0.1"

_USERNAME_RE: Final = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?")
_LABEL: Final = r"(?!-)[A-Za-z0-9\-]{1,63}(?<!-)"
_HOST_RE: Final = re.compile(
    rf"(?:(?:{_LABEL}\.)*{_LABEL}|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{{1,5}}))?"
)


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


def _valid_host(host: str) -> bool:
    match = _HOST_RE.fullmatch(host)
    if match is None:
        return False
    port = match.group("port")
    return port is None or 0 < int(port) < 65536


def split_handle(text: str) -> tuple[str, str] | None:
    """``"@u@host"``, ``"u@host"`` or ``"acct:u@host"`` -> ``("u", "host")``.

    The host may carry a port (``"u@127.0.0.1:8000"``) and is lowercased;
    the username keeps its case. Returns ``None`` for anything else.
    """
    value = text.strip()
    if value[:5].lower() == "acct:":
        value = value[5:]
    elif value.startswith("@"):
        value = value[1:]
    user, sep, host = value.partition("@")
    if not sep or _USERNAME_RE.fullmatch(user) is None or not _valid_host(host):
        return None
    return user, host.lower()


def parse_resource(resource: str, *, host: str, base_url: str) -> str | None:
    """The local username a WebFinger ``resource`` designates, else ``None``.

    Accepts ``acct:name@host`` (also ``name@host`` / ``@name@host``) where
    ``host`` is this server's host (with port when not default), and the
    actor or profile URLs ``<base_url>/users/name`` and ``<base_url>/@name``.
    """
    value = resource.strip()
    base = base_url.rstrip("/")
    for prefix in (f"{base}/users/", f"{base}/@"):
        if value.startswith(prefix):
            name = value[len(prefix):].rstrip("/")
            return name if _USERNAME_RE.fullmatch(name) else None
    if value.lower().startswith(("http://", "https://")):
        return None
    handle = split_handle(value)
    if handle is None or handle[1] != host.lower():
        return None
    return handle[0]


# ---------------------------------------------------------------------------
# Serving
# ---------------------------------------------------------------------------


def build_jrd(
    *,
    subject: str,
    actor_url: str,
    profile_url: str,
    base_url: str,
    aliases: Sequence[str] = (),
) -> dict[str, Any]:
    """The JRD for a local account.

    ``aliases`` is ``[actor_url, profile_url, *aliases]`` without duplicates
    (as Mastodon does); links are ``self`` (AS2), the profile page and the
    OStatus subscribe template (remote interaction).
    """
    all_aliases = list(dict.fromkeys([actor_url, profile_url, *aliases]))
    return {
        "subject": subject,
        "aliases": all_aliases,
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": actor_url},
            {"rel": PROFILE_PAGE_REL, "type": "text/html", "href": profile_url},
            {
                "rel": SUBSCRIBE_REL,
                "template": f"{base_url.rstrip('/')}/authorize_interaction?uri={{uri}}",
            },
        ],
    }


def _lrdd_template(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/.well-known/webfinger?resource={{uri}}"


def host_meta_xrd(base_url: str) -> str:
    """``/.well-known/host-meta`` (serve as :data:`XRD_CONTENT_TYPE`)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<XRD xmlns="{_XRD_NS}">\n'
        f'  <Link rel="lrdd" template={quoteattr(_lrdd_template(base_url))}/>\n'
        "</XRD>\n"
    )


def host_meta_json(base_url: str) -> dict[str, Any]:
    """``/.well-known/host-meta.json``."""
    return {"links": [{"rel": "lrdd", "template": _lrdd_template(base_url)}]}


# ---------------------------------------------------------------------------
# Resolving
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WebFingerResult:
    subject: str
    actor_url: str | None  # the AS2 "self" link
    subscribe_template: str | None
    aliases: tuple[str, ...]


def _is_as2(media_type: object) -> bool:
    if not isinstance(media_type, str):
        return False
    main, *params = (p.strip() for p in media_type.split(";"))
    if main.lower() == "application/activity+json":
        return True
    if main.lower() != "application/ld+json":
        return False
    return any(p.replace(" ", "") == f'profile="{_AS2_PROFILE}"' for p in params)


def _links(jrd: dict[str, Any]) -> list[dict[str, Any]]:
    links = jrd.get("links")
    if not isinstance(links, list):
        return []
    return [link for link in links if isinstance(link, dict)]


def _parse_jrd(jrd: dict[str, Any], fallback_subject: str) -> WebFingerResult:
    actor_url: str | None = None
    template: str | None = None
    for link in _links(jrd):
        rel, href = link.get("rel"), link.get("href")
        if (
            actor_url is None and rel == "self" and _is_as2(link.get("type"))
            and isinstance(href, str) and href.lower().startswith(("https://", "http://"))
        ):
            actor_url = href
        if template is None and rel == SUBSCRIBE_REL and isinstance(link.get("template"), str):
            template = link["template"]
    subject = jrd.get("subject")
    raw_aliases = jrd.get("aliases")
    aliases = tuple(a for a in raw_aliases if isinstance(a, str)) if isinstance(
        raw_aliases, list
    ) else ()
    return WebFingerResult(
        subject=subject if isinstance(subject, str) else fallback_subject,
        actor_url=actor_url,
        subscribe_template=template,
        aliases=aliases,
    )


def _lrdd_from_json(text: str) -> str | None:
    try:
        doc = vocab.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    for link in _links(doc):
        template = link.get("template")
        if link.get("rel") == "lrdd" and isinstance(template, str):
            return template
    return None


def _lrdd_from_xrd(text: str) -> str | None:
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        return None  # no DTDs/entities: refuse entity expansion tricks
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return None
    for element in root.iter(f"{{{_XRD_NS}}}Link"):
        template = element.get("template")
        if element.get("rel") == "lrdd" and template:
            return template
    return None


def _lrdd_from_host_meta(content_type: str, text: str) -> str | None:
    """The lrdd template from a host-meta document (XRD or JSON)."""
    if "json" in content_type.lower():
        return _lrdd_from_json(text)
    return _lrdd_from_xrd(text)


async def _fetch_jrd(client: FederationClient, user: str, host: str, scheme: str) -> dict[str, Any]:
    acct = f"acct:{user}@{host}"
    # Sent as Mastodon does (":" and "@" unescaped; both are legal in a query).
    url = f"{scheme}://{host}/.well-known/webfinger?resource={quote(acct, safe=':@')}"
    try:
        return await client.get_json(url, accept=_JRD_ACCEPT)
    except FetchError as exc:
        if exc.status != 404:
            raise FetchError(f"WebFinger failed for {acct}: {exc.reason}", exc.status) from exc
    # 404: the server may publish its WebFinger endpoint elsewhere (host-meta).
    try:
        content_type, text = await client.get_text(
            f"{scheme}://{host}/.well-known/host-meta", accept=_HOST_META_ACCEPT
        )
    except FetchError as exc:
        raise FetchError(f"WebFinger failed for {acct}: not found", 404) from exc
    template = _lrdd_from_host_meta(content_type, text)
    if template is None or "{uri}" not in template:
        raise FetchError(f"WebFinger failed for {acct}: not found", 404)
    lrdd_url = template.replace("{uri}", quote(acct, safe=":@"))
    try:
        return await client.get_json(lrdd_url, accept=_JRD_ACCEPT)
    except FetchError as exc:
        raise FetchError(f"WebFinger failed for {acct}: {exc.reason}", exc.status) from exc


async def lookup(client: FederationClient, handle: str, *, scheme: str = "https") -> WebFingerResult:
    """WebFinger ``handle`` (falling back to host-meta's lrdd template on 404)."""
    parsed = split_handle(handle)
    if parsed is None:
        raise FetchError(f"not a handle: {handle!r}")
    if scheme not in ("http", "https"):
        raise ValueError(f"unsupported scheme: {scheme}")
    user, host = parsed
    jrd = await _fetch_jrd(client, user, host, scheme)
    return _parse_jrd(jrd, f"acct:{user}@{host}")


async def resolve_handle(client: FederationClient, handle: str, *, scheme: str = "https") -> str:
    """The actor URL (AS2 ``self`` link) for ``handle``; raises FetchError."""
    result = await lookup(client, handle, scheme=scheme)
    if result.actor_url is None:
        raise FetchError(f"no ActivityPub actor link for {handle}")
    return result.actor_url


async def subscribe_template(
    client: FederationClient, handle: str, *, scheme: str = "https"
) -> str | None:
    """The OStatus subscribe template of ``handle``'s server (remote follow),
    ``None`` when it publishes none; lookup failures raise FetchError."""
    result = await lookup(client, handle, scheme=scheme)
    return result.subscribe_template
