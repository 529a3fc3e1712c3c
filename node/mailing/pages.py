"""The mailing list's pages: subscribing (/mail/subscribe, the subscribe box's form), the confirmation
link (/mail/confirm/<token>), a subscriber's preferences (/mail/preferences/<token>) and unsubscribing
(/mail/unsubscribe/<token>, with RFC 8058 one-click). `routes()` also gathers a member's own choices
(pages_account.py, /account/email) and the admin's list (pages_admin.py, /admin/subscribers).

The token in the address is the secret: no sign-in. A GET (or HEAD) never changes anything (mail scanners open
links), so confirming and unsubscribing take a POST: a button on the page, or the mail client's own
one-click POST, which carries no cookie and no CSRF token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from node.core import i18n
from node.mailing import pages_account, pages_admin, subscribers
from node.mailing.pages_common import FORM_LIMIT, category_choices, read_choices
from node.mailing.models import FREQUENCIES, KINDS, Subscriber
from node.mailing.subscribers import SubscriberError
from node.web.errors import PageRefusal
from node.web.forms import FormTooLarge, FormUnreadable, checked_form, no_store, read_form, text_field
from node.web.pages import node_of, render

ONE_CLICK_LIMIT = 4096  # RFC 8058's body is "List-Unsubscribe=One-Click"
UNKNOWN = (i18n.lazy("Link not valid"), i18n.lazy("This link is not valid any more. Subscribe again from the home page if you wish."))


async def subscriber_of(request: Request) -> Subscriber:
    found = await subscribers.by_token(request.path_params["token"])
    if found is None:
        raise PageRefusal(404, *UNKNOWN)
    return found


# ------------------------------------------------------------------ subscribing


async def subscribe_page(request: Request) -> Response:
    """GET: the subscribe form alone; POST: the box's form, answered the same way for every address."""
    if request.method != "POST":  # GET, and HEAD (Starlette routes it here too)
        kind = request.query_params.get("kind", "")
        return await render(request, "mailing/subscribe.html", subscribe_kind=kind if kind in KINDS else "newsletter")
    form = await checked_form(request, limit=FORM_LIMIT)
    try:
        choices = await read_choices(request, form)
        await subscribers.subscribe(node_of(request), text_field(form, "email"), choices)
    except SubscriberError as exc:
        return await render(request, "mailing/subscribe.html", status=400, error=str(exc),
                            email=text_field(form, "email")[:320])
    return no_store(await render(request, "mailing/subscribe_sent.html"))


async def confirm_page(request: Request) -> Response:
    """GET: a page with the button (nothing changes yet); POST: confirmed, on to the preferences."""
    row = await subscriber_of(request)
    if request.method != "POST":  # HEAD too: a mail scanner's probe confirms nothing
        return no_store(await render(request, "mailing/confirm.html", sub=row))
    await checked_form(request, limit=FORM_LIMIT)
    await subscribers.confirm(row.token)
    return RedirectResponse(f"/mail/preferences/{row.token}?saved=confirmed", status_code=303)


# ------------------------------------------------------------------ preferences and unsubscribing


async def preferences_page(request: Request) -> Response:
    row = await subscriber_of(request)
    error = None
    status = 200
    if request.method == "POST":
        form = await checked_form(request, limit=FORM_LIMIT)
        if text_field(form, "action") == "unsubscribe":
            await subscribers.unsubscribe(row)
            return RedirectResponse(f"/mail/preferences/{row.token}?saved=unsubscribed", status_code=303)
        try:
            await subscribers.save_choices(row, await read_choices(request, form))
        except SubscriberError as exc:
            error, status = str(exc), 400
        else:
            return RedirectResponse(f"/mail/preferences/{row.token}?saved=saved", status_code=303)
    return no_store(await render(
        request, "mailing/preferences.html", status=status, sub=row, kinds=KINDS, frequencies=FREQUENCIES,
        categories=await category_choices(request), error=error, saved=request.query_params.get("saved", ""),
        action=f"/mail/preferences/{row.token}"))


async def unsubscribe_page(request: Request) -> Response:
    """GET: a page with one button. POST: unsubscribed at once, whoever posts (the token is the
    secret): the page's button, or a mail client's RFC 8058 one-click POST (no cookie, no CSRF token),
    answered 200 in plain text."""
    row = await subscriber_of(request)
    if request.method != "POST":  # HEAD too: a mail scanner's probe unsubscribes nobody
        return no_store(await render(request, "mailing/unsubscribe.html", sub=row))
    try:
        form = await read_form(request, ONE_CLICK_LIMIT)
    except FormTooLarge:
        raise PageRefusal(413, "Too large", "This form is larger than expected.") from None
    except FormUnreadable:
        raise PageRefusal(400, "Bad request", "This form could not be read.") from None
    await subscribers.unsubscribe(row)
    if form.get("List-Unsubscribe") == "One-Click":
        return PlainTextResponse("Unsubscribed.\n", headers={"Cache-Control": "no-store"})
    return no_store(await render(request, "mailing/unsubscribed.html", sub=row))


def routes() -> list[BaseRoute]:
    return [
        Route("/mail/subscribe", subscribe_page, methods=["GET", "POST"]),
        Route("/mail/confirm/{token}", confirm_page, methods=["GET", "POST"]),
        Route("/mail/preferences/{token}", preferences_page, methods=["GET", "POST"]),
        Route("/mail/unsubscribe/{token}", unsubscribe_page, methods=["GET", "POST"]),
        *pages_account.routes(),
        *pages_admin.routes(),
    ]
