"""Reading bounces and complaints out of mail (pure functions over bytes, the stdlib email package).

- Delivery status notifications (RFC 3464): `multipart/report; report-type=delivery-status`, one
  block per recipient with Final-Recipient, Action and Status: 5.x.x is a hard bounce, 4.x.x (or
  Action: delayed) a soft one; X.2.2 (mailbox full) is soft whatever its class, as mail providers treat it.
- Complaints (ARF, RFC 5965): `multipart/report; report-type=feedback-report` with Feedback-Type abuse
  or fraud; the complaining address is the report's Original-Rcpt-To, else the embedded message's To.
- The common non-standard bounces (Exim, qmail, old Sendmail: plain text with "550 ..." and the
  address; Exim's X-Failed-Recipients header), as a best effort.

Bounded: a message over MAX_BYTES is not parsed, only the first PARSE_BYTES of others are (the report
parts come before the returned message), with at most MAX_BOUNDARIES multipart boundaries; nothing here
raises on malformed input: what cannot be read is a `Report` with no events."""

from __future__ import annotations

import email
import email.policy
import hashlib
import itertools
import re
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses, parseaddr
from typing import Literal

MAX_BYTES = 2_000_000  # larger messages are not bounces worth reading
MAX_RECIPIENTS = 50  # events read from one message
MAX_TEXT = 30_000  # characters of a plain-text bounce searched
PARSE_BYTES = 256_000  # of a message, parsed
MAX_BOUNDARIES = 10  # a report has a few multipart levels; thousands only make the parser slow
COMPLAINT_TYPES = ("abuse", "fraud")

Kind = Literal["bounce", "complaint"]
ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                     r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+")
ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
SMTP_REPLY = re.compile(r"(?<![\d.])([45])\d\d(?:[ -]|$)", re.M)
BOUNCE_SENDERS = re.compile(r"mailer-daemon|postmaster|mail delivery|mail-daemon", re.I)
BOUNCE_SUBJECTS = re.compile(r"undeliver|delivery status|delivery fail|mail delivery|failure notice|returned mail|"
                             r"delivery problem|could not be delivered|non[- ]?delivery", re.I)
# Where the copy of the original message starts in a plain-text bounce: nothing below is the report.
ORIGINAL_STARTS = re.compile(r"^(?:-+ ?(?:This is a copy of|Below this line is a copy of|Original message|"
                             r"The header of the original message)|Content-Type: message/rfc822)", re.I | re.M)
LONE_ADDRESS = re.compile(r"^\s*<?(" + ADDRESS.pattern + r")>?:?\s*$", re.M)
TOKEN = re.compile(r"/mail/unsubscribe/([A-Za-z0-9_-]{16,64})")


@dataclass(frozen=True)
class Event:
    """One bounce or complaint about one address (`token`: the list token found in the original
    message's List-Unsubscribe, when there is one)."""

    kind: Kind
    email: str
    hard: bool = True
    detail: str = ""
    token: str = ""


@dataclass(frozen=True)
class Report:
    """What one message says: its events (none when it is no bounce we can read), the format it was
    read as ("dsn", "arf", "text" or "none"), and `ref`, its Message-ID or a digest of its bytes, which
    names it once recorded so that reading it again counts nothing."""

    events: tuple[Event, ...] = field(default_factory=tuple)
    format: str = "none"
    ref: str = ""


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()[:32]


def parse_bytes(data: bytes) -> Report:
    """The bounces and complaints of one raw message; never raises."""
    if len(data) > MAX_BYTES:
        return Report(ref=digest(data[:65536]))
    head = data[:PARSE_BYTES]  # the report comes first; a cut original message parses all the same
    if head.lower().count(b"boundary=") > MAX_BOUNDARIES:  # nested parts cost the parser quadratic time
        return Report(ref=digest(data))
    try:
        message = email.message_from_bytes(head, policy=email.policy.compat32)
    except Exception:
        return Report(ref=digest(data))
    return parse_message(message, fallback_ref=digest(data))


def parse_message(message: Message, fallback_ref: str = "") -> Report:
    """The bounces and complaints of a parsed message; never raises."""
    try:
        ref = _clean(str(message.get("Message-ID", "") or ""))[:200] or fallback_ref
    except Exception:
        ref = fallback_ref
    try:
        return _parse(message, ref)
    except Exception:  # malformed beyond what the readers below expect: nothing read
        return Report(ref=ref)


def _parse(message: Message, ref: str) -> Report:
    if message.get_content_type() == "multipart/report":
        report_type = str(message.get_param("report-type", "", header="content-type") or "").lower()
        if report_type == "delivery-status":
            return Report(_limit(_dsn_events(message)), "dsn", ref)
        if report_type == "feedback-report":
            return Report(_limit(_arf_events(message)), "arf", ref)
    if _looks_like_bounce(message):
        events = _text_events(message)
        if events:
            return Report(_limit(events), "text", ref)
    return Report(ref=ref)


def _limit(events: list[Event]) -> tuple[Event, ...]:
    seen: dict[tuple[str, str], Event] = {}
    for event in events:
        seen.setdefault((event.kind, event.email), event)
    return tuple(list(seen.values())[:MAX_RECIPIENTS])


def _clean(text: str) -> str:
    return " ".join(text.replace("\x00", "").split())


def address_of(value: str) -> str:
    """A lower-cased address out of a header value ("rfc822; <a@b.c>", "Name <a@b.c>"), or ""."""
    value = _clean(value)
    if ";" in value:
        value = value.split(";", 1)[1].strip()
    _, addr = parseaddr(value)
    addr = addr.strip().strip("<>").lower()
    return addr if len(addr) <= 320 and ADDRESS.fullmatch(addr) else ""


def _parts(message: Message) -> list[Message]:
    return list(itertools.islice(message.walk(), 200))


def _blocks(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status or message/feedback-report part: the email
    package parses them into messages, or leaves text (an encoded part) that is parsed here."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload or "")
    blocks = re.split(r"\r?\n[ \t]*\r?\n", text.strip())
    return [email.message_from_string(block.strip() + "\n", policy=email.policy.compat32) for block in blocks[:200]]


def _original(message: Message) -> Message | None:
    """The returned original message (or its headers) embedded in a report."""
    for part in _parts(message):
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        if ctype in ("text/rfc822-headers", "text/global-headers"):
            raw = part.get_payload(decode=True)
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
            return email.message_from_string(text, policy=email.policy.compat32)
    return None


def _token(original: Message | None) -> str:
    if original is None:
        return ""
    found = TOKEN.search(str(original.get("List-Unsubscribe", "") or ""))
    return found.group(1) if found else ""


def classify(status: str, action: str = "", diagnostic: str = "") -> bool | None:
    """True: a hard bounce, False: a soft one, None: no failure (delivered, relayed, expanded)."""
    action = action.strip().lower()
    if action in ("delivered", "relayed", "expanded"):
        return None
    found = ENHANCED.search(status) or ENHANCED.search(diagnostic)
    if found:
        klass, subject, detail = found.groups()
        if klass == "2":
            return None
        if (subject, detail) == ("2", "2"):  # mailbox full: it may empty
            return False
        return klass == "5" and action != "delayed"
    reply = SMTP_REPLY.search(diagnostic.split(";", 1)[-1])
    if reply:
        return reply.group(1) == "5" and action != "delayed"
    if action == "delayed":
        return False
    return True if action == "failed" else None


def _dsn_events(message: Message) -> list[Event]:
    token = _token(_original(message))
    events: list[Event] = []
    for part in _parts(message):
        if part.get_content_type() not in ("message/delivery-status", "message/global-delivery-status"):
            continue
        for block in _blocks(part):
            # the address we sent to (a forward's bounce names its final one too)
            addr = address_of(str(block.get("Original-Recipient", "") or "")) or \
                address_of(str(block.get("Final-Recipient", "") or ""))
            if not addr:
                continue
            status = _clean(str(block.get("Status", "") or ""))
            diagnostic = _clean(str(block.get("Diagnostic-Code", "") or ""))
            hard = classify(status, str(block.get("Action", "") or ""), diagnostic)
            if hard is not None:
                detail = " ".join(x for x in (status, diagnostic.split(";", 1)[-1].strip()) if x)
                events.append(Event("bounce", addr, hard, detail[:500], token))
    return events


def _arf_events(message: Message) -> list[Event]:
    original = _original(message)
    for part in _parts(message):
        if part.get_content_type() != "message/feedback-report":
            continue
        fields: dict[str, str] = {}
        for block in _blocks(part):
            for key, value in block.items():
                fields.setdefault(key.lower(), _clean(str(value)))
        kind = fields.get("feedback-type", "").lower()
        if kind not in COMPLAINT_TYPES:
            return []
        addr = address_of(fields.get("original-rcpt-to", "")) or address_of(fields.get("removal-recipient", ""))
        if not addr and original is not None:
            named = [a for _, a in getaddresses([str(v) for v in original.get_all("To", [])])]
            addr = address_of(named[0]) if len(named) == 1 else ""
        token = _token(original)
        if not addr and not token:
            return []
        source = fields.get("user-agent", "") or fields.get("reported-domain", "")
        return [Event("complaint", addr, True, f"{kind} {source}".strip()[:500], token)]
    return []


def _looks_like_bounce(message: Message) -> bool:
    sender = str(message.get("From", "") or "")
    subject = str(message.get("Subject", "") or "")
    return bool(message.get("X-Failed-Recipients")) or bool(BOUNCE_SENDERS.search(sender)) or \
        bool(BOUNCE_SUBJECTS.search(subject))


def _first_text(message: Message) -> str:
    for part in _parts(message):
        if part.get_content_type() == "text/plain" and not part.is_multipart():
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes):
                charset = part.get_content_charset() or "utf-8"
                try:
                    return raw.decode(charset, "replace")[:MAX_TEXT]
                except LookupError:
                    return raw.decode("utf-8", "replace")[:MAX_TEXT]
    return ""


def _text_events(message: Message) -> list[Event]:
    """Exim, qmail and the like: the failed addresses (X-Failed-Recipients, or alone on a line of the
    report), and the first SMTP reply or "permanent"/"temporary" wording for how hard."""
    text = _first_text(message)
    cut = ORIGINAL_STARTS.search(text)
    report = text[:cut.start()] if cut else text
    failed = [address_of(a) for a in str(message.get("X-Failed-Recipients", "") or "").split(",")]
    addrs = [a for a in failed if a] or [address_of(m.group(1)) for m in LONE_ADDRESS.finditer(report)]
    addrs = [a for a in dict.fromkeys(addrs) if a]
    if not addrs:
        return []
    code = ENHANCED.search(report) or SMTP_REPLY.search(report)
    lower = report.lower()
    if code:
        hard = classify(code.group(0)) if code.re is ENHANCED else code.group(1) == "5"
        if hard is None:
            return []
    elif "permanent" in lower or "given up" in lower:
        hard = True
    elif "temporar" in lower or "delayed" in lower or "will retry" in lower:
        hard = False
    else:
        return []
    detail = ""
    for line in report.splitlines():
        if code and code.group(0) in line:
            detail = _clean(line)[:500]
            break
    token = _token(_original(message))
    return [Event("bounce", a, hard, detail, token) for a in addrs]
