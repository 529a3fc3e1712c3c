"""What the board's pages share: labels of kinds, purposes and places, finding an opportunity by its
address, who may see and do what, and an opportunity as one reader sees it (language chosen)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from federation import opportunities as wire
from node.core import i18n, multilingual
from node.core.models import User
from node.opportunities.models import Opportunity
from node.opportunities.opportunities import is_poster, may_moderate
from node.web.errors import PageRefusal
from node.web.pages import node_of

_l = i18n.lazy

KIND_LABELS: dict[str, Any] = {
    "job": _l("Job"), "internship": _l("Internship"), "volunteering": _l("Volunteering"), "housing": _l("Housing"),
    "mentoring": _l("Mentoring"), "scholarship": _l("Scholarship"), "skills_exchange": _l("Skills exchange"),
}
PURPOSE_LABELS: dict[str, Any] = {"offer": _l("Offer"), "request": _l("Request")}
PLACE_LABELS: dict[str, Any] = {"here": _l("Here"), "there": _l("There (back home)"), "remote": _l("Remote")}
STATUS_LABELS: dict[str, Any] = {"pending": _l("Waiting for approval"), "open": i18n.lazy_pgettext("opportunity status", "Open"), "closed": _l("Closed"),
                                 "removed": _l("Removed by a moderator")}


def labels() -> dict[str, Any]:
    return {"kinds": KIND_LABELS, "purposes": PURPOSE_LABELS, "places": PLACE_LABELS, "statuses": STATUS_LABELS}


def path_of(opportunity: Opportunity) -> str:
    return "/opportunities/" + opportunity.uri.rsplit("/", 1)[-1]


async def find(request: Request) -> Opportunity:
    node = node_of(request)
    slug = request.path_params["slug"]
    found = await Opportunity.get_or_none(uri=f"{node.urls.base}/opportunities/{slug}", local=True)
    if found is None:
        raise PageRefusal(404, _l("Not found"), _l("There is no such opportunity."))
    return found


def visible_to(opportunity: Opportunity, user: User | None) -> bool:
    """Open and closed ones are public; pending and removed ones only to the poster and moderators."""
    return opportunity.status in ("open", "closed") or is_poster(opportunity, user) or may_moderate(user)


def shown(request: Request, opportunity: Opportunity, user: User | None) -> multilingual.Shown:
    fallback = node_of(request).settings.association.language or "en"
    wishes = multilingual.request_wishes(request, user)
    return multilingual.shown(opportunity.language or fallback, wishes, (opportunity.title, opportunity.name_map),
                              ("", None), (opportunity.content, opportunity.content_map))


def kind_choices() -> list[tuple[str, Any]]:
    return [(k, KIND_LABELS[k]) for k in wire.KINDS]
