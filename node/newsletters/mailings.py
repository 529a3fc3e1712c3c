"""Mailings as editors write them: Markdown in the mailing's language and its translations (subject and
body maps, like the other multilingual objects), an audience, a schedule; the versions as they are
sent and shown (the posts' Markdown rendering and the one sanitizer), the test sent to the editor,
and the site's list of sent mailings. Sending them is node/newsletters/sending.py."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from typing import Any

from node.core import i18n
from node.core.models import User
from node.core.multilingual import Translation, check_translations, choose, normalize_tag, ordered, others
from node.core.runtime import Node
from node.events.models import Event
from node.initiatives.models import Initiative
from node.mailing import messages
from node.mailing.models import Subscriber
from node.newsletters.models import AUDIENCES, Mailing
from node.posts.content import render

MAX_SUBJECT = 300
MAX_BODY = 50_000


class MailingError(ValueError):
    """A mailing that cannot be saved or sent as given; the message says why (`field`: the form field)."""

    def __init__(self, text: str, field_name: str | None = None) -> None:
        super().__init__(text)
        self.field = field_name


@dataclass(frozen=True)
class MailingInput:
    subject: str
    body: str
    language: str
    translations: tuple[Translation, ...] = ()  # title = subject, text = body
    audience: str = "subscribers"
    target_id: int | None = None
    also_post: bool = False


@dataclass(frozen=True)
class Version:
    """One language of a mailing: subject, Markdown, sanitized HTML."""

    language: str
    subject: str
    text: str
    html: str = field(default="")


async def checked(inp: MailingInput) -> MailingInput:
    language = normalize_tag(inp.language or "en")
    if not inp.subject.strip():
        raise MailingError("give the mailing a subject", "subject")
    if len(inp.subject) > MAX_SUBJECT:
        raise MailingError(f"the subject is longer than {MAX_SUBJECT} characters", "subject")
    if not inp.body.strip():
        raise MailingError("write the mailing", "body")
    if len(inp.body) > MAX_BODY or any(len(t.text) > MAX_BODY for t in inp.translations):
        raise MailingError(f"a text is longer than {MAX_BODY} characters", "body")
    translations = tuple(t for t in inp.translations if not t.is_blank())
    check_translations(language, translations, MailingError, needs_text=True, needs_title=True)
    if inp.audience not in AUDIENCES:
        raise MailingError("choose who receives it", "audience")
    if inp.audience == "event" and not await Event.exists(id=inp.target_id or 0, local=True, deleted_at=None):
        raise MailingError("choose one of the association's events", "target")
    if inp.audience == "initiative" and not await Initiative.exists(id=inp.target_id or 0, local=True, deleted_at=None):
        raise MailingError("choose one of the association's initiatives", "target")
    if inp.also_post and inp.audience != "subscribers":  # the others are not public: a post would be
        raise MailingError("only a mailing to the mailing list's subscribers can also be published as a post", "also_post")
    target = inp.target_id if inp.audience in ("event", "initiative") else None
    return MailingInput(inp.subject.strip(), inp.body, language, translations, inp.audience, target, inp.also_post)


def _columns(inp: MailingInput) -> dict[str, Any]:
    subjects = {normalize_tag(t.language): t.title.strip() for t in inp.translations}
    bodies = {normalize_tag(t.language): t.text for t in inp.translations}
    return {"language": inp.language, "subject": inp.subject, "body": inp.body,
            "subject_map": ordered(inp.language, inp.subject, subjects), "body_map": ordered(inp.language, inp.body, bodies),
            "audience": inp.audience, "target_id": inp.target_id, "also_post": inp.also_post}


def new_slug(subject: str) -> str:
    words = "".join(c if c.isascii() and c.isalnum() else "-" for c in subject.lower()).strip("-")
    stem = "-".join(part for part in words.split("-") if part)[:40].strip("-")
    return f"{stem or 'mailing'}-{secrets.token_hex(3)}"


async def create_mailing(author: User | None, inp: MailingInput) -> Mailing:
    inp = await checked(inp)
    return await Mailing.create(slug=new_slug(inp.subject), author=author, status="draft", **_columns(inp))


async def update_mailing(mailing: Mailing, inp: MailingInput) -> Mailing:
    """Edit a draft or scheduled mailing (one being sent or sent is not changed)."""
    if mailing.status not in ("draft", "scheduled"):
        raise MailingError("this mailing was sent already and cannot be changed")
    inp = await checked(inp)
    for name, value in _columns(inp).items():
        setattr(mailing, name, value)
    await mailing.save()
    return mailing


def translations_of(mailing: Mailing) -> tuple[Translation, ...]:
    """The other languages as written, for the edit form."""
    subjects = others(mailing.language, mailing.subject_map)
    bodies = others(mailing.language, mailing.body_map)
    return tuple(Translation(language=tag, title=subjects.get(tag, ""), text=bodies.get(tag, ""))
                 for tag in dict.fromkeys([*subjects, *bodies]))


def input_of(mailing: Mailing) -> MailingInput:
    return MailingInput(mailing.subject, mailing.body, mailing.language, translations_of(mailing), mailing.audience,
                        mailing.target_id, mailing.also_post)


def versions(node: Node, inp: MailingInput) -> list[Version]:
    """Every language, the mailing's own first, its Markdown rendered and sanitized."""
    found = [(inp.language, inp.subject, inp.body)] + [(t.language, t.title or inp.subject, t.text)
                                                       for t in inp.translations]
    return [Version(tag, subject, text, render(node.urls, text, {})[0]) for tag, subject, text in found]


def version_for(node: Node, mailing: Mailing, language: str, cache: dict[str, Version] | None = None) -> Version:
    """The version a reader of `language` gets (its language, the same primary language, else the
    mailing's own)."""
    bodies = mailing.body_map if isinstance(mailing.body_map, dict) and mailing.body_map else {mailing.language: mailing.body}
    subjects = mailing.subject_map if isinstance(mailing.subject_map, dict) else {}
    tag = choose(list(bodies), [language]) or mailing.language
    if cache is not None and tag in cache:
        return cache[tag]
    text = str(bodies.get(tag) or mailing.body)
    version = Version(tag, str(subjects.get(tag) or mailing.subject), text, render(node.urls, text, {})[0])
    if cache is not None:
        cache[tag] = version
    return version


def page_url(node: Node, mailing: Mailing) -> str:
    return f"{node.settings.base_url.rstrip('/')}/mailings/{mailing.slug}"


def message_for(node: Node, mailing: Mailing, subscriber: Subscriber, version: Version) -> EmailMessage:
    """The mailing's message to one subscriber (multipart, list headers, their links)."""
    i18n.activate(subscriber.language or node.settings.association.language)
    context = {"subject": version.subject, "text": version.text, "html": version.html,
               "url": page_url(node, mailing), "language": version.language}
    text = messages.render("newsletter.txt", **context)
    html = messages.render("newsletter.html", **context)
    return messages.compose(node, subscriber, version.subject, text, html)


async def send_test(node: Node, mailing: Mailing, user: User, connection: Any) -> int:
    """Each language of the mailing to the editor alone (subject marked as a test); nothing is recorded
    as sent. `connection`: a node.core.mail.Connection. Returns how many messages went."""
    subscriber = Subscriber(email=user.email, token="test-" + secrets.token_hex(8), status="active",
                            language=user.locale or mailing.language)
    count = 0
    for version in versions(node, input_of(mailing)):
        subscriber.language = version.language
        marked = Version(version.language, f"[{i18n.gettext('Test')}] {version.subject}", version.text, version.html)
        await connection.send(message_for(node, mailing, subscriber, marked))
        count += 1
    return count


PUBLIC_AUDIENCES = ("subscribers",)  # anyone may subscribe: what they got may be on the site
MEMBER_AUDIENCES = ("subscribers", "members")  # a signed-in member sees the members' mailings too


async def sent_mailings(limit: int = 100, audiences: tuple[str, ...] = PUBLIC_AUDIENCES) -> list[Mailing]:
    """The sent mailings of these audiences (an event's participants or an initiative's supporters got
    theirs alone: never on the site)."""
    return await Mailing.filter(status="sent", audience__in=list(audiences)).order_by("-sent_at").limit(limit)


async def cancel(mailing: Mailing) -> bool:
    """Stop a scheduled mailing, or one being sent (the rest of its recipients get nothing)."""
    changed = await Mailing.filter(id=mailing.id, status__in=("scheduled", "sending")).update(
        status="cancelled", generation=mailing.generation + 1)
    return changed > 0


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
