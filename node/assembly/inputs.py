"""What an admin (or the command line) gives to make a vote, read and checked: options, roles, the
quorum ("50%" or a number), the majority rule, the closing time ("2d", "36h" or a date and time)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from node.accounts.roles import ROLES
from node.core import i18n
from node.core.multilingual import normalize_tag

MAJORITIES = ("simple", "absolute", "two-thirds")
KINDS = ("motion", "choice")
MAX_OPTIONS = 50
MAX_OPTION_LENGTH = 200
MAX_TITLE = 300
MAX_TEXT = 50_000
MAX_PROXIES = 10
DEFAULT_OPTIONS = ("For", "Against")  # a motion's options (translated on the page)
DURATION = re.compile(r"^(\d{1,4})\s*([mhdw])$")
UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class VoteError(Exception):
    """A vote, ballot or proxy refused, with a message a person can act on (a message id, or a lazily
    translated text). `status` is the HTTP status a page answers with."""

    def __init__(self, message: Any, status: int = 400) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status


@dataclass(frozen=True)
class VoteInput:
    title: str
    closes_at: datetime
    text: str = ""
    options: tuple[str, ...] = ()  # empty: a motion (for / against)
    max_choices: int = 1
    abstain: bool = True
    roles: tuple[str, ...] = ROLES
    secret: bool = False
    quorum_percent: int = 0
    quorum_count: int = 0
    majority: str = "simple"
    max_proxies: int = 1
    opens_at: datetime | None = None
    translations: tuple[tuple[str, str, str], ...] = ()  # (language, title, text) in other languages

    @property
    def kind(self) -> str:
        return "choice" if self.options else "motion"

    @property
    def labels(self) -> tuple[str, ...]:
        return self.options or DEFAULT_OPTIONS


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def parse_quorum(text: str) -> tuple[int, int]:
    """ "50%" -> (50, 0), "20" -> (0, 20), "" -> (0, 0)."""
    value = text.strip().replace(" ", "")
    if not value:
        return 0, 0
    percent = value.endswith("%")
    digits = value.rstrip("%")
    if not digits.isdigit() or len(digits) > 6:
        raise VoteError(i18n.lazy_gettext("The quorum %(value)s is neither a share like 50%% nor a number like 20.", value=text[:40]))
    number = int(digits)
    if percent and number > 100:
        raise VoteError("A quorum cannot be more than 100 %.")
    return (number, 0) if percent else (0, number)


def quorum_text(percent: int, count: int) -> str:
    parts = [f"{percent}%"] if percent else []
    parts += [str(count)] if count else []
    return " + ".join(parts)


def parse_roles(text: str) -> tuple[str, ...]:
    roles = tuple(dict.fromkeys(r.strip().lower() for r in text.split(",") if r.strip()))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise VoteError(i18n.lazy_gettext("Unknown role: %(role)s (roles are %(roles)s).", role=unknown[0][:40],
                                          roles=", ".join(ROLES)))
    return roles


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """A duration from now ("2d", "36h", "90m", "1w") or an ISO date and time (UTC when no zone)."""
    value = text.strip().lower()
    found = DURATION.match(value)
    if found:
        return (now or utcnow()) + timedelta(seconds=int(found.group(1)) * UNITS[found.group(2)])
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise VoteError(i18n.lazy_gettext("%(value)s is neither a duration like 2d or 36h nor a date and time like "
                                          "2030-06-01T18:00.", value=text[:40])) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def clean_options(lines: list[str]) -> tuple[str, ...]:
    options = tuple(dict.fromkeys(line.strip() for line in lines if line.strip()))
    if len(options) > MAX_OPTIONS:
        raise VoteError(i18n.lazy_gettext("At most %(num)s options.", num=MAX_OPTIONS))
    if any(len(option) > MAX_OPTION_LENGTH for option in options):
        raise VoteError(i18n.lazy_gettext("An option is at most %(num)s characters long.", num=MAX_OPTION_LENGTH))
    if len(options) == 1:
        raise VoteError("Give at least two options, or none for a motion (for or against).")
    return options


MAX_TRANSLATIONS = 4
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$")


def clean_translations(rows: list[tuple[str, str, str]]) -> tuple[tuple[str, str, str], ...]:
    """The filled rows of other languages, their tags normalised; a row needs a language and a title."""
    found: dict[str, tuple[str, str, str]] = {}
    for language, title, text in rows:
        if not (language.strip() or title.strip() or text.strip()):
            continue
        if not LANGUAGE.match(language.strip()) or not title.strip():
            raise VoteError("Each other language needs its language tag (like ar or fr) and its title.")
        tag = normalize_tag(language)
        found[tag] = (tag, title.strip(), text)
    if len(found) > MAX_TRANSLATIONS:
        raise VoteError(i18n.lazy_gettext("At most %(num)s other languages.", num=MAX_TRANSLATIONS))
    return tuple(found.values())


def validate(inp: VoteInput, now: datetime | None = None) -> None:
    """Raises VoteError when the vote cannot be made as given."""
    moment = now or utcnow()
    if not inp.title.strip():
        raise VoteError("A vote needs a title.")
    if any(len(title) > MAX_TITLE or len(text) > MAX_TEXT for _, title, text in inp.translations) or (
            len(inp.title) > MAX_TITLE or len(inp.text) > MAX_TEXT):
        raise VoteError("The title or the text is too long.")
    if inp.majority not in MAJORITIES:
        raise VoteError(i18n.lazy_gettext("The majority is one of %(rules)s.", rules=", ".join(MAJORITIES)))
    if not inp.roles:
        raise VoteError("Choose at least one role whose members may vote.")
    if not 1 <= inp.max_choices <= len(inp.labels) or (inp.kind == "motion" and inp.max_choices != 1):
        raise VoteError("The number of choices per ballot must be between 1 and the number of options (1 for a motion).")
    if not 0 <= inp.max_proxies <= MAX_PROXIES:
        raise VoteError(i18n.lazy_gettext("Proxies per member must be between 0 and %(num)s.", num=MAX_PROXIES))
    if not 0 <= inp.quorum_percent <= 100 or inp.quorum_count < 0:
        raise VoteError("The quorum is a share between 0 and 100 % or a number of ballots.")
    if inp.closes_at <= moment:
        raise VoteError("The closing time must be in the future.")
    if inp.opens_at is not None and inp.opens_at >= inp.closes_at:
        raise VoteError("The vote must open before it closes.")
