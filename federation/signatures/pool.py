"""Signing on every core: :class:`SigningPool` hands the RSA signatures of outgoing requests to worker
processes (federation/signatures/worker.py), so that the node's own process spends a delivery's time
sending, not signing. A fan-out's floor is one signature per inbox (one per shared inbox): with the
signatures made beside the event loop, both cores of a 2-core machine sign.

The workers start in the background on the first signature; until one is ready, and whenever none
answers (stopped, crashed, not startable), a signature is made in-process as before, so a request is
never refused for want of a worker. Requests that arrive in the same turn of the event loop go to a
worker in one write; a request that would wait behind another at every worker is signed in-process. Private keys go to the workers over their stdin pipe, once per key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from pathlib import Path
from typing import Final

from federation.signatures.keys import sign_bytes
from federation.signatures.worker import HEAD, READY

__all__ = ["SigningPool"]

log = logging.getLogger("federation.signing")

START_TIMEOUT: Final = 30.0
RESTART_AFTER: Final = 30.0  # a worker that could not start or died is started again after this long
MAX_KEYS: Final = 1024  # key numbers given to workers (a node signs with few keys; beyond: in-process)
_PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]


class _WorkerGone(Exception):
    pass


class _Worker:
    """One worker process and the requests waiting for its answers."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.waiting: dict[int, asyncio.Future[bytes]] = {}
        self.keys: set[int] = set()
        self.number = 0
        self.out = bytearray()
        self.alive = True
        self.reader: asyncio.Task[None] | None = None

    def sign(self, key: int, pem: str, data: bytes) -> asyncio.Future[bytes]:
        loop = asyncio.get_running_loop()
        if not self.out:  # the first request of this turn of the loop: all of them go in one write
            loop.call_soon(self.flush)
        if key not in self.keys:
            encoded = pem.encode("ascii")
            self.out += HEAD.pack(b"k", 0, key, len(encoded)) + encoded
            self.keys.add(key)
        self.number = (self.number + 1) & 0xFFFFFFFF
        self.out += HEAD.pack(b"s", self.number, key, len(data)) + data
        future: asyncio.Future[bytes] = loop.create_future()
        self.waiting[self.number] = future
        return future

    def flush(self) -> None:
        if not self.out:
            return
        data, self.out = bytes(self.out), bytearray()
        stdin = self.proc.stdin
        if stdin is None or stdin.is_closing() or not self.alive:
            self.gone()
            return
        stdin.write(data)

    async def read(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        try:
            while True:
                kind, number, _key, size = HEAD.unpack(await stdout.readexactly(HEAD.size))
                payload = await stdout.readexactly(size)
                future = self.waiting.pop(number, None)
                if future is None or future.done():
                    continue
                if kind == b"o":
                    future.set_result(payload)
                else:
                    future.set_exception(_WorkerGone(payload.decode("utf-8", "replace")))
        except (asyncio.IncompleteReadError, OSError, ValueError):
            pass
        finally:
            self.gone()

    def gone(self) -> None:
        self.alive = False
        waiting, self.waiting = self.waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(_WorkerGone("the signing worker stopped"))

    async def stop(self) -> None:
        self.alive = False
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 2.0)
        except (TimeoutError, ProcessLookupError):
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            with contextlib.suppress(Exception):
                await self.proc.wait()
        if self.reader is not None:
            self.reader.cancel()
        self.gone()


class SigningPool:
    """``processes`` signing workers (0: every signature in-process)."""

    def __init__(
        self, processes: int, *, start_after: int = 0, queue_limit: int = 1, start_timeout: float = START_TIMEOUT
    ) -> None:
        """Workers start after ``start_after`` signatures made in-process (a command that signs a
        few requests starts none). A signature goes to the least busy worker when it has fewer than
        ``queue_limit`` waiting, else it is made here at once: on a busy machine a queue behind a
        worker waiting for the CPU costs a delivery more time than signing it in the event loop."""
        self.processes = max(0, processes)
        self.queue_limit = queue_limit
        self.start_after = start_after
        self.start_timeout = start_timeout
        self.in_process = 0  # signatures made in-process (no worker ready): the benchmark prints it
        self.in_workers = 0
        self._workers: list[_Worker] = []
        self._keys: dict[str, int] = {}
        self._starting: asyncio.Task[None] | None = None
        self._retry_at = 0.0
        self._closed = False

    @property
    def pids(self) -> list[int]:
        return [w.proc.pid for w in self._workers if w.alive]

    async def sign(self, private_key_pem: str, data: bytes) -> bytes:
        """The signature of ``data`` by the key (the algorithm its type implies)."""
        worker = self._pick()
        key = self._key_number(private_key_pem)
        if worker is not None and key is not None and len(worker.waiting) < self.queue_limit:
            try:
                signature = await worker.sign(key, private_key_pem, data)
            except _WorkerGone as exc:
                log.debug("signing in-process: %s", exc)
            else:
                self.in_workers += 1
                return signature
        self.in_process += 1
        return sign_bytes(private_key_pem, data)

    def _key_number(self, pem: str) -> int | None:
        key = self._keys.get(pem)
        if key is None and len(self._keys) < MAX_KEYS:
            key = self._keys[pem] = len(self._keys) + 1
        return key

    def start(self) -> None:
        """Start the missing workers now, in the background (many signatures are coming: a fan-out)."""
        if any(not w.alive for w in self._workers):
            self._workers = [w for w in self._workers if w.alive]
        missing = self.processes - len(self._workers)
        if missing > 0 and not self._closed and self._starting is None and time.monotonic() >= self._retry_at:
            self._starting = asyncio.get_running_loop().create_task(self._start(missing))

    def _pick(self) -> _Worker | None:
        """The worker with the fewest requests waiting; starts missing workers in the background."""
        if self.in_process >= self.start_after:
            self.start()
        if not self._workers:
            return None
        return min(self._workers, key=lambda w: len(w.waiting))

    async def _start(self, count: int) -> None:
        try:
            for _ in range(count):
                worker = await self._spawn()
                if worker is None:
                    self._retry_at = time.monotonic() + RESTART_AFTER
                    return
                if self._closed:
                    await worker.stop()
                    return
                self._workers.append(worker)
        finally:
            self._starting = None

    async def _spawn(self) -> _Worker | None:
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "federation.signatures.worker",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=_PROJECT_ROOT,
            )  # fmt: skip
        except OSError as exc:
            log.warning("no signing worker: %s; signing in-process", exc)
            return None
        worker = _Worker(proc)
        assert proc.stdout is not None
        try:
            async with asyncio.timeout(self.start_timeout):
                kind, *_ = HEAD.unpack(await proc.stdout.readexactly(HEAD.size))
        except (TimeoutError, asyncio.IncompleteReadError, OSError):
            kind = b""
        except BaseException:  # cancelled (the pool closes): no worker left behind
            await worker.stop()
            raise
        if kind != READY:
            log.warning("the signing worker did not start; signing in-process")
            await worker.stop()
            return None
        worker.reader = asyncio.get_running_loop().create_task(worker.read())
        return worker

    async def aclose(self) -> None:
        self._closed = True
        if self._starting is not None:
            self._starting.cancel()
            with contextlib.suppress(BaseException):
                await self._starting
        workers, self._workers = self._workers, []
        for worker in workers:
            await worker.stop()
