"""The federation console (admins only): /admin/federation (mode, secure mode, limited federation,
domain rules, drafts, account blocks, list import and export, subscriptions) and /admin/relays.
Every change goes through the policy services (modes.py, rules.py, blocks.py, transfer.py, subscriptions.py,
relays.py), which record them in the audit log."""

from __future__ import annotations

from datetime import datetime, timezone

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from node.core import i18n
from node.policy import blocks, modes, jobs as policy_jobs, relays, rules, subscriptions, transfer
from node.policy.models import DomainPolicy, PolicySubscription, Relay
from node.policy.domains import PolicyError
from node.policy.snapshot import BLOCK_ACTIONS, MODES, snapshot
from node.policy.lists import decode
from node.web.admin_access import admin_form, done, flash, int_field, page, staff
from node.web.forms import FORM_MARGIN, FormTooLarge, FormUnreadable, no_store, read_form, text_field
from node.web.pages import node_of

MAX_UPLOAD = 5_000_000
HOME = "/admin/federation"
_l = i18n.lazy  # errors translated when shown (see refused)


def checked(form: FormData, name: str) -> bool:
    return form.get(name) in ("on", "true", "1", "yes")


async def console(request: Request, *, status: int = 200, error: str | None = None, **extra: object) -> Response:
    node = node_of(request)
    current = await snapshot(node)
    lists = await rules.overview()
    return await page(
        request, "admin/federation.html", status=status, error=error, mode=current.mode, modes=MODES,
        authorized_fetch=current.authorized_fetch, limited_federation=current.limited_federation,
        secure=current.secure, block_actions=BLOCK_ACTIONS, now=datetime.now(timezone.utc), **lists, **extra,
    )


async def federation_page(request: Request) -> Response:
    user = await staff(request)
    return await console(request)


async def refused(request: Request, exc: Exception, **extra: object) -> Response:
    await i18n.activate_request(request, node_of(request))  # (a lazy message is translated by str())
    return await console(request, status=400, error=i18n.gettext(str(exc)), **extra)


async def mode_submit(request: Request) -> Response:
    checked_form = await admin_form(request)
    user, form = checked_form
    try:
        await modes.set_mode(node_of(request), text_field(form, "mode"), user=user)
    except PolicyError as exc:
        return await refused(request, exc)
    return done(request, HOME, "Federation mode changed.")


async def flags_submit(request: Request) -> Response:
    checked_form = await admin_form(request)
    user, form = checked_form
    node = node_of(request)
    current = await snapshot(node)
    for name, value in (("authorized_fetch", checked(form, "authorized_fetch")),
                        ("limited_federation", checked(form, "limited_federation"))):
        if getattr(current, name) != value:
            await modes.set_flag(node, name, value, user=user)
    return done(request, HOME, "Settings saved.")


def rule_fields(form: FormData) -> dict[str, object]:
    return {
        "reject_media": checked(form, "reject_media"),
        "reject_reports": checked(form, "reject_reports"),
        "public_comment": text_field(form, "public_comment"),
        "private_comment": text_field(form, "private_comment"),
        "obfuscate": checked(form, "obfuscate"),
    }


async def rule_add(request: Request) -> Response:
    checked_form = await admin_form(request)
    user, form = checked_form
    try:
        rule = await rules.save_rule(node_of(request), text_field(form, "domain"), text_field(form, "action"),
                                     user=user, **rule_fields(form))  # type: ignore[arg-type]
    except PolicyError as exc:
        return await refused(request, exc, draft_rule=form)
    flash(request, "Rule saved: %(action)s %(domain)s.", action=rule.action, domain=rule.domain)
    return RedirectResponse(HOME, status_code=303)


async def rule_edit(request: Request) -> Response:
    user = await staff(request)
    rule = await DomainPolicy.get_or_none(id=request.path_params["rule_id"], state="active")
    if rule is None:
        return await refused(request, PolicyError(_l("no such rule (it may have been removed already)")))
    error = None
    if request.method == "POST":
        checked_form = await admin_form(request)
        user, form = checked_form
        action = text_field(form, "action") if rule.action != "allow" else "allow"
        try:
            await rules.save_rule(node_of(request), rule.domain, action, user=user,
                                  **rule_fields(form))  # type: ignore[arg-type]
        except PolicyError as exc:
            error = str(exc)
        else:
            return done(request, HOME, "Rule saved.")
    return await page(request, "admin/federation_rule.html", status=400 if error else 200, rule=rule,
                      block_actions=BLOCK_ACTIONS, error=error)


async def rule_delete(request: Request) -> Response:
    checked_form = await admin_form(request)
    user, _ = checked_form
    try:
        rule = await rules.remove_rule(node_of(request), request.path_params["rule_id"], user=user)
    except PolicyError as exc:
        return await refused(request, exc)
    return done(request, HOME, "Rule removed: %(domain)s.", domain=rule.domain)


async def draft_decision(request: Request) -> Response:
    checked_form = await admin_form(request)
    user, form = checked_form
    decision = text_field(form, "decision")
    if decision not in ("approve", "reject", "approve_all", "reject_all"):
        return await refused(request, PolicyError(_l("choose approve or reject")))
    rule_id = int_field(form, "rule")
    if decision.endswith("_all"):
        ids = [row.id for row in await DomainPolicy.filter(state="draft").only("id")]
    elif rule_id is not None:
        ids = [rule_id]
    else:
        return await refused(request, PolicyError(_l("no draft chosen")))
    node = node_of(request)
    decided = 0
    for draft_id in ids:
        try:
            await rules.decide_draft(node, draft_id, decision.startswith("approve"), user=user)
            decided += 1
        except PolicyError as exc:
            if not decision.endswith("_all"):
                return await refused(request, exc)
    return done(request, HOME, "Drafts decided: %(num)s.", num=decided)


async def actor_add(request: Request) -> Response:
    checked_form = await admin_form(request)
    user, form = checked_form
    try:
        row = await blocks.block_actor(node_of(request), text_field(form, "uri"), text_field(form, "action"),
                                       text_field(form, "reason"), user=user)
    except PolicyError as exc:
        return await refused(request, exc)
    return done(request, HOME, "Account rule saved: %(action)s %(uri)s.", action=row.action, uri=row.uri)


async def actor_delete(request: Request) -> Response:
    checked_form = await admin_form(request)
    user, _ = checked_form
    try:
        row = await blocks.unblock_actor(node_of(request), request.path_params["block_id"], user=user)
    except PolicyError as exc:
        return await refused(request, exc)
    return done(request, HOME, "Account rule lifted: %(uri)s.", uri=row.uri)


async def read_upload(form: FormData) -> tuple[str, str, str]:
    """(text, source name, content type) of the uploaded list, or of the pasted text."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise PolicyError(_l("the file is larger than %(num)s MB", num=MAX_UPLOAD // 1_000_000))
        return decode(data), upload.filename[:200], upload.content_type or ""
    text = form.get("text")
    if isinstance(text, str) and text.strip():
        return text, "pasted text", ""
    raise PolicyError(_l("choose a file or paste a list"))


async def import_submit(request: Request) -> Response:
    try:
        raw = await read_form(request, MAX_UPLOAD + FORM_MARGIN, files=1)
    except (FormTooLarge, FormUnreadable):  # a malformed or oversized body
        return await refused(request, PolicyError(_l("the upload could not be read")))
    checked_form = await admin_form(request, raw)
    user, form = checked_form
    kind = text_field(form, "kind")
    try:
        text, source, content_type = await read_upload(form)
        result = await transfer.import_list(node_of(request), text, kind, source=source,
                                            content_type=content_type, user=user)
    except PolicyError as exc:
        return await refused(request, PolicyError(_l("Nothing was imported: %(error)s", error=str(exc))), import_kind=kind)
    return done(request, HOME, "Imported %(created)s rules; %(existing)s domains already had one; "
                               "%(skipped)s obfuscated entries skipped.",
                created=len(result.created), existing=result.existing, skipped=result.skipped)


async def export_csv(request: Request) -> Response:
    user = await staff(request)
    kind = "allow" if request.query_params.get("kind") == "allow" else "block"
    text = await transfer.export_csv(kind)
    name = "domain_allows.csv" if kind == "allow" else "domain_blocks.csv"
    return no_store(Response(text, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'}))


async def subscription_add(request: Request) -> Response:
    checked_form = await admin_form(request)
    user, form = checked_form
    hours = int_field(form, "refresh_hours") or 24
    try:
        await subscriptions.add_subscription(node_of(request), text_field(form, "url"), text_field(form, "kind"),
                                             refresh_hours=hours, auto_approve=checked(form, "auto_approve"), user=user)
    except PolicyError as exc:
        return await refused(request, exc)
    return done(request, HOME, "Subscribed; the list is fetched in a moment (or use Refresh now).")


async def subscription_refresh(request: Request) -> Response:
    checked_form = await admin_form(request)
    sub = await PolicySubscription.get_or_none(id=request.path_params["sub_id"])
    if sub is None:
        return await refused(request, PolicyError(_l("no such subscription")))
    outcome = await policy_jobs.refresh(node_of(request), sub)
    flash(request, "%(url)s: %(outcome)s", error=not outcome.ok, url=sub.url, outcome=outcome.message)
    return RedirectResponse(HOME, status_code=303)


async def subscription_delete(request: Request) -> Response:
    checked_form = await admin_form(request)
    user, form = checked_form
    try:
        sub = await subscriptions.remove_subscription(node_of(request), request.path_params["sub_id"],
                                                      keep_rules=checked(form, "keep_rules"), user=user)
    except PolicyError as exc:
        return await refused(request, exc)
    return done(request, HOME, "Unsubscribed from %(url)s.", url=sub.url)


# ------------------------------------------------------------------ relays


async def relays_page(request: Request, *, status: int = 200, error: str | None = None) -> Response:
    user = await staff(request)
    if request.method == "POST":
        checked_form = await admin_form(request)
        user, form = checked_form
        try:
            relay = await relays.add(node_of(request), text_field(form, "inbox_url"), user=user)
        except PolicyError as exc:
            status, error = 400, str(exc)
        else:
            return done(request, "/admin/relays", "Follow sent to %(url)s.", url=relay.inbox_url)
    rows = await Relay.all().order_by("inbox_url")
    return await page(request, "admin/relays.html", status=status, error=error, rows=rows)


async def relay_delete(request: Request) -> Response:
    checked_form = await admin_form(request)
    user, _ = checked_form
    try:
        relay = await relays.remove(node_of(request), request.path_params["relay_id"], user=user)
    except PolicyError as exc:
        flash(request, str(exc), error=True)
        return RedirectResponse("/admin/relays", status_code=303)
    return done(request, "/admin/relays", "Left the relay %(url)s.", url=relay.inbox_url)


def routes() -> list[BaseRoute]:
    return [
        Route("/admin/federation", federation_page, methods=["GET"]),
        Route("/admin/federation/mode", mode_submit, methods=["POST"]),
        Route("/admin/federation/settings", flags_submit, methods=["POST"]),
        Route("/admin/federation/rules", rule_add, methods=["POST"]),
        Route("/admin/federation/rules/{rule_id:int}", rule_edit, methods=["GET", "POST"]),
        Route("/admin/federation/rules/{rule_id:int}/delete", rule_delete, methods=["POST"]),
        Route("/admin/federation/drafts", draft_decision, methods=["POST"]),
        Route("/admin/federation/accounts", actor_add, methods=["POST"]),
        Route("/admin/federation/accounts/{block_id:int}/delete", actor_delete, methods=["POST"]),
        Route("/admin/federation/import", import_submit, methods=["POST"]),
        Route("/admin/federation/export.csv", export_csv, methods=["GET"]),
        Route("/admin/federation/subscriptions", subscription_add, methods=["POST"]),
        Route("/admin/federation/subscriptions/{sub_id:int}/refresh", subscription_refresh, methods=["POST"]),
        Route("/admin/federation/subscriptions/{sub_id:int}/delete", subscription_delete, methods=["POST"]),
        Route("/admin/relays", relays_page, methods=["GET", "POST"]),
        Route("/admin/relays/{relay_id:int}/delete", relay_delete, methods=["POST"]),
    ]
