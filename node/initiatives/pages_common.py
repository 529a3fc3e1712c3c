"""What the initiative pages share: the labels of an initiative's fields, amounts of money, places,
and the initiative an address names."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel.numbers import get_currency_precision
from starlette.requests import Request

from federation import initiatives as wire
from node.accounts.roles import PUBLISHING_ROLES
from node.core import i18n
from node.events.pages_common import place_view
from node.initiatives.inputs import TRANSITIONS, InitiativeError
from node.initiatives.models import Initiative
from node.web import auth, forms
from node.web.errors import PageRefusal
from node.web.pages import editor, node_of

_l = i18n.lazy  # labels translated when shown

PLACE_FIELDS = ("name", "street", "locality", "region", "country")

KIND_LABELS = {
    "development": _l("Development project"), "humanitarian": _l("Humanitarian appeal"),
    "advocacy": _l("Advocacy or petition"), "mutual_aid": _l("Mutual aid"), "cultural": _l("Cultural"),
}
STATUS_LABELS = {
    "proposed": _l("Proposed"), "active": _l("Active"), "achieved": _l("Achieved"), "closed": _l("Closed"),
    "abandoned": _l("Abandoned"),
}
# What the button that moves an initiative to a status says.
STATUS_ACTIONS = {
    "proposed": _l("Back to proposed"), "active": _l("Start: mark as active"), "achieved": _l("Mark as achieved"),
    "closed": _l("Close"), "abandoned": _l("Abandon"),
}
NEED_KIND_LABELS = {"volunteers": _l("Volunteers"), "materials": _l("Materials"), "money": _l("Money")}
DIRECTION_LABELS = {"received": _l("Received"), "spent": _l("Spent")}
NATURE_LABELS = {"money": _l("Money"), "in_kind": _l("In kind")}


def _codes(values: Any, fallback: dict[str, str]) -> list[str]:
    """KINDS / STATUSES of federation.initiatives as a list of codes, whatever their container."""
    try:
        codes = [str(v) for v in values]
    except TypeError:
        codes = []
    return codes or list(fallback)


def kinds() -> list[tuple[str, str]]:
    return [(k, kind_label(k)) for k in _codes(getattr(wire, "KINDS", ()), KIND_LABELS)]


def statuses() -> list[tuple[str, str]]:
    return [(s, status_label(s)) for s in _codes(getattr(wire, "STATUSES", ()), STATUS_LABELS)]


def kind_label(code: str | None) -> str:
    return KIND_LABELS.get(code or "", (code or "").replace("_", " ").capitalize())


def status_label(code: str | None) -> str:
    return STATUS_LABELS.get(code or "", (code or "").capitalize())


def _precision(currency: str | None) -> int:
    try:
        return int(get_currency_precision((currency or "").upper()))
    except Exception:  # noqa: BLE001 - an unknown code: two decimals, like most currencies
        return 2


def money_text(minor: int | None, currency: str | None, locale: str) -> str:
    """Minor units in the page's language, through federation.initiatives.format_money."""
    if minor is None or not currency:
        return ""
    return str(wire.format_money(wire.Money(minor, currency), locale))


def decimal_text(minor: int | None, currency: str | None) -> str:
    """Minor units as a plain decimal (the CSV and the form fields): 150050 EUR -> "1500.50"."""
    if minor is None:
        return ""
    digits = _precision(currency)
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(minor), 10 ** digits)
    return f"{sign}{whole}.{part:0{digits}d}" if digits else f"{sign}{whole}"


def slug_of(request: Request) -> str:
    return str(request.path_params["slug"])


def initiative_path(initiative: Initiative) -> str:
    return "/initiatives/" + initiative.uri.rsplit("/", 1)[-1]


def language_of(request: Request, initiative: Initiative) -> str:
    return initiative.language or node_of(request).settings.association.language or "en"


async def find_initiative(request: Request) -> Initiative:
    node = node_of(request)
    await i18n.activate_request(request, node)  # labels, money and errors in the reader's language
    initiative = await Initiative.get_or_none(uri=node.urls.initiative(slug_of(request)), local=True)
    if initiative is not None and initiative.draft:  # a draft: for editors and admins only
        user = await auth.current_user(request)
        if not (user and user.role in PUBLISHING_ROLES and not user.disabled):
            initiative = None
    if initiative is None:
        raise PageRefusal(404, "Not found", "There is no such initiative here.")
    if initiative.deleted_at is not None:
        raise PageRefusal(410, "Deleted", "This initiative was deleted by its organizers.")
    return initiative


async def editor_initiative(request: Request) -> Initiative:
    """The initiative of the address, for its editors and admins only."""
    await editor(request)
    return await find_initiative(request)


def place_line(place: Any) -> str:
    if not isinstance(place, dict):
        return ""
    name = place_view(place)["name"]
    town = place.get("locality") or place.get("region") or place.get("country") or ""
    return f"{name}, {town}" if town and town.casefold() != name.casefold() else name


def place_text(place: Any) -> str:
    """Every text of a place, for the place filter."""
    if not isinstance(place, dict):
        return ""
    return " ".join(str(place.get(k) or "") for k in ("name", "street", "postal_code", "locality", "region", "country"))


def moment_of(value: Any) -> tuple[str, str]:
    """An ISO 8601 moment of the status history as (machine value, "2026-07-11")."""
    text = str(value or "")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text, text[:10]
    return moment.isoformat(), moment.date().isoformat()


def allowed_statuses(initiative: Initiative) -> list[str]:
    return sorted(TRANSITIONS.get(initiative.status, set()),
                  key=lambda s: list(STATUS_LABELS).index(s) if s in STATUS_LABELS else 99)


def parse_int(text: str, what: str) -> int | None:
    return forms.parse_int(text, what, InitiativeError)


def parse_date(text: str, what: str) -> date | None:
    return forms.parse_date(text, what, InitiativeError)
