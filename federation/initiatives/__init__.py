"""Initiatives on the wire: community projects with needs, a transparency ledger, support and a status.

An initiative travels as an AS2 `Article`, so that every peer sees something valid:

* Mastodon converts an Article into `<h2>name</h2>` + `summary` + a link to `url` (see
  :func:`federation.events.mastodon_rendering`); `summary` is therefore :func:`initiative_summary`, one
  plain, localised, HTML-escaped line with the kind, the status and the progress. The cover image is
  `attachment[0]` (a `Document` whose `name` is the alt text) and `image`.
* Peers that ignore extensions read `name`, `content` (HTML), `url`, `attributedTo`, `tag`, `location`
  (the place "there", an AS2 `Place` with a schema.org `PostalAddress`, as Mobilizon writes it).
* Another Agora node rebuilds the whole initiative from the extension terms below.

Extension namespace: ``https://w3id.org/agora/ns#`` (prefix ``agora:``; :data:`AGORA_NS`). It is not
dereferenceable yet, so the terms are defined inline in :data:`INITIATIVE_CONTEXT` and nobody needs to
fetch it. Terms (all in ``agora:`` unless said otherwise):

``initiativeKind``   one of :data:`KINDS`.
``initiativeStatus`` one of :data:`STATUSES`.
``statusHistory``    ordered list of ``{"type": "StatusChange", "initiativeStatus", "published"}``.
``needs``            ordered list of ``Need`` objects: ``needKind`` (volunteers, materials, money),
                     ``name`` (title), ``summary`` (description), ``skills`` (strings), ``quantity``,
                     ``pledgedQuantity``, ``goal`` and ``pledged`` (money).
``ledgerTotals``     ``CurrencyTotal`` objects: ``currency`` plus ``received`` and ``spent`` (money, in
                     that same currency). Totals are derived from the ledger by the sender.
``supportCount``     how many local members and remote actors support it.
``placeThere``       where it acts (also sent as AS2 ``location``); ``placeHere``: where the diaspora is.
``responsible``      ids of the people responsible.
``abstract``         (schema.org) the initiative's own short summary; the AS2 `summary` carries the
                     generated line Mastodon shows.
``abstractMap``      the same in every language the initiative is written in (a JSON-LD language map
                     of ``sc:abstract``), next to AS2's ``nameMap``, ``summaryMap`` and ``contentMap``.

Money is ``{"type": "MonetaryAmount", "amount": "1250.50", "currency": "EUR"}`` (schema.org
`MonetaryAmount` and `currency`, ``agora:amount``): the amount is a decimal *string* with at most the
currency's ISO 4217 minor digits, never a float.

Modules: ``model`` (InitiativeData, the JSON-LD terms, the bounds), ``money``, ``summary`` (what
Mastodon shows), ``build`` (what we send) and ``parse`` (what we read).
"""

from federation.fields import MAX_ADDRESSEES, MAX_CONTENT, MAX_NAME, MAX_TAG, MAX_TAGS
from federation.initiatives.build import initiative_document
from federation.initiatives.model import (
    AGORA_NS,
    INITIATIVE_CONTEXT,
    INITIATIVE_TERMS,
    KINDS,
    MAX_HISTORY,
    MAX_NEEDS,
    MAX_QUANTITY,
    MAX_RESPONSIBLE,
    MAX_SKILLS,
    MAX_SUMMARY,
    MAX_SUPPORT,
    MAX_TOTALS,
    MAX_UNITS,
    NEED_KINDS,
    STATUSES,
    SUMMARY_TEXT_LIMIT,
    CurrencyTotal,
    InitiativeData,
    Money,
    NeedData,
    NeedKind,
)
from federation.initiatives.money import format_money, money_amount, parse_money
from federation.initiatives.parse import is_initiative, parse_initiative
from federation.initiatives.summary import initiative_summary

__all__ = [
    "AGORA_NS",
    "INITIATIVE_CONTEXT",
    "INITIATIVE_TERMS",
    "KINDS",
    "MAX_ADDRESSEES",
    "MAX_CONTENT",
    "MAX_HISTORY",
    "MAX_NAME",
    "MAX_NEEDS",
    "MAX_QUANTITY",
    "MAX_RESPONSIBLE",
    "MAX_SKILLS",
    "MAX_SUMMARY",
    "MAX_SUPPORT",
    "MAX_TAG",
    "MAX_TAGS",
    "MAX_TOTALS",
    "MAX_UNITS",
    "NEED_KINDS",
    "STATUSES",
    "SUMMARY_TEXT_LIMIT",
    "CurrencyTotal",
    "InitiativeData",
    "Money",
    "NeedData",
    "NeedKind",
    "format_money",
    "initiative_document",
    "initiative_summary",
    "is_initiative",
    "money_amount",
    "parse_initiative",
    "parse_money",
]
