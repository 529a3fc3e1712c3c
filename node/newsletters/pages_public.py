"""Sent mailings on the site: the list (/mailings) and each one (/mailings/<slug>) in the reader's language.
Visitors see the mailings sent to the mailing list's subscribers; signed-in members those sent to the
members too; the mailings of an event's participants or an initiative's supporters are not shown."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.core import multilingual
from node.core.runtime import Node
from node.newsletters.mailings import MEMBER_AUDIENCES, PUBLIC_AUDIENCES, Version, sent_mailings, version_for
from node.newsletters.models import Mailing
from node.web import auth
from node.web.errors import PageRefusal
from node.web.pages import node_of, render


async def _wishes(request: Request) -> list[str]:
    return multilingual.request_wishes(request, await auth.current_user(request))


def reader_version(node: Node, mailing: Mailing, wishes: list[str]) -> Version:
    bodies = mailing.body_map if isinstance(mailing.body_map, dict) and mailing.body_map else {mailing.language: mailing.body}
    return version_for(node, mailing, multilingual.choose(list(bodies), wishes) or mailing.language)


async def _audiences(request: Request) -> tuple[str, ...]:
    user = await auth.current_user(request)
    return MEMBER_AUDIENCES if user is not None and not user.disabled else PUBLIC_AUDIENCES


async def public_list(request: Request) -> Response:
    node = node_of(request)
    wishes = await _wishes(request)
    items = [(m, reader_version(node, m, wishes)) for m in await sent_mailings(audiences=await _audiences(request))]
    return await render(request, "newsletters/list.html", items=items)


async def public_mailing(request: Request) -> Response:
    node = node_of(request)
    mailing = await Mailing.get_or_none(slug=request.path_params["slug"], status="sent",
                                        audience__in=list(await _audiences(request)))
    if mailing is None:
        raise PageRefusal(404, "Page not found", "There is no mailing at this address.")
    version = reader_version(node, mailing, await _wishes(request))
    return await render(request, "newsletters/mailing.html", mailing=mailing, version=version,
                        direction=multilingual.direction(version.language))
