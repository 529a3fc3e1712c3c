"""PostgreSQL through its own client tools: `pg_dump --format=custom` of a node's database, `pg_restore`
in one transaction (all or nothing), and `psql` to count the tables of a restore's target.

The node's `database_url` is Tortoise's (`postgres://user:pass@host:port/db?minsize=...`): the tools get
a libpq URI without the password and without Tortoise's own parameters; the password goes through
PGPASSWORD, so it never shows in a process list. `-w` keeps every tool from waiting at a prompt."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from node.backup.archive import BackupError

LIBPQ_PARAMS = frozenset({
    "sslmode", "sslcert", "sslkey", "sslrootcert", "sslcrl", "sslpassword", "connect_timeout",
    "application_name", "options", "target_session_attrs", "gssencmode", "channel_binding", "host", "port",
})
TABLES = ("SELECT count(*) FROM pg_catalog.pg_tables "
          "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")


@dataclass(frozen=True)
class Target:
    """A database for the PostgreSQL tools: the URI they connect to and the password they send."""

    uri: str
    name: str
    host: str
    password: str | None = field(default=None, repr=False)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        return env


def target(url: str) -> Target:
    """The libpq form of a Tortoise PostgreSQL URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "psql"):
        raise BackupError(f"not a PostgreSQL database URL (scheme {parts.scheme!r})")
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise BackupError("the PostgreSQL database URL names no database")
    netloc = parts.netloc.rpartition("@")[2]
    user = parts.netloc.rpartition("@")[0].partition(":")[0] if "@" in parts.netloc else ""
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k in LIBPQ_PARAMS])
    uri = f"postgresql://{user + '@' if user else ''}{netloc}{parts.path}" + (f"?{query}" if query else "")
    password = unquote(parts.password) if parts.password is not None else None
    return Target(uri=uri, name=name, host=parts.hostname or "localhost", password=password)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (lines[0] if lines else "no message")[:300]


def _run(args: list[str], db: Target, what: str) -> str:
    try:
        done = subprocess.run(args, env=db.env(), capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"{args[0]} not found: install the PostgreSQL client tools "
                          "(the server's version or newer)") from None
    if done.returncode != 0:
        raise BackupError(f"{what} {db.name} on {db.host} failed: {_first_line(done.stderr)}")
    return done.stdout


def dump(url: str, file: Path) -> None:
    """`pg_dump --format=custom` into `file`: one consistent snapshot while the node writes."""
    db = target(url)
    _run(["pg_dump", "-w", "--format=custom", f"--file={file}", f"--dbname={db.uri}"], db, "pg_dump of the database")


def table_count(url: str) -> int:
    """How many tables the database holds (outside PostgreSQL's own schemas)."""
    db = target(url)
    out = _run(["psql", "-X", "-w", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", f"--dbname={db.uri}",
                "-c", TABLES], db, "connecting to the database")
    try:
        return int(out.strip())
    except ValueError:
        raise BackupError(f"psql answered {out.strip()[:80]!r} when counting the tables of {db.name}") from None


def restore(url: str, file: Path) -> None:
    """`pg_restore` in one transaction: on any error the database stays as it was (empty)."""
    db = target(url)
    _run(["pg_restore", "-w", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
          f"--dbname={db.uri}", str(file)], db, "pg_restore into the database")
