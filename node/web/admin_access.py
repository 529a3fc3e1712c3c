"""Who may use the admin console, and the helpers its pages share: the access check (admins; moderators
only on the moderation pages), CSRF-checked forms, one-time notices after a redirect, rendering."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.core import i18n
from node.core.models import User
from node.web import auth, pages
from node.web.errors import PageRefusal
from node.web.forms import checked_form, no_store

MODERATION_ROLES = frozenset({"admin", "moderator"})
FLASH = "admin_flash"


async def staff(request: Request, *, admin_only: bool = True) -> User:
    """The admin (or, with `admin_only=False`, the moderator) using the console; raises the refusal
    otherwise: anonymous visitors are sent to the login page, other members get 403."""
    user = await auth.current_user(request)
    if user is None or user.disabled:
        raise PageRefusal.login()
    if user.role == "admin" or (not admin_only and user.role in MODERATION_ROLES):
        return user
    raise PageRefusal(403, "Not allowed", "Only the node's admins use this page.")


async def admin_form(request: Request, form: FormData | None = None) -> tuple[User, FormData]:
    """An admin's form POST with a valid CSRF token (`form` when the caller already read it, e.g. a
    size-limited upload); raises the refusal otherwise."""
    user = await staff(request)
    checked = await checked_form(request)
    return user, form if form is not None else checked


def flash(request: Request, text: Any, error: bool = False, **variables: Any) -> None:
    """A notice shown once on the next admin page (after the redirect that follows a POST). `text` is a
    message id ("Rule removed: %(domain)s.") with its `variables`: the next page translates it into its
    reader's language (a text already translated passes through unchanged)."""
    request.session[FLASH] = {"text": str(text)[:500], "error": error,
                              "vars": {k: str(v)[:500] for k, v in variables.items()}}


def done(request: Request, path: str, text: Any, **variables: Any) -> Response:
    flash(request, text, **variables)
    return RedirectResponse(path, status_code=303)


async def _notice(request: Request) -> dict[str, Any] | None:
    notice = request.session.pop(FLASH, None)
    text = notice.get("text") if isinstance(notice, dict) else None
    if not isinstance(notice, dict) or not isinstance(text, str):
        return None
    stored = notice.get("vars")
    variables: dict[str, Any] = stored if isinstance(stored, dict) else {}
    await i18n.activate_request(request, pages.node_of(request))
    return {"text": i18n.gettext(text, **variables), "error": bool(notice.get("error"))}


async def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    """An admin page: never cached, with the pending notice."""
    notice = await _notice(request)
    context.setdefault("notice", notice)
    return no_store(await pages.render(request, template, status=status, **context))


def int_field(form: FormData, name: str) -> int | None:
    value = form.get(name)
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 19:
        return int(value.strip())
    return None
