"""Opportunities on the wire: offers and requests (a job, an internship, volunteering, housing,
mentoring, a scholarship, a skills exchange) that an association publishes for its members.

An opportunity travels as an AS2 `Note`, because Mastodon shows a Note's content whole (an `Article`
only as its name, summary and a link, and it drops unknown types such as a bare FEP-0837 `Proposal`):

* `content` opens with the title and one localised line, the kind and purpose, the place and the
  expiry (:func:`opportunity_line`), then the poster's text and a link to the answer form; there is
  no `summary` (Mastodon would make it a content warning). `contentMap` holds the same per language.
* FEP-0837 (Federated Marketplace) terms where they fit: `purpose` ("offer" or "request") and
  `publishes`, an `Intent` with a ValueFlows `action` and `resourceClassifiedAs` naming the kind. The
  type stays `Note` (not `["Note", "Proposal"]`: multi-typed objects are read unevenly).
* Agora's terms (``https://w3id.org/agora/ns#``, defined inline in :data:`OPPORTUNITY_CONTEXT`):
  ``opportunityKind`` (:data:`KINDS`), ``opportunityStatus`` (open, closed), ``placeKind`` (here,
  there, remote; AS2 ``location`` carries the free-text place name), ``expires`` and ``closed``
  (date-times), schema.org ``validFrom``/``validThrough`` (dates), ``languages`` (what the opportunity
  asks for or offers in, language tags), ``opportunityText`` and ``opportunityTextMap`` (the poster's
  HTML without the lines above, which another Agora node shows in its own words).

Closing (by the poster or at expiry) is an `Update` with ``opportunityStatus: closed``; a moderator's
removal is a `Delete` (a Tombstone of type Note).
"""

from federation.opportunities.build import opportunity_document
from federation.opportunities.model import (
    KINDS, OPPORTUNITY_CONTEXT, OPPORTUNITY_TERMS, PLACES, PURPOSES, STATUSES, VF_NS, OpportunityData,
)
from federation.opportunities.parse import is_opportunity, parse_opportunity
from federation.opportunities.summary import mastodon_content, opportunity_line

__all__ = [
    "KINDS", "OPPORTUNITY_CONTEXT", "OPPORTUNITY_TERMS", "PLACES", "PURPOSES", "STATUSES", "VF_NS",
    "OpportunityData", "is_opportunity", "mastodon_content", "opportunity_document", "opportunity_line",
    "parse_opportunity",
]
