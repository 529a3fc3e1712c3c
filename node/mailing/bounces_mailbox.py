"""Reading the bounce mailbox (`[mail] bounce_mailbox`): a Maildir directory or an mbox file, where the
mail server delivers what comes back to our Return-Path.

One message at a time: read (at most bounces.MAX_BYTES), recorded (each recipient's row stamped with
the message's ref), then removed; a message that is no bounce we can read goes to the "unrecognized"
folder (Maildir++ `.unrecognized`, or the mbox file `<name>.unrecognized`) for a person to look at. A
crash between recording and removing leaves the message in place, and reading it again counts
nothing (suppression.py, `ref`). A run holds a lock (the mbox's own locks, a lock file in a Maildir)
so that two processes never read the same mailbox at once."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import mailbox
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from node.core.runtime import Node
from node.mailing.bounces import MAX_BYTES, Report, digest, parse_bytes
from node.mailing.bounces_record import Tally, record

log = logging.getLogger("agora.mail")

MAX_PER_RUN = 500  # messages read by one run; the rest wait for the next one
UNRECOGNIZED = "unrecognized"
LOCK_FILE = ".agora-bounces.lock"
MAX_ASIDE = 20_000_000  # larger unrecognized messages are removed, not kept


class MailboxBusy(Exception):
    """Another process is reading this mailbox."""


@dataclass
class Run:
    """What one run of the mailbox did."""

    read: int = 0
    unrecognized: int = 0
    tally: Tally = field(default_factory=Tally)
    error: str = ""
    more: bool = False  # messages are left for the next run


def open_mailbox(path: str) -> mailbox.Mailbox:
    """The Maildir (a directory) or mbox file (anything else) at `path`; OSError when neither exists."""
    target = Path(path).expanduser()
    if target.is_dir():
        return mailbox.Maildir(str(target), factory=None, create=False)
    if target.is_file():
        return mailbox.mbox(str(target), create=False)
    raise FileNotFoundError(f"no Maildir or mbox file at {target}")


@contextlib.contextmanager
def locked(box: mailbox.Mailbox, path: str) -> Iterator[None]:
    """Hold the mailbox's lock (MailboxBusy when another process holds it)."""
    if isinstance(box, mailbox.Maildir):
        with open(os.path.join(path, LOCK_FILE), "a") as handle:  # Maildir's lock() does nothing
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise MailboxBusy(path) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    try:
        box.lock()
    except mailbox.ExternalClashError:
        raise MailboxBusy("mbox") from None
    try:
        yield
    finally:
        box.unlock()


def read_bounded(box: mailbox.Mailbox, key: str) -> bytes:
    """The message's bytes, cut after MAX_BYTES + 1 (parse_bytes then refuses it as too large)."""
    with box.get_file(key) as handle:
        data: bytes = handle.read(MAX_BYTES + 1)
    return data


def set_aside(box: mailbox.Mailbox, path: str, key: str) -> bool:
    """Keep an unrecognized message for a person to look at (False: too large, not kept)."""
    with box.get_file(key) as handle:
        data: bytes = handle.read(MAX_ASIDE + 1)
    if len(data) > MAX_ASIDE:
        log.warning("bounce mailbox: a message of over %d bytes removed unread", MAX_ASIDE)
        return False
    if isinstance(box, mailbox.Maildir):
        folder = box.get_folder(UNRECOGNIZED) if UNRECOGNIZED in box.list_folders() else box.add_folder(UNRECOGNIZED)
        folder.add(data)
        return True
    aside = mailbox.mbox(path + "." + UNRECOGNIZED, create=True)
    aside.lock()
    try:
        aside.add(data)
        aside.flush()
    finally:
        aside.unlock()
        aside.close()
    return True


def remove(box: mailbox.Mailbox, key: str) -> None:
    box.remove(key)
    box.flush()  # an mbox is rewritten without it now: a crash later cannot bring it back


async def read_mailbox(node: Node, path: str, limit: int = MAX_PER_RUN) -> Run:
    """Read, record and remove up to `limit` messages of the mailbox at `path`. Problems with the
    mailbox itself (missing, unreadable, busy) are in `Run.error`, never raised."""
    run = Run()
    try:
        box = await asyncio.to_thread(open_mailbox, path)
    except (OSError, mailbox.Error) as exc:
        run.error = str(exc)
        return run
    try:
        with locked(box, str(Path(path).expanduser())):
            await _read_locked(node, box, str(Path(path).expanduser()), run, limit)
    except MailboxBusy:
        run.error = "the mailbox is being read by another process"
    except (OSError, mailbox.Error) as exc:  # the next run tries again; what was recorded is removed or stamped
        run.error = f"reading the mailbox failed: {exc}"
    finally:
        with contextlib.suppress(Exception):
            box.close()
    if run.error:
        log.warning("bounce mailbox %s: %s", path, run.error)
    return run


async def _read_locked(node: Node, box: mailbox.Mailbox, path: str, run: Run, limit: int) -> None:
    keys = sorted(await asyncio.to_thread(box.keys))
    run.more = len(keys) > limit
    for key in keys[:limit]:
        data = await asyncio.to_thread(read_bounded, box, key)
        report = await asyncio.to_thread(parse_bytes, data) if data else Report(ref=digest(data))
        run.read += 1
        if report.events:
            run.tally.add(await record(node, report.events, report.ref, source=f"mailbox {report.format}", trusted=False))
        else:
            await asyncio.to_thread(set_aside, box, path, key)
            run.unrecognized += 1
        await asyncio.to_thread(remove, box, key)
