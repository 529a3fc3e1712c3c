"""What a member writes when they add a poll: its options, one or several choices, how long it runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from datetime import timedelta

from federation.polls import MAX_OPTION, MAX_OPTIONS, MIN_OPTIONS
from node.core import i18n

DEFAULT_DURATION = timedelta(days=1)
MIN_DURATION = timedelta(minutes=5)
MAX_DURATION = timedelta(days=90)
DURATION = re.compile(r"\s*(\d{1,6})\s*([mhdw])\s*", re.IGNORECASE)
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class PollError(ValueError):
    """A poll or a vote that cannot be taken as given; the message says why. `status`: 409 when the
    vote came too late or a second time, 400 for a malformed one."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def parse_duration(value: str) -> timedelta:
    """"30m", "12h", "2d", "1w" -> a duration between 5 minutes and 90 days."""
    found = DURATION.fullmatch(value or "")
    if found is None:
        raise PollError(i18n.gettext("A poll's duration is a number and m, h, d or w (for example 2d)."))
    duration = timedelta(**{UNITS[found.group(2).lower()]: int(found.group(1))})
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise PollError(i18n.gettext("A poll runs between 5 minutes and 90 days."))
    return duration


@dataclass(frozen=True)
class PollInput:
    options: tuple[str, ...]
    multiple: bool = False
    duration: timedelta = DEFAULT_DURATION
    hide_totals: bool = False

    def validate(self) -> None:
        if len(self.options) < MIN_OPTIONS:
            raise PollError(i18n.gettext("A poll needs at least %(num)d options.", num=MIN_OPTIONS))
        if len(self.options) > MAX_OPTIONS:
            raise PollError(i18n.gettext("A poll has at most %(num)d options.", num=MAX_OPTIONS))
        if any(len(option) > MAX_OPTION for option in self.options):
            raise PollError(i18n.gettext("An option is longer than %(num)d characters.", num=MAX_OPTION))
        if len(set(self.options)) != len(self.options):
            raise PollError(i18n.gettext("Two options are the same."))
        if not MIN_DURATION <= self.duration <= MAX_DURATION:
            raise PollError(i18n.gettext("A poll runs between 5 minutes and 90 days."))


def options_from(values: list[str]) -> tuple[str, ...]:
    """The options typed in the form's fields, blanks left out."""
    return tuple(v.strip() for v in values if v.strip())


DURATIONS = ("5m", "1h", "6h", "1d", "3d", "7d")  # offered by the compose forms
FORM_OPTIONS = 5  # option fields the compose forms show (the command line takes up to MAX_OPTIONS)


def form_values(form: Any) -> dict[str, Any]:
    """The poll fields of a compose form (a FormData, or None) as typed, to show them again."""
    options = [str(v) for v in form.getlist("poll_option")] if form is not None else []
    options += [""] * (FORM_OPTIONS - len(options))
    duration = str(form.get("poll_duration") or "1d") if form is not None else "1d"
    return {"options": options[:MAX_OPTIONS], "multiple": bool(form and form.get("poll_multiple")),
            "hide_totals": bool(form and form.get("poll_hide_totals")), "duration": duration,
            "durations": DURATIONS}


def poll_from_form(form: Any) -> PollInput | None:
    """The poll a compose form adds (None: its option fields are empty). Raises PollError."""
    options = options_from([str(v) for v in form.getlist("poll_option")])
    if not options:
        return None
    given = PollInput(options=options, multiple=bool(form.get("poll_multiple")),
                      duration=parse_duration(str(form.get("poll_duration") or "1d")),
                      hide_totals=bool(form.get("poll_hide_totals")))
    given.validate()
    return given
