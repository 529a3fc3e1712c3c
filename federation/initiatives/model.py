"""An initiative as a node knows it (:class:`InitiativeData` with its needs, money and ledger totals),
the vocabulary it travels in (AS2, schema.org and the agora: terms) and the bounds on what we accept."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from federation.events.model import EVENT_TERMS
from federation.events.places import Place
from federation.vocab import AS2, MASTODON_TERMS, SECURITY_V1

AGORA_NS: Final = "https://w3id.org/agora/ns#"

KINDS: Final = ("development", "humanitarian", "advocacy", "mutual_aid", "cultural")
STATUSES: Final = ("proposed", "active", "achieved", "closed", "abandoned")
NEED_KINDS: Final = ("volunteers", "materials", "money")
NeedKind = Literal["volunteers", "materials", "money"]

_SCHEMA_TERMS: Final = ("sc", "PostalAddress", "address", "addressCountry", "addressRegion", "postalCode",
                        "addressLocality", "streetAddress", "inLanguage")
_MASTODON_TERMS: Final = ("toot", "sensitive", "Hashtag")

INITIATIVE_TERMS: Final[dict[str, Any]] = {
    **{key: EVENT_TERMS[key] for key in _SCHEMA_TERMS},
    **{key: MASTODON_TERMS[key] for key in _MASTODON_TERMS},
    "agora": AGORA_NS,
    "initiativeKind": "agora:initiativeKind",
    "initiativeStatus": "agora:initiativeStatus",
    "statusHistory": {"@id": "agora:statusHistory", "@container": "@list"},
    "StatusChange": "agora:StatusChange",
    "needs": {"@id": "agora:needs", "@container": "@list"},
    "Need": "agora:Need",
    "needKind": "agora:needKind",
    "skills": "agora:skills",
    "quantity": "agora:quantity",
    "pledgedQuantity": "agora:pledgedQuantity",
    "goal": "agora:goal",
    "pledged": "agora:pledged",
    "MonetaryAmount": "sc:MonetaryAmount",
    "amount": "agora:amount",
    "currency": "sc:currency",
    "ledgerTotals": "agora:ledgerTotals",
    "CurrencyTotal": "agora:CurrencyTotal",
    "received": "agora:received",
    "spent": "agora:spent",
    "supportCount": "agora:supportCount",
    "placeHere": "agora:placeHere",
    "placeThere": "agora:placeThere",
    "responsible": {"@id": "agora:responsible", "@type": "@id"},
    "abstract": "sc:abstract",
    "abstractMap": {"@id": "sc:abstract", "@container": "@language"},
}
INITIATIVE_CONTEXT: Final[list[Any]] = [AS2, SECURITY_V1, INITIATIVE_TERMS]

# Bounds on what we accept from a remote document.
# (MAX_NAME, MAX_CONTENT, MAX_TAGS, MAX_TAG and MAX_ADDRESSEES are those of federation.fields.)
MAX_SUMMARY: Final = 5_000
MAX_NEEDS: Final = 100
MAX_SKILLS: Final = 50
MAX_HISTORY: Final = 200
MAX_TOTALS: Final = 50
MAX_RESPONSIBLE: Final = 100
MAX_QUANTITY: Final = 1_000_000_000
MAX_SUPPORT: Final = 1_000_000_000
MAX_UNITS: Final = 10**12  # major currency units
SUMMARY_TEXT_LIMIT: Final = 280  # of the initiative's own summary inside the Mastodon line


@dataclass(frozen=True)
class Money:
    """An amount in minor units (cents; yen) of an ISO 4217 currency (upper case)."""

    minor: int
    currency: str


@dataclass(frozen=True)
class NeedData:
    kind: NeedKind
    title: str
    description: str = ""
    skills: tuple[str, ...] = ()
    quantity: int | None = None
    goal: Money | None = None
    pledged_quantity: int = 0
    pledged: Money | None = None


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    received_minor: int
    spent_minor: int


@dataclass(frozen=True)
class InitiativeData:
    """What a node knows about one initiative. `content_html` from a peer is not sanitised."""

    id: str
    url: str
    title: str
    summary: str
    content_html: str
    kind: str
    status: str
    status_history: tuple[tuple[str, datetime], ...]
    place_there: Place | None
    place_here: Place | None
    cover_url: str | None
    cover_alt: str
    cover_media_type: str | None
    language: str | None
    tags: tuple[str, ...]
    responsible: tuple[str, ...]
    needs: tuple[NeedData, ...]
    totals: tuple[CurrencyTotal, ...]
    support_count: int
    organizer: str
    published: datetime | None
    updated: datetime | None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    # Other languages: {language: text}. `title`, `summary`, `content_html` are in `language`.
    name_map: dict[str, str] = field(default_factory=dict)
    summary_map: dict[str, str] = field(default_factory=dict)
    content_map: dict[str, str] = field(default_factory=dict)
