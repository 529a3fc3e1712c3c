"""Polls on the wire: a `Question` (FEP-9967, as Mastodon writes them) and a vote (a `Note` with a `name`).

Mastodon (app/serializers/activitypub/note_serializer.rb) serves a status with a poll as a `Question` whose
options are `oneOf` (one choice) or `anyOf` (several), each `{type: Note, name, replies: {type: Collection,
totalItems}}`, with `endTime`, `closed` once over and `votersCount` (a `toot:` term). A vote is a `Create` of a
`Note` whose `name` is the chosen option and whose `inReplyTo` is the question, sent to the poll's author
only: one per chosen option (app/lib/activitypub/activity/create.rb, `poll_vote?`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from federation.vocab import AS2, MASTODON_TERMS, SECURITY_V1, VocabError

MIN_OPTIONS = 2
MAX_OPTIONS = 10  # options of a poll written here (Mastodon allows 4 by default, servers up to 10 and more)
MAX_OPTION = 200  # characters of an option's text (Mastodon: 50 by default)
MAX_REMOTE_OPTIONS = 50  # options kept from another server's question
MAX_REMOTE_OPTION = 500

POLL_TERMS = {**MASTODON_TERMS, "votersCount": "toot:votersCount"}
CONTEXT: list[object] = [AS2, SECURITY_V1, POLL_TERMS]


class PollError(VocabError):
    """A question or a vote that cannot be used; the message says why."""


@dataclass(frozen=True)
class Option:
    name: str
    count: int | None  # None: the totals are hidden until the end


@dataclass(frozen=True)
class Question:
    """A poll's state as it goes on the wire: `multiple` = anyOf."""

    multiple: bool
    options: tuple[Option, ...]
    end_time: datetime | None = None
    closed: datetime | None = None  # set once the poll is over
    voters_count: int | None = None

    def index(self, name: str) -> int | None:
        """The position of the option with this exact text (how Mastodon matches a vote)."""
        return next((i for i, option in enumerate(self.options) if option.name == name), None)

    def ended(self, now: datetime) -> bool:
        return self.closed is not None or (self.end_time is not None and self.end_time <= now)


@dataclass(frozen=True)
class Vote:
    """One vote Note: `actor` (attributedTo) chose the option `name` of the question `question`."""

    id: str
    actor: str
    question: str
    name: str
