"""Moderation pages: the report form (anyone), the report queue and its actions, the audit log and the
held replies and support (moderators and admins), and the per-object reply setting (editors)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from node.forum import moderation_queue as forum_queue
from node.forum.access import ForumError
from node.forum.models import Entry
from node.moderation import holds, moderation, reports
from node.core import i18n
from node.core.models import Actor, AuditEntry, Post, User
from node.core.runtime import Node
from node.events.models import Event
from node.moderation.models import Report
from node.initiatives.models import Support
from node.core.sanitize import clean_html
from node.web import auth
from node.web.admin_access import done, flash, int_field, page, staff
from node.web.forms import checked_form, no_store, text_field
from node.web.pages import message, node_of, render

PAGE_SIZE = 50
MAX_PAGE = 10_000


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return min(int(raw), MAX_PAGE) if raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1


# ------------------------------------------------------------------ the report form (anyone)


async def _report_form(request: Request, *, uri: str, status: int = 200, error: str | None = None,
                       comment: str = "", forward: bool = False) -> Response:
    node = node_of(request)
    await i18n.activate_request(request, node)  # a lazy error is translated by str()
    user = await auth.current_user(request)
    subject: reports.Subject | None = None
    if uri:
        try:
            subject = await reports.resolve(node, uri, member=user is not None)
        except reports.ReportError as exc:
            error, status = error or str(exc), 404 if status == 200 else status
    return no_store(await render(
        request, "report.html", status=status, uri=uri, subject=subject, error=error, comment=comment,
        forward=forward, member=user is not None,
        can_forward=bool(user is not None and subject is not None and not subject.target.local),
    ))


async def report_page(request: Request) -> Response:
    """GET: the form about `?uri=`; POST: the report (members, and visitors who say why)."""
    if request.method == "GET":
        return await _report_form(request, uri=request.query_params.get("uri", "").strip()[:2048])
    form = await checked_form(request)
    node = node_of(request)
    await i18n.activate_request(request, node)  # a lazy error is translated by str()
    user = await auth.current_user(request)
    if user is not None and user.disabled:
        user = None
    uri = text_field(form, "uri")[:2048]
    comment = text_field(form, "comment")
    forward = text_field(form, "forward") == "yes"
    try:
        subject = await reports.resolve(node, uri, member=user is not None)
        reporter = await Actor.get(id=user.actor_id) if user is not None else None
        await reports.create_report(node, subject, comment, reporter=reporter, forward=forward and user is not None)
    except reports.ReportError as exc:
        return await _report_form(request, uri=uri, status=400, error=str(exc), comment=comment[:reports.MAX_COMMENT],
                                  forward=forward)
    return await message(request, 200, "Thank you", "The report was sent to the moderators of this node.")


# ------------------------------------------------------------------ the queue (moderators and admins)


async def reports_queue(request: Request) -> Response:
    """Open reports first (newest first), then the handled ones, 50 a page."""
    user = await staff(request, admin_only=False)
    number = page_number(request)
    start = (number - 1) * PAGE_SIZE
    open_total = await Report.filter(state="open").count()
    handled_total = await Report.exclude(state="open").count()
    rows: list[Report] = []
    if start < open_total:
        rows = list(await Report.filter(state="open").order_by("-created_at", "-id").offset(start).limit(PAGE_SIZE)
                    .prefetch_related("reporter", "target"))
    if len(rows) < PAGE_SIZE:
        offset = max(0, start - open_total)
        rows += list(await Report.exclude(state="open").order_by("-created_at", "-id").offset(offset)
                     .limit(PAGE_SIZE - len(rows)).prefetch_related("reporter", "target", "resolved_by"))
    more = start + PAGE_SIZE < open_total + handled_total
    return await page(request, "admin/reports.html", rows=rows, open_total=open_total, page=number, more=more)


def _object_view(item: moderation.Reported) -> dict[str, Any]:
    row = item.row
    view: dict[str, Any] = {"uri": item.uri, "kind": item.kind, "present": item.present, "local": False,
                            "title": "", "html": "", "held": False}
    if row is None:
        return view
    view["local"] = row.local
    if isinstance(row, Post):
        view.update(html=clean_html(row.content), title=row.summary, held=row.held, url=row.url or row.uri)
    else:
        title = row.name if isinstance(row, Event) else row.title
        view.update(html=clean_html(row.content), title=title, url=row.url or row.uri)
    return view


async def report_detail(request: Request) -> Response:
    user = await staff(request, admin_only=False)
    ident = request.path_params["ident"]
    report = await Report.get_or_none(id=int(ident)) if ident.isdigit() and len(ident) < 19 else None
    if report is None:
        return await message(request, 404, "Not found", "There is no such report.")
    if request.method == "POST":
        return await _report_action(request, report, user)
    await report.fetch_related("reporter", "resolved_by")
    target = await moderation.report_target(report)
    objects = [_object_view(item) for item in await moderation.reported_objects(report)]
    history = await AuditEntry.filter(target=report.uri or f"report:{report.id}", action__startswith="report.") \
        .order_by("-id").limit(50)
    return await page(
        request, "admin/report.html", report=report, target=target, objects=objects, history=history,
        target_summary=clean_html(target.summary) if target is not None else "",
        is_admin=user.role == "admin",
    )


async def _report_action(request: Request, report: Report, user: User) -> Response:
    form = await checked_form(request)
    node = node_of(request)
    await i18n.activate_request(request, node)  # a lazy error is translated by str()
    action = text_field(form, "action")
    if action not in moderation.ACTIONS:
        return await message(request, 400, "Unknown action", "Choose one of the actions offered on the report page.")
    try:
        text = await moderation.act(node, report, action, user, text_field(form, "note"))
    except moderation.ModerationError as exc:
        flash(request, str(exc), error=True)
        return RedirectResponse(f"/admin/reports/{report.id}", status_code=303)
    return done(request, f"/admin/reports/{report.id}", text)


# ------------------------------------------------------------------ the audit log

ADMIN_ONLY_AUDIT = "vote."


async def audit_log(request: Request) -> Response:
    """Every moderation and admin action, newest first; `?action=` keeps those starting with it. The
    general assembly's entries (`vote.*`: drafts not yet announced, who gave their vote to whom) are the
    admins' alone: moderators moderate content, they do not run the votes."""
    user = await staff(request, admin_only=False)
    prefix = request.query_params.get("action", "").strip()[:64]
    number = page_number(request)
    query = AuditEntry.all()
    if user.role != "admin":
        query = query.exclude(action__startswith=ADMIN_ONLY_AUDIT)
    if prefix:
        query = query.filter(action__startswith=prefix)
    rows = await query.order_by("-id").offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    return await page(request, "admin/audit.html", rows=rows[:PAGE_SIZE], prefix=prefix, page=number,
                      more=len(rows) > PAGE_SIZE)


# ------------------------------------------------------------------ held replies and support


async def held_page(request: Request) -> Response:
    user = await staff(request, admin_only=False)
    if request.method == "POST":
        return await _held_decision(request, user)
    posts = await Post.filter(held=True, deleted_at=None).order_by("published", "id").limit(200).prefetch_related("author")
    supports = await Support.filter(held=True).order_by("created_at", "id").limit(200).prefetch_related("actor", "initiative")
    replies = [{"post": post, "html": clean_html(post.content)} for post in posts]
    forum_waiting = await Entry.filter(held=True, post__deleted_at=None).count()  # node/forum/pages_moderation.py
    return await page(request, "admin/held.html", replies=replies, supports=supports, forum_waiting=forum_waiting,
                      node_wide=await holds.node_holds(node_of(request)), is_admin=user.role == "admin")


async def _forum_decision(node: Node, post: Post, decision: str, user: User) -> bool:
    """A held post of a forum thread is decided by the forum's queue (its place in the thread too)."""
    entry = await Entry.get_or_none(post=post)
    if entry is None:
        return False
    try:
        if decision == "approve":
            await forum_queue.approve(node, entry, user)
        else:
            await forum_queue.reject(node, entry, user)
    except ForumError as exc:
        raise moderation.ModerationError(str(exc)) from None
    return True


async def _held_decision(request: Request, user: User) -> Response:
    form = await checked_form(request)
    node = node_of(request)
    kind, decision, ident = text_field(form, "kind"), text_field(form, "decision"), int_field(form, "id")
    if decision not in ("approve", "reject") or kind not in ("reply", "support") or ident is None:
        return await message(request, 400, "Unknown decision", "Approve or reject one of the items on the page.")
    try:
        if kind == "reply":
            post = await Post.get_or_none(id=ident, held=True, deleted_at=None)
            if post is None:
                raise moderation.ModerationError(moderation.N_("This reply was handled already."))
            if await _forum_decision(node, post, decision, user):
                pass
            elif decision == "approve":
                await moderation.approve_post(node, post, user)
            else:
                await moderation.reject_post(node, post, user)
        else:
            row = await Support.get_or_none(id=ident, held=True)
            if row is None:
                raise moderation.ModerationError(moderation.N_("This support was handled already."))
            if decision == "approve":
                await moderation.approve_support(node, row, user)
            else:
                await moderation.reject_support(node, row, user)
    except moderation.ModerationError as exc:
        flash(request, str(exc), error=True)
        return RedirectResponse("/admin/held", status_code=303)
    if decision == "approve":
        return done(request, "/admin/held", "Approved: it is shown and counted now.")
    return done(request, "/admin/held", "Rejected: it was deleted.")


# ------------------------------------------------------------------ per-object reply setting


async def replies_setting(request: Request) -> Response:
    """POST uri + value: how one of our posts, initiatives or events takes remote replies (editors)."""
    user = await auth.current_user(request)
    if user is None or user.disabled:
        return RedirectResponse("/login", status_code=303)
    form = await checked_form(request)
    uri = text_field(form, "uri")[:2048]
    obj = await holds.local_object(uri) if uri else None
    if obj is None:
        return await message(request, 404, "Not found", "There is no such post, event or initiative here.")
    await i18n.activate_request(request, node_of(request))  # a lazy error is translated by str()
    try:
        await moderation.set_replies_moderation(node_of(request), obj, text_field(form, "value"), user)
    except moderation.ModerationError as exc:
        status = 403 if not await moderation.can_set_moderation(user, obj) else 400
        return await message(request, status, "Not changed", str(exc))
    return RedirectResponse(obj.url or obj.uri, status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/report", report_page, methods=["GET", "POST"]),
        Route("/admin/reports", reports_queue, methods=["GET"]),
        Route("/admin/reports/{ident}", report_detail, methods=["GET", "POST"]),
        Route("/admin/audit", audit_log, methods=["GET"]),
        Route("/admin/held", held_page, methods=["GET", "POST"]),
        Route("/moderation/replies", replies_setting, methods=["POST"]),
    ]
