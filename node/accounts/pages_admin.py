"""Admin console: members and their roles, invitations, and the association's followers."""

from __future__ import annotations

from datetime import datetime, timezone

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from node.core import audit, i18n
from node.accounts import invitations, members
from node.social.followers import approve_follow
from node.accounts.members import MemberError
from node.core.models import Follow, User
from node.accounts.models import Invitation
from node.accounts.roles import ROLES
from node.web import auth
from node.web.admin_access import admin_form, done, int_field, page, staff
from node.web.forms import text_field
from node.web.pages import association_actor, message, node_of

MEMBERS_PAGE = 100
FOLLOWERS_PAGE = 200
_l = i18n.lazy  # labels and errors translated when shown
STATE_LABELS = {"valid": _l("pending"), "used": _l("used"), "expired": _l("expired"), "revoked": _l("revoked")}


# ------------------------------------------------------------------ members


async def _members_page(request: Request, status: int = 200, error: str | None = None) -> Response:
    user = await auth.current_user(request)
    text = request.query_params.get("page", "1")
    number = int(text) if text.isdigit() and len(text) < 6 else 1
    number = max(number, 1)
    rows = await (User.all().order_by("username").offset((number - 1) * MEMBERS_PAGE).limit(MEMBERS_PAGE + 1)
                  .prefetch_related("actor"))
    now = datetime.now(timezone.utc)
    return await page(
        request, "admin/members.html", status=status, error=error, rows=rows[:MEMBERS_PAGE], roles=ROLES,
        me=user, now=now, admins=await members.admin_count(), page=number,
        older=number + 1 if len(rows) > MEMBERS_PAGE else None, newer=number - 1 if number > 1 else None,
    )


async def members_page(request: Request) -> Response:
    if request.method == "GET":
        await staff(request)
        return await _members_page(request)
    checked = await admin_form(request)
    admin, form = checked
    node = node_of(request)
    target_id = int_field(form, "user")
    target = await User.get_or_none(id=target_id) if target_id is not None else None
    if target is None:
        return await _members_page(request, 400, _l("There is no such member."))
    action = text_field(form, "action")
    try:
        if action == "role":
            await members.set_role(node, target, text_field(form, "role"), admin)
            return done(request, "/admin/members", "%(name)s is now %(role)s.",
                        name=target.username, role=target.role)
        if action == "disable":
            await members.disable_member(node, target, admin)
            return done(request, "/admin/members", "%(name)s can no longer log in.", name=target.username)
        if action == "enable":
            await members.enable_member(node, target, admin)
            return done(request, "/admin/members", "%(name)s can log in again.", name=target.username)
    except MemberError as exc:
        return await _members_page(request, 400, str(exc))
    return await _members_page(request, 400, _l("Unknown action."))


# ------------------------------------------------------------------ invitations


async def _invitations_page(request: Request, status: int = 200, error: str | None = None,
                            link: str | None = None, entered: dict[str, str] | None = None) -> Response:
    now = datetime.now(timezone.utc)
    rows = [(i, STATE_LABELS.get(invitations.invitation_state(i, now), "")) for i in await invitations.list_invitations()]
    return await page(
        request, "admin/invitations.html", status=status, error=error, link=link, rows=rows, roles=ROLES,
        entered=entered or {"email": "", "role": "member", "days": str(invitations.INVITATION_DAYS)},
    )


async def invitations_page(request: Request) -> Response:
    if request.method == "GET":
        await staff(request)
        return await _invitations_page(request)
    checked = await admin_form(request)
    admin, form = checked
    node = node_of(request)
    action = text_field(form, "action")
    if action == "revoke":
        invitation_id = int_field(form, "invitation")
        invitation = await Invitation.get_or_none(id=invitation_id) if invitation_id is not None else None
        if invitation is None:
            return await _invitations_page(request, 400, _l("There is no such invitation."))
        try:
            await invitations.revoke_invitation(node, invitation, admin)
        except MemberError as exc:
            return await _invitations_page(request, 400, str(exc))
        return done(request, "/admin/invitations", "The invitation is revoked: its link no longer works.")
    if action != "create":
        return await _invitations_page(request, 400, _l("Unknown action."))
    entered = {"email": text_field(form, "email"), "role": text_field(form, "role") or "member",
               "days": text_field(form, "days") or str(invitations.INVITATION_DAYS)}
    if not (entered["days"].isdigit() and len(entered["days"]) < 5):
        return await _invitations_page(request, 400, _l("The number of days is a whole number, like 7."), entered=entered)
    try:
        _, link = await invitations.create_invitation(node, admin, entered["email"] or None, entered["role"],
                                                      int(entered["days"]))
    except MemberError as exc:
        return await _invitations_page(request, 400, str(exc), entered=entered)
    # The link is shown once, on this answer only (never stored, never cached).
    return await _invitations_page(request, link=link)


# ------------------------------------------------------------------ followers


async def followers_page(request: Request) -> Response:
    """Followers of the association and follow requests waiting for approval: accept, reject, remove."""
    if request.method == "POST":
        return await followers_submit(request)
    user = await staff(request)
    node = node_of(request)
    group = await association_actor(node)
    rows = await (Follow.filter(target=group).prefetch_related("follower").order_by("-state", "-id")
                  .limit(FOLLOWERS_PAGE)) if group else []
    total = await Follow.filter(target=group).count() if group else 0
    return await page(request, "admin/followers.html", rows=rows, total=total,
                      manual=bool(group and group.manually_approves_followers))


async def followers_submit(request: Request) -> Response:
    checked = await admin_form(request)
    admin, form = checked
    node = node_of(request)
    group = await association_actor(node)
    follow_id = int_field(form, "follow")
    row = await Follow.get_or_none(id=follow_id, target=group).prefetch_related("follower") \
        if follow_id is not None and group else None
    decision = text_field(form, "decision")
    if row is None or decision not in ("accept", "reject", "remove"):
        return await message(request, 400, "No such follower", "This follower or request was already handled.")
    handle = row.follower.handle
    if decision in ("accept", "reject"):
        if row.state != "pending":
            return await message(request, 400, "No such request", "This follow request was already handled.")
        await approve_follow(node, row, decision == "accept")
    else:
        # Mastodon (app/lib/activitypub/activity/reject.rb) takes a Reject of an accepted Follow as
        # "unfollowed": it finds the Follow by its id, or by the embedded actor and object.
        await approve_follow(node, row, False)
    await audit.record(admin, f"follower.{decision}", row.follower.uri, follow=row.uri)
    if decision == "accept":
        return done(request, "/admin/followers", "%(handle)s now follows the association.", handle=handle)
    if decision == "reject":
        return done(request, "/admin/followers", "%(handle)s's request was refused.", handle=handle)
    return done(request, "/admin/followers", "%(handle)s no longer follows the association.", handle=handle)


def routes() -> list[BaseRoute]:
    return [
        Route("/admin/members", members_page, methods=["GET", "POST"]),
        Route("/admin/invitations", invitations_page, methods=["GET", "POST"]),
        Route("/admin/followers", followers_page, methods=["GET", "POST"]),
    ]
