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

`serve` runs the app with the three and the keep-alive timeout, all from `[server]`.

Several processes (`agora serve --workers N`): `serve_workers` binds the listening socket once, then
forks N server processes that accept on it (the code imported before the fork is shared with the
parent, copy-on-write). The parent only supervises: a server process that dies is started again (a
second later), SIGTERM or SIGINT is passed on to each once and the parent waits for them to finish
their requests; the children die with the parent, even when it is killed (PR_SET_PDEATHSIG on
Linux). `make_app(index)` builds each process's app: index 0 is the one that may run the node's job
worker (node/cli/server.py). The connection cap (`max_connections`) holds for each process: the kernel
hands new connections to whichever process accepts first, so no exact cap across them exists."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

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


def server_config(app: ASGIApp, server: ServerSettings, *, host: str, port: int, log_level: str) -> uvicorn.Config:
    """uvicorn's configuration as `agora serve` runs it: the header and body deadlines, the connection
    cap (of each server process), keep-alive, the access log."""
    return uvicorn.Config(
        BodyDeadline(app, server.body_timeout), host=host, port=port, log_level=log_level,
        proxy_headers=False, server_header=False, http=with_header_deadline(server.header_timeout),
        # uvicorn refuses a request once the open connections, its own included, reach the limit
        limit_concurrency=server.max_connections + 1, timeout_keep_alive=server.keep_alive_timeout,
        access_log=server.access_log,
    )


def serve(app: ASGIApp, server: ServerSettings, *, host: str, port: int, log_level: str) -> None:
    """Run `app` the way `agora serve` does: the header and body deadlines, the connection cap, keep-alive."""
    uvicorn.Server(server_config(app, server, host=host, port=port, log_level=log_level)).run()


RESTART_PAUSE = 1.0  # seconds before a server process that died is started again
STOP_GRACE = 30.0  # seconds the server processes have to stop before they are killed
STOP_POLL = 0.1
STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (nothing elsewhere)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return
    libc = ctypes.CDLL(name, use_errno=True)
    if hasattr(libc, "prctl"):
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def listening_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class Supervisor:
    """The parent of `agora serve --workers N`: forks the server processes, restarts those that die,
    and stops them all on SIGTERM or SIGINT."""

    def __init__(self, run_child: Callable[[int, socket.socket], None], processes: int, sock: socket.socket) -> None:
        self.run_child = run_child
        self.processes = processes
        self.sock = sock
        self.children: dict[int, int] = {}  # pid -> index
        self.stopping = False
        self.stop_started = 0.0

    def spawn(self, index: int) -> None:
        # SIGTERM and SIGINT wait while the process is forked: a stop that arrived in between ran the
        # parent's handler in the new child (its copy of `stop`, which signals the siblings) instead of
        # stopping it, and the parent, not knowing the child yet, never signalled it: `agora serve`
        # then waited for it for ever. Blocked, the signal reaches the parent once the child is known.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            pid = os.fork()
            if pid == 0:  # the server process
                self._child(index)
            self.children[pid] = index
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

    def _child(self, index: int) -> NoReturn:
        code = 0
        try:
            os.setpgid(0, 0)  # a terminal's Ctrl-C reaches the parent only, which passes it on once
            die_with_parent()
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
            self.run_child(index, self.sock)
        except BaseException:  # noqa: BLE001 - the child must never return into the parent's code
            log.exception("server process %d failed", index)
            code = 1
        finally:
            logging.shutdown()
            os._exit(code)

    def stop(self, signum: int, frame: Any) -> None:
        if self.stopping:
            return
        self.stopping = True
        self.stop_started = time.monotonic()
        self._signal_children(signal.SIGTERM)

    def _signal_children(self, sig: int) -> None:
        for pid in list(self.children):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def _wait(self) -> tuple[int, int]:
        """The next child that ended, looked for every STOP_POLL seconds (a blocking wait would be
        resumed after the stop handler and never see a child that keeps running). While stopping,
        the ones left are asked again each second (a process still starting may not have its
        handlers yet) and killed after STOP_GRACE seconds."""
        while True:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid:
                return pid, status
            if self.stopping:
                waited = time.monotonic() - self.stop_started
                if waited > STOP_GRACE:
                    log.warning("server processes %s did not stop in %.0f s: killed", sorted(self.children), STOP_GRACE)
                    self._signal_children(signal.SIGKILL)
                    return os.wait()
                if int(waited + STOP_POLL) > int(waited):  # about once a second
                    self._signal_children(signal.SIGTERM)
            time.sleep(STOP_POLL)

    def run(self) -> None:
        gc.collect()
        gc.freeze()  # what was imported before the fork stays shared: the collector does not touch it
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        for index in range(self.processes):
            self.spawn(index)
        log.info("agora serve: %d server processes (%s)", self.processes,
                 ", ".join(str(pid) for pid in self.children))
        while self.children:
            pid, status = self._wait()
            index = self.children.pop(pid, -1)
            if index < 0 or self.stopping:
                continue
            log.warning("server process %d (pid %d) ended (%s); starting it again", index, pid,
                        f"exit {os.waitstatus_to_exitcode(status)}")
            time.sleep(RESTART_PAUSE)
            if not self.stopping:
                self.spawn(index)


def serve_workers(make_app: Callable[[int], ASGIApp], server: ServerSettings, *, host: str, port: int,
                  log_level: str, processes: int) -> None:
    """`agora serve --workers N`: one process (as `serve`) for N = 1, else a supervisor and N forked
    server processes sharing one listening socket."""
    if processes <= 1:
        serve(make_app(0), server, host=host, port=port, log_level=log_level)
        return
    sock = listening_socket(host, port)

    def run_child(index: int, shared: socket.socket) -> None:
        config = server_config(make_app(index), server, host=host, port=port, log_level=log_level)
        uvicorn.Server(config).run(sockets=[shared])

    try:
        Supervisor(run_child, processes, sock).run()
    finally:
        sock.close()
