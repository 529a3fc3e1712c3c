"""The costly half of verifying Linked Data signatures, kept away from the event loop.

Checking an RsaSignature2017 means canonicalizing the activity (URDNA2015): pure Python, super-linear
in the document's size (about 1.4 s for 110 KB of nested objects, exponential for crafted graphs),
and it holds the GIL, so neither the event loop nor a thread may run it. :class:`LdGuard` runs it in
one child process (federation/ldworker.py), started when first needed, one document at a time:

* a document waits for the worker at most ``timeout`` seconds, then gives up (the worker is busy);
* a document that takes longer than ``timeout`` seconds has the worker killed (it stops burning CPU
  at once) and replaced by a new one for the next document;
* :meth:`LdGuard.allow` is a token bucket per remote host, so that one host cannot keep the worker busy.

Every refusal is an answer without signed data, with a reason: the caller treats the activity as
carrying no valid LD signature. The RSA check itself is cheap and stays with the caller
(:func:`federation.ldsig.verify_ld_signed_data`), so one canonicalization serves every key it tries.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from federation.ldframe import HEADER, READY

__all__ = ["Canonical", "HostBudget", "LdGuard"]

WINDOW: Final = 60.0  # budgets are per minute
MAX_HOSTS: Final = 10_000
START_TIMEOUT: Final = 30.0  # a worker's start (an interpreter and pyld imported), not a document's time
_PROJECT_ROOT: Final = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Canonical:
    """The signed data of one activity (``hash(options) + hash(document)``), or why there is none."""

    data: bytes | None
    reason: str = ""


class HostBudget:
    """Token buckets per host: up to ``per_minute`` tokens each, regained at ``per_minute``/60 a second
    (a burst of a minute's budget, then a steady rate). Bounded: the least recently used hosts are
    forgotten first."""

    def __init__(self, max_hosts: int = MAX_HOSTS, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_hosts = max_hosts
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, host: str, per_minute: int) -> bool:
        """Take one token from ``host``'s bucket; False when it is empty. 0 or less: no limit."""
        if per_minute <= 0:
            return True
        now = self.clock()
        tokens, stamp = self._buckets.get(host, (float(per_minute), now))
        tokens = min(float(per_minute), tokens + (now - stamp) * per_minute / WINDOW)
        allowed = tokens >= 1.0
        self._buckets[host] = (tokens - 1.0 if allowed else tokens, now)
        self._buckets.move_to_end(host)
        while len(self._buckets) > self.max_hosts:
            self._buckets.popitem(last=False)
        return allowed


class LdGuard:
    """One worker process for LD canonicalization, with a time limit, and the per-host budget."""

    def __init__(self, *, start_timeout: float = START_TIMEOUT, clock: Callable[[], float] = time.monotonic) -> None:
        self.start_timeout = start_timeout
        self.budget = HostBudget(clock=clock)
        self.runs = 0  # documents sent to a worker
        self.starts = 0  # workers started
        self.kills = 0  # workers killed (over time, or in an unknown state)
        self._proc: asyncio.subprocess.Process | None = None
        self._lock: asyncio.Lock | None = None

    @property
    def pid(self) -> int | None:
        """The running worker's process id, if one runs."""
        proc = self._proc
        return proc.pid if proc is not None and proc.returncode is None else None

    def allow(self, host: str, per_minute: int) -> bool:
        return self.budget.take(host, per_minute)

    async def signed_data(self, doc: Mapping[str, Any], timeout: float) -> Canonical:
        """What ``doc``'s embedded signature signs, computed by the worker within ``timeout`` seconds."""
        payload = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
        lock = self._lock = self._lock or asyncio.Lock()
        try:
            async with asyncio.timeout(timeout):
                await lock.acquire()
        except TimeoutError:
            return Canonical(None, f"the LD worker stayed busy for {timeout:g} s")
        try:
            proc = await self._worker()
            if proc is None:
                return Canonical(None, "the LD worker did not start")
            return await self._exchange(proc, payload, timeout)
        finally:
            lock.release()

    async def _exchange(self, proc: asyncio.subprocess.Process, payload: bytes, timeout: float) -> Canonical:
        assert proc.stdin is not None and proc.stdout is not None
        self.runs += 1
        try:
            async with asyncio.timeout(timeout):
                proc.stdin.write(HEADER.pack(len(payload)) + payload)
                await proc.stdin.drain()
                answer = await _read_frame(proc.stdout)
        except TimeoutError:
            await self._kill()
            return Canonical(None, f"canonicalization took longer than {timeout:g} s")
        except (OSError, asyncio.IncompleteReadError):
            await self._kill()
            return Canonical(None, "the LD worker stopped")
        except BaseException:  # cancelled mid-exchange: the worker's state is unknown
            await self._kill()
            raise
        if answer[:1] == b"o":
            return Canonical(answer[1:])
        return Canonical(None, answer[1:].decode("utf-8", "replace") or "no answer")

    async def _worker(self) -> asyncio.subprocess.Process | None:
        """The running worker, started (and waited for until ready) when there is none."""
        if self._proc is not None and self._proc.returncode is None:
            return self._proc
        self.starts += 1
        proc = self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "federation.ldworker",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=_PROJECT_ROOT,
        )  # fmt: skip
        assert proc.stdout is not None
        try:
            async with asyncio.timeout(self.start_timeout):
                ready = await _read_frame(proc.stdout)
        except (TimeoutError, asyncio.IncompleteReadError, OSError):
            ready = b""
        if ready != READY:
            await self._kill()
            return None
        return proc

    async def _kill(self, *, counted: bool = True) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.returncode is None:
            self.kills += counted
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        with contextlib.suppress(Exception):
            await proc.wait()

    async def close(self) -> None:
        """Stop the worker, if one runs (a new one starts if the guard is used again)."""
        await self._kill(counted=False)


async def _read_frame(stream: asyncio.StreamReader) -> bytes:
    (size,) = HEADER.unpack(await stream.readexactly(HEADER.size))
    return await stream.readexactly(size)
