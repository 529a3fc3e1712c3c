"""Reports about an account or its content: made here (a member, or a visitor without an account), or
received from another server as a `Flag`; and forwarded to the reported account's server as a `Flag`.

The wire shape is Mastodon's (app/serializers/activitypub/flag_serializer.rb, app/lib/activitypub/
activity/flag.rb): `{"type": "Flag", "actor": <the instance actor>, "object": [<account>, <status>...],
"content": <comment>}`, sent by the instance actor so the reporter stays anonymous. A received Flag keeps
only the objects that are ours (Mastodon does the same) and makes one report per reported account."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from federation import vocab
from federation.client import FetchError
from node.core import i18n
from node.social import notify
from node.policy import policy
from node.accounts.actors import ensure_instance_actor, fetch_actor
from node.social.delivery import publish
from node.core.models import Actor, Post, User
from node.events.models import Event
from node.initiatives.models import Initiative
from node.moderation.models import Report
from node.core.runtime import Node

log = logging.getLogger("agora.reports")

MAX_COMMENT = 5000
MAX_FLAG_OBJECTS = 100
STAFF_ROLES = ("admin", "moderator")
VISIBLE = ("public", "unlisted")


def N_(text: str) -> str:
    """Marks a message for extraction (babel.cfg): the page that shows it translates it."""
    return text


class ReportError(ValueError):
    """A report that cannot be made as given; the message says why."""


@dataclass(frozen=True)
class Subject:
    """What a report is about: an account, and some of its posts, events or initiatives."""

    target: Actor
    objects: tuple[str, ...] = ()


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def _owner(actor_id: int) -> Actor:
    return await Actor.get(id=actor_id)


async def resolve(node: Node, uri: str, *, member: bool) -> Subject:
    """The account or content at `uri`, as known here. Members may also name a remote account we have
    not seen yet (it is fetched); visitors without an account only reach public content."""
    uri = uri.strip()
    if not vocab.is_http_url(uri):
        raise ReportError(N_("Give the address (URL) of an account, a post, an event or an initiative."))
    actor = await Actor.get_or_none(uri=uri)
    if actor is not None:
        if actor.kind == "Application" and actor.local:
            raise ReportError(N_("This is the server's own technical account."))
        return Subject(actor)
    post = await Post.get_or_none(uri=uri) or await Post.filter(url=uri).first()
    if post is not None and (member or post.visibility in VISIBLE) and not post.draft:
        if post.deleted_at is not None:
            raise ReportError(N_("This content was removed already."))
        return Subject(await _owner(post.author_id), (post.uri,))
    event = await Event.get_or_none(uri=uri, draft=False)
    if event is not None:
        if event.deleted_at is not None:
            raise ReportError(N_("This content was removed already."))
        return Subject(await _owner(event.organizer_id), (event.uri,))
    initiative = await Initiative.get_or_none(uri=uri, draft=False)
    if initiative is not None:
        if initiative.deleted_at is not None:
            raise ReportError(N_("This content was removed already."))
        return Subject(await _owner(initiative.organizer_id), (initiative.uri,))
    if member and not node.urls.is_local(uri):
        try:
            return Subject(await fetch_actor(node, uri))
        except FetchError as exc:
            log.info("report target %s not fetched: %s", uri, exc)
    raise ReportError(N_("Nothing known here at this address."))


def report_uri(node: Node) -> str:
    return f"{node.urls.base}/reports/{secrets.token_urlsafe(16)}"


async def create_report(
    node: Node, subject: Subject, comment: str, *, reporter: Actor | None, forward: bool = False
) -> Report:
    """A report made on this node by a member (`reporter`) or a visitor without an account (None, who
    must say why). `forward` also sends it to the reported account's server (remote accounts only)."""
    comment = comment.replace("\r\n", "\n").replace("\x00", "").strip()
    if len(comment) > MAX_COMMENT:
        raise ReportError(i18n.lazy_gettext("The comment is longer than %(num)s characters.", num=MAX_COMMENT))
    if reporter is None and not comment:
        raise ReportError(N_("Please say what is wrong."))
    report = await Report.create(
        uri=report_uri(node), reporter=reporter, reporter_domain=node.urls.host if reporter else None,
        target=subject.target, target_uri=subject.target.uri, object_uris=list(subject.objects),
        comment=comment, local=True,
    )
    await notify_staff(node, report, reporter)
    if forward and not subject.target.local:
        await forward_report(node, report)
    return report


def flag_document(report: Report, instance: Actor) -> dict[str, Any]:
    """The `Flag` that forwards a report, as Mastodon sends it: from our instance actor, never naming
    the member who reported."""
    uri = report.uri or ""
    return vocab.activity("Flag", uri, instance.uri, [report.target_uri, *report.object_uris], content=report.comment)


async def forward_report(node: Node, report: Report) -> None:
    """Send the report to the reported account's server (its shared inbox) as a `Flag`."""
    if report.forwarded_at is not None:
        raise ReportError(N_("This report was forwarded already."))
    target = await Actor.get_or_none(id=report.target_id) if report.target_id else None
    if target is None or target.local:
        raise ReportError(N_("Only reports about accounts of other servers can be forwarded."))
    instance = await ensure_instance_actor(node.urls)
    if not report.uri or not node.urls.is_local(report.uri):
        report.uri = report_uri(node)  # the Flag's id must be ours
    async with in_transaction():
        report.forwarded_at = _now()
        await report.save(update_fields=["uri", "forwarded_at"])
        await publish(node, instance, flag_document(report, instance), followers=False, recipients=[target.uri])


# ------------------------------------------------------------------ received Flags


async def rejects_reports(node: Node, domain: str) -> bool:
    """True when reports from this domain are not wanted (a `reject_reports` rule, or no contact)."""
    return await policy.rejects_reports(node, domain) or await policy.is_blocked(node, domain)


async def _our_subject(node: Node, uri: str) -> tuple[Actor, str | None] | None:
    """(the local account concerned, the object uri or None) for one of our actors or objects."""
    if not node.urls.is_local(uri):
        return None
    actor = await Actor.get_or_none(uri=uri, local=True, deleted_at=None)
    if actor is not None:
        return (actor, None) if actor.kind != "Application" else None
    post = await Post.get_or_none(uri=uri, local=True)
    if post is not None:
        return await _owner(post.author_id), post.uri
    event = await Event.get_or_none(uri=uri, local=True)
    if event is not None:
        return await _owner(event.organizer_id), event.uri
    initiative = await Initiative.get_or_none(uri=uri, local=True)
    if initiative is not None:
        return await _owner(initiative.organizer_id), initiative.uri
    return None


async def receive_flag(node: Node, actor: Actor, doc: Mapping[str, Any]) -> list[Report]:
    """A `Flag` from another server: one report per reported account of ours, with the reported
    objects of ours; unknown objects are ignored. Idempotent (the Flag's id names the reports)."""
    flag_id = doc.get("id")
    if not isinstance(flag_id, str) or actor.local:
        return []
    if await rejects_reports(node, actor.domain):
        log.info("Flag %s from %s ignored: reports from %s are rejected", flag_id, actor.uri, actor.domain)
        return []
    groups: dict[int, tuple[Actor, list[str]]] = {}
    for uri in vocab.ids_of(doc.get("object"))[:MAX_FLAG_OBJECTS]:
        found = await _our_subject(node, uri) if vocab.is_http_url(uri) else None
        if found is None:
            continue
        target, obj = found
        entry = groups.setdefault(target.id, (target, []))
        if obj is not None and obj not in entry[1]:
            entry[1].append(obj)
    comment = vocab.text(doc.get("content"), MAX_COMMENT).strip()  # plain text, shown escaped
    made: list[Report] = []
    for n, (target, objects) in enumerate(groups.values()):
        uri = flag_id if n == 0 else f"{flag_id}#agora-{n}"
        if await Report.filter(uri=uri).exists():
            continue
        try:
            report = await Report.create(
                uri=uri, reporter=actor, reporter_domain=actor.domain, target=target, target_uri=target.uri,
                object_uris=objects, comment=comment, local=False,
            )
        except IntegrityError:
            continue
        await notify_staff(node, report, actor)
        made.append(report)
    if not groups:
        log.info("Flag %s from %s names nothing of ours", flag_id, actor.uri)
    return made


async def notify_staff(node: Node, report: Report, reporter: Actor | None) -> None:
    """Moderators and admins see a notification that links to the report."""
    staff = await User.filter(role__in=STAFF_ROLES, disabled=False).prefetch_related("actor")
    text = f"{report.target_uri}: {report.comment}" if report.comment else report.target_uri
    for user in staff:
        await notify.notify(user.actor, "report", reporter, f"report {report.id}",
                            f"{node.urls.base}/admin/reports/{report.id}", text)
