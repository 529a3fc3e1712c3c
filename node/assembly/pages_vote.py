"""The members' vote pages: /votes (open and past votes), /votes/<id> (the ballot forms, the proxies,
the result after closing, the receipt check). Members only: visitors and every non-HTML client get the
site's 404 on a vote's page, whether it exists or not. Drafts are seen by admins only."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from node.core import i18n, site_settings
from node.core.models import User
from node.assembly import ballots, proxies, votes
from node.assembly.inputs import VoteError, quorum_text
from node.assembly.models import Vote
from node.web import admin_access, auth, pages
from node.web.errors import PageRefusal
from node.web.forms import checked_form, no_store, text_field
from node.web.pages import render


async def member(request: Request) -> User:
    user = await auth.current_user(request)
    if user is None:
        raise PageRefusal.login()
    return user


async def vote_for(request: Request) -> tuple[User, Vote]:
    """The member and the vote of the address; the same 404 as an unknown page for visitors, for
    drafts not announced yet (no opening time; admins see them) and for unknown votes."""
    user = await auth.current_user(request)
    vote = await votes.find(request.path_params["vote_id"]) if user is not None else None
    if user is None or vote is None or not votes.visible(vote, user):
        raise HTTPException(404)
    return user, vote


async def index(request: Request) -> Response:
    user = await member(request)
    listed = [v for v in await votes.listed(include_drafts=True) if votes.visible(v, user)]
    for vote in listed:
        await votes.current(vote)
    return no_store(await render(request, "assembly/index.html", open_votes=[v for v in listed if v.status != "closed"],
                                 past_votes=[v for v in listed if v.status == "closed"]))


async def vote_page(request: Request, status: int = 200, **extra: Any) -> Response:
    user, vote = await vote_for(request)
    standing = await proxies.standing(vote, user)
    may_give = (vote.max_proxies > 0 and standing.given is None and not standing.held
                and await proxies.eligible(vote, user) and not (standing.voter and standing.voter.voted))
    return await admin_access.page(
        request, "assembly/vote.html", status=status, vote=vote, standing=standing, may_give=may_give,
        text_html=await text_html(request, vote),
        quorum=quorum_text(vote.quorum_percent, vote.quorum_count),
        record=await ballots.open_record(vote) if vote.status == "closed" else [], **extra)


async def text_html(request: Request, vote: Vote) -> Markup:
    """The motion's text in the reader's language when the admin gave one (sanitized HTML)."""
    await i18n.activate_request(request, pages.node_of(request))
    translated = vote.translations.get(i18n.current()) if isinstance(vote.translations, dict) else None
    source = str(translated.get("text") or "") if isinstance(translated, dict) else ""
    source = source if source.strip() else vote.text
    return Markup(site_settings.markdown_html(source)) if source.strip() else Markup("")


def refused(exc: VoteError, title: str) -> PageRefusal:
    return PageRefusal(exc.status, title, exc.message)


def choices_of(values: list[Any]) -> list[int]:
    found = []
    for value in values:
        text = value.strip() if isinstance(value, str) else ""
        if text == "blank":
            continue
        if not text.isdigit() or len(text) > 3:
            raise VoteError("That choice is not one of this vote's options.")
        found.append(int(text))
    return found


async def cast_ballot(request: Request) -> Response:
    user, vote = await vote_for(request)
    form = await checked_form(request)
    giver_name = text_field(form, "for")
    giver = await User.get_or_none(username=giver_name) if giver_name else None
    title = "Your ballot was not taken"
    if giver_name and giver is None:
        raise PageRefusal(400, title, "No member has that username.")
    values = form.getlist("choice")
    if not values:
        raise PageRefusal(400, title, "Choose an option (or abstain, when the vote allows it).")
    try:
        code = await ballots.cast(vote, user, choices_of(list(values)), for_user=giver)
    except VoteError as exc:
        raise refused(exc, title) from None
    return no_store(await render(request, "assembly/receipt.html", vote=vote, code=code, giver=giver))


async def give_proxy(request: Request) -> Response:
    user, vote = await vote_for(request)
    form = await checked_form(request)
    name = text_field(form, "holder").lstrip("@")
    holder = await User.get_or_none(username=name) if name else None
    if holder is None:
        raise PageRefusal(400, "Proxy not given", "No member has that username.")
    try:
        await proxies.give(vote, user, holder)
    except VoteError as exc:
        raise refused(exc, "Proxy not given") from None
    admin_access.flash(request, "You gave your vote to %(name)s.", name=holder.username)
    return RedirectResponse(f"/votes/{vote.id}", status_code=303)


async def revoke_proxy(request: Request) -> Response:
    user, vote = await vote_for(request)
    await checked_form(request)
    try:
        proxy = await proxies.revoke(vote, user)
    except VoteError as exc:
        raise refused(exc, "Proxy not revoked") from None
    admin_access.flash(request, "Your proxy to %(name)s is revoked: you may vote yourself.", name=proxy.holder.username)
    return RedirectResponse(f"/votes/{vote.id}", status_code=303)


async def check_receipt(request: Request) -> Response:
    _, vote = await vote_for(request)
    form = await checked_form(request)
    ballot = await ballots.find_receipt(vote, text_field(form, "code"))
    return await vote_page(request, status=200 if ballot else 404, receipt_checked=True, receipt_ballot=ballot)


async def show(request: Request) -> Response:
    return await vote_page(request)


def routes() -> list[Route]:
    return [
        Route("/votes", index, methods=["GET"]),
        Route("/votes/{vote_id}", show, methods=["GET"]),
        Route("/votes/{vote_id}/ballot", cast_ballot, methods=["POST"]),
        Route("/votes/{vote_id}/proxy", give_proxy, methods=["POST"]),
        Route("/votes/{vote_id}/proxy/revoke", revoke_proxy, methods=["POST"]),
        Route("/votes/{vote_id}/receipt", check_receipt, methods=["POST"]),
    ]
