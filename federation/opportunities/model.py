"""An opportunity as a node knows it (:class:`OpportunityData`), the terms it travels in (AS2, a few of
FEP-0837's ValueFlows terms and Agora's own) and the bounds on what we accept."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from federation.initiatives.model import AGORA_NS
from federation.vocab import AS2, MASTODON_TERMS, SECURITY_V1

VF_NS: Final = "https://w3id.org/valueflows/ont/vf#"

KINDS: Final = ("job", "internship", "volunteering", "housing", "mentoring", "scholarship", "skills_exchange")
PURPOSES: Final = ("offer", "request")  # FEP-0837's vf:purpose
PLACES: Final = ("here", "there", "remote")
STATUSES: Final = ("open", "closed")

OPPORTUNITY_TERMS: Final[dict[str, Any]] = {
    **{key: MASTODON_TERMS[key] for key in ("toot", "sensitive", "Hashtag")},
    "agora": AGORA_NS,
    "vf": VF_NS,
    "sc": "http://schema.org/",
    "purpose": "vf:purpose",
    "Intent": "vf:Intent",
    "publishes": "vf:publishes",
    "action": "vf:action",
    "resourceClassifiedAs": {"@id": "vf:resourceClassifiedAs", "@type": "@id"},
    "opportunityKind": "agora:opportunityKind",
    "opportunityStatus": "agora:opportunityStatus",
    "placeKind": "agora:placeKind",
    "expires": {"@id": "agora:expires", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"},
    "closed": {"@id": "agora:closed", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"},
    "validFrom": {"@id": "sc:validFrom", "@type": "http://www.w3.org/2001/XMLSchema#date"},
    "validThrough": {"@id": "sc:validThrough", "@type": "http://www.w3.org/2001/XMLSchema#date"},
    "inLanguage": "sc:inLanguage",
    "languages": "agora:languages",
    "opportunityText": "agora:opportunityText",
    "opportunityTextMap": {"@id": "agora:opportunityText", "@container": "@language"},
}
OPPORTUNITY_CONTEXT: Final[list[Any]] = [AS2, SECURITY_V1, OPPORTUNITY_TERMS]

MAX_PLACE: Final = 300
MAX_LANGUAGES: Final = 20


@dataclass(frozen=True)
class OpportunityData:
    """What a node knows about one opportunity. `content_html` from a peer is not sanitised; it is the
    poster's text only (the Mastodon lines are added by the builder and dropped by the parser)."""

    id: str
    url: str
    title: str
    content_html: str
    kind: str
    purpose: str
    place_kind: str
    place_name: str
    status: str
    expires: datetime
    organizer: str
    starts: date | None = None
    ends: date | None = None
    closed: datetime | None = None
    language: str | None = None
    languages: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    published: datetime | None = None
    updated: datetime | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    name_map: dict[str, str] = field(default_factory=dict)  # other languages: {language: title}
    content_map: dict[str, str] = field(default_factory=dict)  # {language: the poster's HTML}
