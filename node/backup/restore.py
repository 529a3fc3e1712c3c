"""`agora restore`: a backup archive into an empty data directory (and, on PostgreSQL, an empty database).

Where to: either a config that exists already (its data directory and database are the target, it is
kept as it is), or a data directory (`--data-dir`), into which the archived config is written with its
`data_dir` (and `database_url`, when given) changed to the new place. AGORA_* variables apply as they
will when the node runs.

Nothing live is ever overwritten: a data directory with anything in it, a SQLite file that exists, a
PostgreSQL database with tables, a base_url other than the archive's (every ActivityPub id is built from
it) are refused before anything is written. The archive is extracted into a staging directory and
checked whole first (`node.backup.archive.read_archive`); files are then linked into place without
replacing anything, and the PostgreSQL dump goes in last, in one transaction. On any error what was
placed is removed again: the target is left as empty as it was found.

With `[media] storage = "s3"` in the settings restored with, the archive's pictures (data/media/) go into
that bucket (put first, before anything is placed; a bucket that refuses stops the restore), not onto
the disk; objects already put stay in the bucket if a later step fails."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from node.backup import postgres
from node.backup.archive import CONFIG, DATA_PREFIX, BackupError, Manifest, place, read_archive
from node.backup.backup import engine_of, sqlite_path

MEDIA_PREFIX = DATA_PREFIX + "media/"
from node.core.media import CONTENT_TYPES
from node.core.media_store import S3Store, StoreError
from node.core.settings import Settings, SettingsError, load_settings, validate

IGNORED = frozenset({"lost+found"})  # what a fresh file system's root holds
REPLACED_KEY = r"^\s*{key}\s*="


@dataclass(frozen=True)
class RestoreRequest:
    archive: Path
    data_dir: Path | None = None
    config: Path | None = None  # an existing config (the target), or where the archived config goes
    database_url: str | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    settings: Settings
    config_path: Path | None


@dataclass
class Placed:
    """What a restore put in place, so that a failure can take it back."""

    files: list[Path] = field(default_factory=list)
    directories: list[Path] = field(default_factory=list)

    def mkdirs(self, directory: Path) -> None:
        missing = [p for p in (directory, *directory.parents) if not p.exists()]
        for path in reversed(missing):
            path.mkdir(mode=0o700)
            self.directories.append(path)

    def put(self, source: Path, target: Path) -> None:
        self.mkdirs(target.parent)
        place(source, target)
        self.files.append(target)

    def undo(self) -> None:
        for path in reversed(self.files):
            path.unlink(missing_ok=True)
        for directory in reversed(self.directories):
            try:
                directory.rmdir()
            except OSError:
                pass


def toml_string(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's, DEL aside)."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def archived_config(path: Path) -> tuple[str, dict[str, Any]]:
    """The text of the archived config and what it says."""
    try:
        text = path.read_text(encoding="utf-8")
        return text, tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BackupError(f"the archived config does not read as TOML ({exc})") from None


def retarget_config(text: str, data_dir: Path, database_url: str | None) -> str:
    """The config with `data_dir` (and `database_url`, when given) set at its top level; the rest of
    the file, comments included, is kept. Checked by reading it back."""
    try:
        original = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BackupError(f"the archived config does not read as TOML ({exc})") from None
    values = {"data_dir": str(data_dir), **({"database_url": database_url} if database_url else {})}
    written: set[str] = set()
    lines = text.splitlines(keepends=True)
    top = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))
    head: list[str] = []
    for line in lines[:top]:
        key = next((k for k in values if re.match(REPLACED_KEY.format(key=k), line)), None)
        if key is None:
            head.append(line)
        elif key not in written:  # changed where it stands
            head.append(f"{key} = {toml_string(values[key])}\n")
            written.add(key)
    at = 0
    while at < len(head) and (not head[at].strip() or head[at].lstrip().startswith("#")):
        at += 1
    new = [f"{key} = {toml_string(value)}\n" for key, value in values.items() if key not in written]
    if head and not head[-1].endswith("\n"):
        head[-1] += "\n"
    result = "".join(head[:at] + new + head[at:] + lines[top:])
    try:
        reread = tomllib.loads(result)
    except tomllib.TOMLDecodeError:
        reread = {}
    if reread != {**original, **values}:
        raise BackupError("cannot rewrite data_dir in the archived config: write a config for the new place "
                          "and restore with --config FILE")
    return result


def database_url_for(manifest: Manifest, archived: dict[str, Any], given: str | None) -> str | None:
    """The `database_url` to write in the restored config, or None to keep the archived one."""
    if given:
        return given
    current = archived.get("database_url")
    if manifest.engine == "sqlite" and isinstance(current, str) and "{data_dir}" not in current:
        return "sqlite://{data_dir}/agora.sqlite3"  # the old file's path means nothing here
    return None


def check_empty(data_dir: Path, keep: Path | None) -> None:
    if os.path.lexists(data_dir) and not data_dir.is_dir():
        raise BackupError(f"{data_dir} is not a directory")
    if not data_dir.exists():
        return
    present = sorted(p.name for p in data_dir.iterdir() if p.name not in IGNORED and p.resolve() != keep)
    if present:
        raise BackupError(f"{data_dir} is not empty (it holds {present[0]}): restore only into an empty data "
                          "directory, never over a live node")


def _load(config: Path | None, env: Mapping[str, str]) -> Settings:
    try:
        return load_settings(config, env=env)
    except SettingsError as exc:
        raise BackupError(str(exc)) from None


def target_settings(request: RestoreRequest, manifest: Manifest, staging: Path, data_dir: Path,
                    existing: Path | None) -> tuple[Settings, Path | None]:
    """The settings the restored node will run with, and the config to put in place (staged), if any."""
    staged: Path | None = None
    if existing is not None:
        settings = _load(existing, request.env)
    elif manifest.has_config:
        text, archived = archived_config(staging / CONFIG)
        url = database_url_for(manifest, archived, request.database_url)
        staged = staging / "agora.toml"
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(retarget_config(text, data_dir, url))
        settings = _load(staged, request.env)
    else:
        base = _load(None, request.env)
        url = request.database_url or base.database_url
        settings = dataclasses.replace(base, data_dir=str(data_dir), database_url=url)
        try:
            settings = validate(settings)
        except SettingsError as exc:
            raise BackupError(str(exc)) from None
    if Path(settings.data_dir).resolve() != data_dir.resolve():
        raise BackupError(f"the settings put the data directory at {settings.data_dir} (AGORA_DATA_DIR?), "
                          f"not at {data_dir}")
    if settings.base_url != manifest.base_url:
        raise BackupError(f"the archive is of {manifest.base_url} but the settings say base_url = {settings.base_url}: "
                          "every ActivityPub id is built from it, so it must stay the same")
    if engine_of(settings) != manifest.engine:
        raise BackupError(f"the archive holds a {manifest.engine} database but the database_url is "
                          f"{engine_of(settings)}")
    return settings, staged


def check_database(settings: Settings) -> None:
    """Refuse a target database that is in use (a SQLite file that exists, PostgreSQL tables)."""
    if settings.is_sqlite:
        path = sqlite_path(settings)
        for candidate in (path, Path(f"{path}-wal")):
            if os.path.lexists(candidate):
                raise BackupError(f"a database exists at {candidate}: restore only into an empty database, "
                                  "never over a live node")
        return
    db = postgres.target(settings.resolved_database_url)
    tables = postgres.table_count(settings.resolved_database_url)
    if tables:
        raise BackupError(f"the database {db.name} on {db.host} has {tables} tables: restore only into an "
                          "empty database, never over a live node")


def _put_in_place(manifest: Manifest, settings: Settings, staging: Path, data_dir: Path, staged: Path | None,
                  config_path: Path | None, placed: Placed) -> None:
    pictures = [e.path for e in manifest.files if e.path.startswith(MEDIA_PREFIX) and "/" not in e.path[len(MEDIA_PREFIX):]]
    if settings.media.storage == "s3" and pictures:  # into the bucket the settings name, not the disk
        try:
            S3Store(settings.media).upload_all([staging / name for name in pictures], _content_type)
        except StoreError as exc:
            raise BackupError(f"restore failed, nothing restored: {exc}") from None
    else:
        pictures = []
    for entry in manifest.files:
        if entry.path.startswith(DATA_PREFIX) and entry.path not in pictures:
            placed.put(staging / entry.path, data_dir / entry.path.removeprefix(DATA_PREFIX))
    if settings.is_sqlite:
        placed.put(staging / manifest.database, sqlite_path(settings))
    if staged is not None and config_path is not None:
        placed.put(staged, config_path)
    if not settings.is_sqlite:
        postgres.restore(settings.resolved_database_url, staging / manifest.database)


def _content_type(name: str) -> str:
    return CONTENT_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")


def resolve_target(request: RestoreRequest) -> tuple[Path, Path | None, Path | None]:
    """(data directory, existing config or None, where the restored config goes or None)."""
    config = request.config.absolute() if request.config else None
    if config is not None and config.exists():
        if request.data_dir or request.database_url:
            raise BackupError(f"the config {config} exists, so its data_dir and database_url are the target: "
                              "drop --data-dir and --database-url, or name a new config file")
        return Path(_load(config, request.env).data_dir), config, None
    if request.data_dir is None:
        raise BackupError("name the data directory to restore into with --data-dir DIR "
                          "(or an existing config with --config FILE)")
    data_dir = request.data_dir.absolute()
    return data_dir, None, config or data_dir / "agora.toml"


def restore_backup(request: RestoreRequest) -> Restored:
    """Restore the archive (see the module's docstring); raises BackupError, having changed nothing."""
    data_dir, existing, config_path = resolve_target(request)
    check_empty(data_dir, existing.resolve() if existing else None)
    if not request.archive.is_file():
        raise BackupError(f"no archive at {request.archive}")
    placed = Placed()
    try:
        placed.mkdirs(data_dir)
        staging = Path(tempfile.mkdtemp(prefix=".agora-restore-", dir=data_dir))
        try:
            manifest = read_archive(request.archive, staging)
            settings, staged = target_settings(request, manifest, staging, data_dir, existing)
            check_database(settings)
            _put_in_place(manifest, settings, staging, data_dir, staged, config_path, placed)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException as exc:
        placed.undo()
        if isinstance(exc, OSError):
            raise BackupError(f"restore failed, nothing restored: {exc}") from None
        raise
    final_config = existing or (config_path if staged is not None else None)
    if final_config is not None:
        settings = dataclasses.replace(settings, config_path=str(final_config))
    return Restored(manifest, settings, final_config)
