"""Member pages: profile editing (`/account`), password change and reset, invitations, notifications."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from node.core import i18n
from node.accounts import invitations, members, password_reset, profile
from node.social import notify
from node.core.media import MediaError, store_upload
from node.core.models import Actor, User
from node.web import auth, pages
from node.web.errors import PageRefusal
from node.web.forms import checked_form, no_store, text_field
from node.web.media_routes import checked_upload_form, uploaded_file


async def member(request: Request) -> User:
    """The logged-in member (not disabled); anyone else is sent to the login page (raised)."""
    user = await auth.current_user(request)
    if user is None or user.disabled:
        raise PageRefusal.login()
    return user


async def member_form(request: Request) -> tuple[User, FormData]:
    """The logged-in member and their submitted form (CSRF checked); raises the refusal otherwise."""
    user = await member(request)
    return user, await checked_form(request)


# ------------------------------------------------------------------ /account


async def _account_page(request: Request, user: User, status: int = 200, **context: object) -> Response:
    node = pages.node_of(request)
    actor = await Actor.get(id=user.actor_id)
    values = {"display_name": actor.name, "bio": profile.bio_source(actor)}
    submitted = context.pop("values", None)
    if isinstance(submitted, dict):
        values.update(submitted)
    response = await pages.render(
        request, "account/profile.html", status=status, actor=actor, values=values,
        handle=f"@{actor.username}@{node.urls.host}",
        min_password=members.MIN_PASSWORD, max_alt=1500, **context,
    )
    return no_store(response)


async def account(request: Request) -> Response:
    user = await member(request)
    if request.method == "GET":
        return await _account_page(request, user, saved=request.query_params.get("saved"))
    form = await checked_upload_form(request)
    node = pages.node_of(request)
    values = {"display_name": text_field(form, "display_name"), "bio": text_field(form, "bio")}
    avatar_alt = text_field(form, "avatar_alt")
    try:
        avatar = None
        upload = await uploaded_file(form, "avatar")
        if upload is not None:
            actor = await Actor.get(id=user.actor_id)
            avatar = await store_upload(node, actor, upload[0], avatar_alt, upload[1])
        await profile.update_profile(node, user, profile.ProfileInput(
            display_name=values["display_name"], bio=values["bio"], avatar=avatar,
            remove_avatar=form.get("remove_avatar") == "1",
        ))
    except (MediaError, members.MemberError) as exc:
        return await _account_page(request, user, status=400, profile_error=str(exc), values=values,
                                   avatar_alt=avatar_alt)
    return RedirectResponse("/account?saved=profile", status_code=303)


async def account_password(request: Request) -> Response:
    found = await member_form(request)
    user, form = found
    try:
        await password_reset.change_password(user, _raw(form, "current"), _raw(form, "password"), _raw(form, "password2"))
    except members.MemberError as exc:
        return await _account_page(request, user, status=400, password_error=str(exc))
    auth.log_in(request, user)  # a fresh session (and CSRF token) after a password change
    return RedirectResponse("/account?saved=password", status_code=303)


async def account_language(request: Request) -> Response:
    found = await member_form(request)
    user, form = found
    choice = text_field(form, "locale")
    try:
        await profile.set_locale(pages.node_of(request), user, choice or None)
    except members.MemberError as exc:
        return await _account_page(request, user, status=400, language_error=str(exc))
    return RedirectResponse("/account?saved=language", status_code=303)


def _raw(form: FormData, key: str) -> str:
    """A password field as typed (not stripped)."""
    value = form.get(key)
    return value if isinstance(value, str) else ""


# ------------------------------------------------------------------ password reset


async def forgot(request: Request) -> Response:
    if request.method == "GET":
        return no_store(await pages.render(request, "account/forgot.html"))
    form = await checked_form(request)
    login = text_field(form, "login")
    if not login:
        return no_store(await pages.render(request, "account/forgot.html", status=400,
                                           error=i18n.lazy_gettext("Enter your email address or username.")))
    await password_reset.send_reset_link(pages.node_of(request), login)
    return no_store(await pages.render(request, "account/forgot_sent.html"))


async def reset(request: Request) -> Response:
    node = pages.node_of(request)
    token = request.path_params["token"]
    user = await password_reset.user_for_reset(node, token)
    if user is None:
        return no_store(await pages.render(request, "account/reset_invalid.html", status=410))
    if request.method == "GET":
        return no_store(await pages.render(request, "account/reset.html", token=token, min_password=members.MIN_PASSWORD))
    form = await checked_form(request)
    try:
        await password_reset.set_password(user, _raw(form, "password"), _raw(form, "password2"))
    except members.MemberError as exc:
        return no_store(await pages.render(request, "account/reset.html", status=400, token=token, error=str(exc),
                                           min_password=members.MIN_PASSWORD))
    auth.log_in(request, user)
    return RedirectResponse("/account?saved=password", status_code=303)


# ------------------------------------------------------------------ invitations


async def invite(request: Request) -> Response:
    node = pages.node_of(request)
    invitation = await invitations.find_invitation(request.path_params["token"])
    if invitation is None:
        return no_store(await pages.render(request, "account/invite_gone.html", status=404, state="unknown"))
    state = invitations.invitation_state(invitation)
    if state != "valid":
        return no_store(await pages.render(request, "account/invite_gone.html", status=410, state=state))
    values = {"username": "", "display_name": "", "email": invitation.email or ""}
    if request.method == "GET":
        return no_store(await pages.render(request, "account/invite.html", values=values, invitation=invitation,
                                           min_password=members.MIN_PASSWORD))
    form = await checked_form(request)
    values = {key: text_field(form, key) for key in values}
    try:
        user = await invitations.accept_invitation(
            node, invitation, username=values["username"], display_name=values["display_name"],
            email=values["email"], password=_raw(form, "password"), again=_raw(form, "password2"),
        )
    except members.MemberError as exc:
        await invitation.refresh_from_db()
        if invitations.invitation_state(invitation) != "valid":
            return no_store(await pages.render(request, "account/invite_gone.html", status=410,
                                               state=invitations.invitation_state(invitation)))
        return no_store(await pages.render(request, "account/invite.html", status=400, values=values,
                                           invitation=invitation, error=str(exc), min_password=members.MIN_PASSWORD))
    auth.log_in(request, user)
    return RedirectResponse("/account?saved=welcome", status_code=303)


# ------------------------------------------------------------------ notifications


async def notifications(request: Request) -> Response:
    user = await member(request)
    node = pages.node_of(request)
    rows = await notify.for_user(node, user)
    unread = await notify.unread_count(node, user)
    own = user.actor_id
    return no_store(await pages.render(
        request, "notifications.html", notifications=rows, unread=unread, own_actor_id=own,
        newest=max((n.id for n in rows), default=0),
    ))


async def notifications_read(request: Request) -> Response:
    found = await member_form(request)
    user, form = found
    up_to = text_field(form, "up_to")
    await notify.mark_all_read(pages.node_of(request), user, int(up_to) if up_to.isdigit() else None)
    return RedirectResponse("/notifications", status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/account", account, methods=["GET", "POST"]),
        Route("/account/password", account_password, methods=["POST"]),
        Route("/account/language", account_language, methods=["POST"]),
        Route("/password/forgot", forgot, methods=["GET", "POST"]),
        Route("/password/reset/{token}", reset, methods=["GET", "POST"]),
        Route("/invite/{token}", invite, methods=["GET", "POST"]),
        Route("/notifications", notifications, methods=["GET"]),
        Route("/notifications/read", notifications_read, methods=["POST"]),
    ]
