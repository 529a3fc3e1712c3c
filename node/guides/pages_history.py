"""A guide's history (every accepted revision: who, when, the note), the difference between any two
revisions, revert (a new revision), the proposals waiting for an editor (accept, reject), marking the
guide reviewed and deleting it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.guides import guides
from node.guides.access import can_write
from node.guides.diff import revision_diff
from node.guides.inputs import GuideError
from node.guides.links import guide_path
from node.guides.models import GuideRevision
from node.guides.pages_common import guide_at, guide_editor, revision_of, writer
from node.web import auth
from node.web.errors import PageRefusal
from node.web.forms import checked_form
from node.web.pages import node_of, render


async def history_page(request: Request) -> Response:
    guide = await guide_at(request)
    revisions = await guides.history(guide)
    numbered = [(len(revisions) - i, r) for i, r in enumerate(revisions)]
    user = await auth.current_user(request)
    return await render(request, "guides/history.html", guide=guide, revisions=numbered,
                        can_write=await can_write(user))


async def diff_page(request: Request) -> Response:
    guide = await guide_at(request)
    old = await revision_of(guide, request.query_params.get("from"))
    new = await revision_of(guide, request.query_params.get("to"))
    if old.id > new.id:
        old, new = new, old
    return await render(request, "guides/diff.html", guide=guide, old=old, new=new,
                        old_number=await guides.revision_number(old) if old.status == "accepted" else None,
                        new_number=await guides.revision_number(new) if new.status == "accepted" else None,
                        diffs=revision_diff(old, new))


def _refused(exc: GuideError) -> PageRefusal:
    return PageRefusal(400, "Not done", str(exc))


async def revert_submit(request: Request) -> Response:
    guide = await guide_at(request)
    _, actor = await writer(request)
    form = await checked_form(request)
    revision = await revision_of(guide, form.get("revision"))
    try:
        await guides.revert(node_of(request), guide, revision, actor)
    except GuideError as exc:
        raise _refused(exc) from None
    return RedirectResponse(f"{guide_path(guide)}/history", status_code=303)


async def proposals_page(request: Request) -> Response:
    guide = await guide_at(request)
    await guide_editor(request)
    items = []
    current = (await guides.history(guide))[0]
    for proposal in await guides.pending(guide):
        items.append({"proposal": proposal, "current": current})
    return await render(request, "guides/proposals.html", guide=guide, items=items)


async def decide_submit(request: Request) -> Response:
    _, actor = await guide_editor(request)
    form = await checked_form(request)
    text = str(request.path_params.get("id", ""))
    proposal = await GuideRevision.get_or_none(id=int(text)) if text.isascii() and text.isdigit() and len(text) < 18 else None
    if proposal is None:
        raise PageRefusal(404, "No such proposal", "It may have been decided already.")
    guide = await proposal.guide
    try:
        await guides.decide(node_of(request), proposal, actor, accept=form.get("decision") == "accept")
    except GuideError as exc:
        raise _refused(exc) from None
    return RedirectResponse(f"{guide_path(guide)}/proposals", status_code=303)


async def review_submit(request: Request) -> Response:
    guide = await guide_at(request)
    _, actor = await guide_editor(request)
    await checked_form(request)
    await guides.mark_reviewed(guide, actor)
    return RedirectResponse(guide_path(guide), status_code=303)


async def delete_submit(request: Request) -> Response:
    guide = await guide_at(request)
    await guide_editor(request)
    if request.method == "GET":
        return await render(request, "guides/delete.html", guide=guide)
    await checked_form(request)
    await guides.delete_guide(node_of(request), guide)
    return RedirectResponse("/guides", status_code=303)
