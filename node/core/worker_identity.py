"""A worker's name that outlives a restart on the same data directory.

Jobs are leased to a worker by name (`jobs.locked_by`). A worker killed with SIGKILL leaves its leases
behind; when the node starts again under the same name it hands them back at once instead of waiting
for them to expire. The name is `w-<token>-<slot>`: the token is written once into the data directory
(`worker-token`), and each running worker process holds an exclusive lock on one slot file
(`workers/<slot>.lock`) for as long as it lives. The kernel drops the lock of a dead process, so a
restarted `agora serve` takes the slot its previous run held, while a second live process (another
`agora worker` on the same data directory) finds that slot locked and takes the next one: a worker
never releases the leases of another live one."""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("agora.jobs")

TOKEN_FILE = "worker-token"
SLOTS_DIR = "workers"
MAX_SLOTS = 256


@dataclass
class Identity:
    worker_id: str
    stable: bool  # False: a name for this run only (the data directory could not be used)
    fd: int | None = None

    def release(self) -> None:
        """Give the slot up (the process exiting does the same)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _token(data_dir: Path) -> str:
    path = data_dir / TOKEN_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        text = path.read_text(encoding="ascii").strip()
        if text.isalnum() and 0 < len(text) <= 32:
            return text
        raise OSError(f"{path} does not hold a worker token") from None
    token = secrets.token_hex(6)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token + "\n")
    return token


def _first_free_slot(folder: Path) -> tuple[int, int] | None:
    """(slot, fd holding its lock), or None when every slot is taken."""
    for slot in range(MAX_SLOTS):
        fd = os.open(folder / f"{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return slot, fd
    return None


def claim(data_dir: Path) -> Identity:
    """This process's worker name: the lowest slot of the data directory no live process holds."""
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        token = _token(data_dir)
        folder = data_dir / SLOTS_DIR
        folder.mkdir(mode=0o700, exist_ok=True)
        found = _first_free_slot(folder)
    except OSError as exc:
        found, reason = None, str(exc)
    else:
        reason = f"all {MAX_SLOTS} worker slots of {data_dir} are taken"
    if found is None:
        name = f"t-{secrets.token_hex(6)}-{os.getpid()}"
        log.warning("worker %s: no lasting name (%s); after a crash its jobs wait for their lease", name, reason)
        return Identity(name, stable=False)
    slot, fd = found
    return Identity(f"w-{token}-{slot}", stable=True, fd=fd)
