"""The admin console: a dashboard linking every admin page with counts. The pages themselves live in
admin_people (members, invitations, followers), admin_profile (the association's profile and about
texts) and admin_ops (settings, delivery health, the job queue); policy and moderation pages are
their own modules. Admins see everything; moderators see the moderation links only."""

from __future__ import annotations

from datetime import datetime, timezone

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from node.core.models import Follow, Host, Job, Post, User
from node.accounts.models import Invitation
from node.moderation.models import Report
from node.initiatives.models import Support
from node.site import pages_ops as admin_ops, pages_profile as admin_profile
from node.accounts import pages_admin as admin_people
from node.web.admin_access import page, staff
from node.web.pages import association_actor, node_of


async def dashboard(request: Request) -> Response:
    user = await staff(request, admin_only=False)
    is_admin = user.role == "admin"
    counts: dict[str, int] = {
        "reports": await Report.filter(state="open").count(),
        "held": await Post.filter(held=True, deleted_at=None).count() + await Support.filter(held=True).count(),
    }
    if is_admin:
        now = datetime.now(timezone.utc)
        group = await association_actor(node_of(request))
        counts.update(
            members=await User.filter(disabled=False).count(),
            disabled=await User.filter(disabled=True).count(),
            invitations=await Invitation.filter(used_at=None, revoked_at=None, expires_at__gt=now).count(),
            followers=await Follow.filter(target=group, state="accepted").count() if group else 0,
            pending=await Follow.filter(target=group, state="pending").count() if group else 0,
            failing_hosts=await Host.filter(failures__gt=0).count(),
            queued=await Job.filter(status="queued").count(),
            running=await Job.filter(status="running").count(),
            dead=await Job.filter(status="dead").count(),
        )
    return await page(request, "admin/dashboard.html", is_admin=is_admin, counts=counts)


def routes() -> list[BaseRoute]:
    return [
        Route("/admin", dashboard, methods=["GET"]),
        *admin_people.routes(),
        *admin_profile.routes(),
        *admin_ops.routes(),
    ]
