"""The votes in the admin console: /admin/votes (every vote, a new one, the default number of proxies a
member may hold) and /admin/votes/<id> (a draft's changes, opening, closing, and the vote's audit log)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from node.accounts.roles import ROLES
from node.assembly import votes
from node.assembly.inputs import (
    MAJORITIES, MAX_PROXIES, VoteError, VoteInput, clean_options, clean_translations, parse_quorum, parse_when, quorum_text,
)
from node.assembly.models import Vote
from node.web import admin_access
from node.web.forms import text_field


TRANSLATION_ROWS = 2  # other languages the form offers


def _translation_rows(form: FormData | None, vote: Vote | None) -> list[dict[str, str]]:
    if form is not None:
        return [{"language": text_field(form, f"tr{i}_language"), "title": text_field(form, f"tr{i}_title"),
                 "text": str(form.get(f"tr{i}_text") or "")} for i in range(TRANSLATION_ROWS)]
    rows = [{"language": k, "title": str(v.get("title", "")), "text": str(v.get("text", ""))}
            for k, v in (vote.translations if vote is not None else {}).items() if isinstance(v, dict)]
    rows += [{"language": "", "title": "", "text": ""}] * TRANSLATION_ROWS
    return rows[:max(TRANSLATION_ROWS, len(rows) - TRANSLATION_ROWS)]


def _number(form: FormData, name: str, default: int) -> int:
    text = text_field(form, name)
    if not text:
        return default
    if not text.isdigit() or len(text) > 6:
        raise VoteError("Numbers are whole numbers like 1 or 2.")
    return int(text)


def vote_input(form: FormData, default_proxies: int) -> VoteInput:
    """The vote described by the console's form; raises VoteError."""
    percent, count = parse_quorum(text_field(form, "quorum"))
    closes = text_field(form, "closes_at")
    if not closes:
        raise VoteError("Give the closing time.")
    opens = text_field(form, "opens_at")
    return VoteInput(
        title=text_field(form, "title"), text=str(form.get("text") or ""),
        options=clean_options(str(form.get("options") or "").splitlines()),
        max_choices=_number(form, "max_choices", 1), abstain=form.get("abstain") == "on",
        roles=tuple(r for r in ROLES if r in form.getlist("roles")), secret=form.get("ballot") == "secret",
        quorum_percent=percent, quorum_count=count, majority=text_field(form, "majority") or "simple",
        max_proxies=_number(form, "max_proxies", default_proxies),
        opens_at=parse_when(opens) if opens else None, closes_at=parse_when(closes),
        translations=clean_translations([(text_field(form, f"tr{i}_language"), text_field(form, f"tr{i}_title"),
                                          str(form.get(f"tr{i}_text") or "")) for i in range(TRANSLATION_ROWS)]),
    )


def _local(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M") if moment else ""


def form_values(vote: Vote | None, form: FormData | None, default_proxies: int) -> dict[str, Any]:
    """What the form shows: the submitted values again, the vote's, or the defaults of a new vote."""
    return {**_values(vote, form, default_proxies), "translations": _translation_rows(form, vote)}


def _values(vote: Vote | None, form: FormData | None, default_proxies: int) -> dict[str, Any]:
    if form is not None:
        return {"title": text_field(form, "title"), "text": str(form.get("text") or ""),
                "options": str(form.get("options") or ""), "max_choices": text_field(form, "max_choices"),
                "abstain": form.get("abstain") == "on", "roles": list(form.getlist("roles")),
                "secret": form.get("ballot") == "secret", "quorum": text_field(form, "quorum"),
                "majority": text_field(form, "majority"), "max_proxies": text_field(form, "max_proxies"),
                "opens_at": text_field(form, "opens_at"), "closes_at": text_field(form, "closes_at")}
    if vote is None:
        return {"title": "", "text": "", "options": "", "max_choices": "1", "abstain": True, "roles": list(ROLES),
                "secret": True, "quorum": "", "majority": "simple", "max_proxies": str(default_proxies),
                "opens_at": "", "closes_at": ""}
    return {"title": vote.title, "text": vote.text, "options": "\n".join(vote.options) if vote.kind == "choice" else "",
            "max_choices": str(vote.max_choices), "abstain": vote.abstain, "roles": list(vote.roles),
            "secret": vote.secret, "quorum": quorum_text(vote.quorum_percent, vote.quorum_count).replace(" + ", ""),
            "majority": vote.majority, "max_proxies": str(vote.max_proxies), "opens_at": _local(vote.opens_at),
            "closes_at": _local(vote.closes_at)}


def _common() -> dict[str, Any]:
    return {"roles_offered": ROLES, "majorities": MAJORITIES, "max_proxies_allowed": MAX_PROXIES}


async def list_page(request: Request, status: int = 200, form: FormData | None = None, error: Any = None) -> Response:
    await admin_access.staff(request)
    default = await votes.default_max_proxies()
    return await admin_access.page(request, "assembly/admin.html", status=status, votes=await votes.listed(True),
                                   values=form_values(None, form, default), default_proxies=default, error=error,
                                   **_common())


async def list_submit(request: Request) -> Response:
    user, form = await admin_access.admin_form(request)
    default = await votes.default_max_proxies()
    try:
        if form.get("action") == "defaults":
            value = _number(form, "default_proxies", default)
            if value > MAX_PROXIES:
                raise VoteError("That is more proxies than a vote allows.")
            await votes.set_default_max_proxies(user, value)
            return admin_access.done(request, "/admin/votes", "Default number of proxies saved.")
        vote = await votes.create_vote(user, vote_input(form, default))
    except VoteError as exc:
        return await list_page(request, status=400, form=form, error=exc.message)
    return admin_access.done(request, f"/admin/votes/{vote.id}", "Vote saved as a draft.")


async def _vote(request: Request) -> Vote:
    vote = await votes.find(request.path_params["vote_id"])
    if vote is None:
        raise HTTPException(404)
    return vote


async def vote_page(request: Request, status: int = 200, form: FormData | None = None, error: Any = None) -> Response:
    await admin_access.staff(request)
    vote = await _vote(request)
    default = await votes.default_max_proxies()
    return await admin_access.page(request, "assembly/admin_vote.html", status=status, vote=vote,
                                   values=form_values(vote, form, default), history=await votes.history(vote),
                                   error=error, **_common())


async def vote_submit(request: Request) -> Response:
    user, form = await admin_access.admin_form(request)
    vote = await _vote(request)
    action = form.get("action")
    back = f"/admin/votes/{vote.id}"
    try:
        if action == "open":
            await votes.open_vote(user, vote)
            return admin_access.done(request, back, "The vote is open.")
        if action == "close":
            await votes.close_vote(user, vote)
            return admin_access.done(request, back, "The vote is closed and counted.")
        await votes.edit_vote(user, vote, vote_input(form, vote.max_proxies))
    except VoteError as exc:
        return await vote_page(request, status=exc.status, form=form if action == "edit" else None, error=exc.message)
    return admin_access.done(request, back, "Changes saved.")


def routes() -> list[Route]:
    return [
        Route("/admin/votes", list_page, methods=["GET"]),
        Route("/admin/votes", list_submit, methods=["POST"]),
        Route("/admin/votes/{vote_id}", vote_page, methods=["GET"]),
        Route("/admin/votes/{vote_id}", vote_submit, methods=["POST"]),
    ]

