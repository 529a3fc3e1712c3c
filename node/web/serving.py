"""How `agora serve` holds up against slow and crowded clients: read deadlines and a connection cap.

- Headers: `DeadlineProtocol` is uvicorn's httptools protocol with a timer armed when a connection
  opens, and again when a response completes (the next request on a kept-alive connection), cancelled
  when a request's headers are complete. When it fires the connection is closed: a client that sends
  its headers a byte at a time holds a connection for `header_timeout` seconds at most.
- Bodies: `BodyDeadline` wraps the app's `receive`. The body must arrive within `body_timeout` seconds
  of the request's start; if not, the client gets 408 (and the connection is closed), and the app
  reads a disconnect, as if the client had hung up (`node/web/forms.read_body` answers it quietly).
- Connections: uvicorn's `limit_concurrency` answers 503 to requests beyond `max_connections` open
  connections.

`serve` runs the app with the three and the keep-alive timeout, all from `[server]`."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from node.core.settings import ServerSettings

log = logging.getLogger("agora.web")

BODY_CLOCK = "agora.body_clock"  # scope key: the request's BodyClock (shared by scope copies)


def client_text(client: Any) -> str:
    """The client's address as logged ("?" when unknown)."""
    if isinstance(client, (tuple, list)) and client:
        return str(client[0])
    return "?"


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol with a header read deadline (`header_timeout`, set by `with_header_deadline`)."""

    header_timeout: float = 10.0
    header_timer: asyncio.TimerHandle | None = None
    request_begun = False  # some bytes of the next request have arrived

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self.cancel_header_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        self.request_begun = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self.cancel_header_timer()
        self.request_begun = False
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self.arm_header_timer()  # the next request on this connection has its own deadline

    def arm_header_timer(self) -> None:
        self.cancel_header_timer()
        self.header_timer = self.loop.call_later(self.header_timeout, self.header_deadline_passed)

    def cancel_header_timer(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def header_deadline_passed(self) -> None:
        self.header_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:  # not while a request is being answered
            # a slow client is logged; an idle connection (a browser's spare one) is closed quietly
            log.log(logging.INFO if self.request_begun else logging.DEBUG,
                    "closed the connection from %s: no complete request headers within %g s",
                    client_text(self.client), self.header_timeout)
            self.transport.close()


def with_header_deadline(seconds: float) -> type[DeadlineProtocol]:
    """The protocol class for uvicorn's `http=` with this header deadline."""
    class HeaderDeadlineProtocol(DeadlineProtocol):
        header_timeout = seconds

    return HeaderDeadlineProtocol


@dataclass
class BodyClock:
    """One request's body deadline. `timed_out`: it passed (and was logged); `replaced`: the 408 was
    sent, and what the app sends after is dropped."""

    deadline: float
    complete: bool = False
    answered: bool = False
    timed_out: bool = False
    replaced: bool = False


TIMEOUT_BODY = b"The request body did not arrive in time.\n"


class BodyDeadline:
    """ASGI wrapper: an HTTP request's body must arrive within `seconds` of the request's start, or
    the client gets 408 and the connection is closed."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        clock = BodyClock(asyncio.get_running_loop().time() + self.seconds)
        scope[BODY_CLOCK] = clock

        async def timed_receive() -> Message:
            if clock.complete:
                return await receive()
            if clock.timed_out:
                return {"type": "http.disconnect"}
            try:
                async with asyncio.timeout_at(clock.deadline):
                    message = await receive()
            except TimeoutError:
                await self.expire(scope, clock, send)
                return {"type": "http.disconnect"}
            if message["type"] != "http.request" or not message.get("more_body", False):
                clock.complete = True
            return message

        async def guarded_send(message: Message) -> None:
            if clock.replaced:
                return  # the 408 was the answer
            if message["type"] == "http.response.start":
                clock.answered = True
            await send(message)

        await self.app(scope, timed_receive, guarded_send)

    async def expire(self, scope: Scope, clock: BodyClock, send: Send) -> None:
        clock.timed_out = True
        log.info("%s %s from %s: the body did not arrive within %g s (408)", scope.get("method", "?"),
                 scope.get("path", "?"), client_text(scope.get("client")), self.seconds)
        if clock.answered:
            return
        clock.replaced = True
        await send({"type": "http.response.start", "status": 408, "headers": [
            (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(TIMEOUT_BODY)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": TIMEOUT_BODY, "more_body": False})


def body_clock(scope: Scope) -> BodyClock | None:
    """The request's body deadline, when `BodyDeadline` serves it."""
    clock = scope.get(BODY_CLOCK)
    return clock if isinstance(clock, BodyClock) else None


def serve(app: ASGIApp, server: ServerSettings, *, host: str, port: int, log_level: str) -> None:
    """Run `app` the way `agora serve` does: the header and body deadlines, the connection cap, keep-alive."""
    uvicorn.run(
        BodyDeadline(app, server.body_timeout), host=host, port=port, log_level=log_level,
        proxy_headers=False, server_header=False, http=with_header_deadline(server.header_timeout),
        # uvicorn refuses a request once the open connections, its own included, reach the limit
        limit_concurrency=server.max_connections + 1, timeout_keep_alive=server.keep_alive_timeout,
    )
