"""POST /mail/webhook: bounces and complaints reported by the mail relay (node/mailing/bounces_webhook.py
reads the body), and the admin's bounce pages (node/mailing/pages_bounces.py), whose routes go out
through routes() here.

Off (404) while `[mail] webhook_secret` is empty; 401 without the secret (Bearer, or Basic with it as
password); 413 over the size cap; 400 with the reason on a body it cannot read; 202 when accepted."""

from __future__ import annotations

import logging

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from node.mailing import pages_bounces
from node.mailing.bounces_record import Tally, record
from node.mailing.bounces_webhook import MAX_BODY, WebhookError, authorized, events_of
from node.web.forms import BodyTooLarge, read_body
from node.web.pages import node_of

log = logging.getLogger("agora.mail")


def _answer(status: int, **fields: object) -> Response:
    return JSONResponse(fields, status_code=status, headers={"Cache-Control": "no-store"})


async def webhook(request: Request) -> Response:
    node = node_of(request)
    secret = node.settings.mail.webhook_secret
    if not secret:
        return _answer(404, error="not found")
    if not authorized(request.headers.get("authorization", ""), secret):
        return JSONResponse({"error": "a valid secret is needed"}, status_code=401,
                            headers={"WWW-Authenticate": 'Bearer realm="mail webhook"'})
    try:
        body = await read_body(request, MAX_BODY)
    except BodyTooLarge:
        return _answer(413, error=f"the body is larger than {MAX_BODY} bytes")
    try:
        items = events_of(msgspec.json.decode(body))
    except msgspec.DecodeError as exc:
        return _answer(400, error=f"the body is not JSON: {exc}")
    except RecursionError:  # msgspec's answer to [[[[...]]]]
        return _answer(400, error="the body is not JSON: nested too deeply")
    except WebhookError as exc:
        return _answer(400, error=str(exc))
    tally = Tally()
    for event, ref in items:
        tally.add(await record(node, [event], ref, source="webhook"))
    return _answer(202, accepted=tally.total, hard=tally.hard, soft=tally.soft, complaints=tally.complaints)


def routes() -> list[BaseRoute]:
    return [Route("/mail/webhook", webhook, methods=["POST"]), *pages_bounces.routes()]
