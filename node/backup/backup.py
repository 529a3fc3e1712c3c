"""`agora backup`: one archive of a node, consistent while it runs and writes.

The database is copied first (SQLite's online backup API, one step, so a single snapshot; PostgreSQL's
`pg_dump`, one transaction), then the config file, the media and any key file of the data directory
are added (see `node.backup.archive`); with an S3 media store, the bucket's pictures are copied into the
archive's data/media/ too. The archive is written to a private temporary file beside the
output (mode 600: it holds the actors' private keys) and linked to its name only once complete, so a
failure leaves no partial archive behind."""

from __future__ import annotations

import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from node.backup import postgres
from node.backup.archive import CONFIG, DATA_PREFIX, DATABASES, BackupError, Manifest, Source, place, write_archive
from node.core.media_store import S3Store, StoreError
from node.core.settings import Settings

KEY_SUFFIXES = (".pem", ".key")


@dataclass(frozen=True)
class Backup:
    path: Path
    manifest: Manifest

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def agora_version() -> str:
    try:
        return metadata.version("agora")
    except metadata.PackageNotFoundError:
        return "unknown"


def engine_of(settings: Settings) -> str:
    return "sqlite" if settings.is_sqlite else "postgresql"


def sqlite_path(settings: Settings) -> Path:
    """The file behind a `sqlite://` database URL."""
    path = settings.resolved_database_url.removeprefix("sqlite://").split("?", 1)[0]
    if not path or path == ":memory:":
        raise BackupError("the database is in memory: there is nothing to back up or restore")
    return Path(path)


def default_output(settings: Settings, now: datetime) -> Path:
    host = re.sub(r"[^A-Za-z0-9.-]+", "_", settings.host) or "agora"
    return Path.cwd() / f"agora-backup-{host}-{now:%Y%m%dT%H%M%SZ}.tar.gz"


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database through its online backup API."""
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=30)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)  # all pages in one step: one snapshot, even while the node writes
                dst.execute("PRAGMA journal_mode=DELETE")  # the copy stands alone, without a -wal file
                (check,) = dst.execute("PRAGMA quick_check").fetchone()
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy the SQLite database {source}: {exc}") from None
    if check != "ok":
        raise BackupError(f"the copy of {source} does not check ({check}); run `PRAGMA integrity_check` on it")


def dump_database(settings: Settings, staging: Path) -> Source:
    engine = engine_of(settings)
    name = DATABASES[engine]
    file = staging / Path(name).name
    if engine == "sqlite":
        copy_sqlite(sqlite_path(settings), file)
    else:
        postgres.dump(settings.resolved_database_url, file)
    return Source(name, file)


def data_files(data_dir: Path, skip: set[Path]) -> list[Source]:
    """The media directory's files (not upload temporaries), and key files: `keys/` and `*.pem`, `*.key`
    at the top of the data directory."""
    found: list[Source] = []

    def add(path: Path, mode: int) -> None:
        if path.is_file() and not path.is_symlink() and path.resolve() not in skip and not path.name.startswith("."):
            found.append(Source(DATA_PREFIX + path.relative_to(data_dir).as_posix(), path, optional=True, mode=mode))

    for path in sorted((data_dir / "media").rglob("*")):
        add(path, 0o644)
    for path in sorted((data_dir / "keys").rglob("*")):
        add(path, 0o600)
    for path in sorted(data_dir.glob("*")):
        if path.suffix in KEY_SUFFIXES:
            add(path, 0o600)
    return found


def bucket_files(settings: Settings, staging: Path) -> list[Source]:
    """With `[media] storage = "s3"`: every picture of the bucket, copied into the archive as
    data/media/<file>, exactly where a node on local disk keeps them (`agora restore` puts them back
    into the store its settings name)."""
    if settings.media.storage != "s3":
        return []
    try:
        paths = S3Store(settings.media).download_all(staging / "bucket")
    except StoreError as exc:
        raise BackupError(f"backup failed, nothing written: {exc}") from None
    return [Source(f"{DATA_PREFIX}media/{path.name}", path, mode=0o644) for path in paths]


def config_sources(settings: Settings) -> list[Source]:
    return [Source(CONFIG, Path(settings.config_path))] if settings.config_path else []


def _write(settings: Settings, output: Path, now: datetime) -> Manifest:
    fd, tmp_name = tempfile.mkstemp(prefix=".agora-backup-", suffix=".tmp", dir=output.parent)  # mode 600
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, tempfile.TemporaryDirectory(
                prefix=".agora-backup-", dir=output.parent) as staging:
            local = data_files(settings.data_path, {output.resolve(), tmp.resolve()})
            bucket = bucket_files(settings, Path(staging))
            names = {source.name for source in bucket}
            sources = [dump_database(settings, Path(staging)), *config_sources(settings),
                       *[source for source in local if source.name not in names], *bucket]
            manifest = Manifest(engine=engine_of(settings), agora_version=agora_version(), base_url=settings.base_url,
                                created=now.isoformat().replace("+00:00", "Z"))
            manifest = write_archive(out, sources, manifest)
            out.flush()
            os.fsync(out.fileno())
        place(tmp, output)  # never replaces a file that appeared meanwhile
    finally:
        tmp.unlink(missing_ok=True)
    directory = os.open(output.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return manifest


def make_backup(settings: Settings, output: Path | None = None, now: datetime | None = None) -> Backup:
    """Write one archive of the node; raises BackupError (and leaves no partial archive) on failure."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    output = (output or default_output(settings, now)).absolute()
    if output.is_dir():
        output = output / default_output(settings, now).name
    if os.path.lexists(output):
        raise BackupError(f"{output} exists already: choose another --output")
    if not output.parent.is_dir():
        raise BackupError(f"no directory {output.parent} to write the backup in")
    try:
        manifest = _write(settings, output, now)
    except OSError as exc:
        raise BackupError(f"backup failed, nothing written: {exc}") from None
    return Backup(output, manifest)
