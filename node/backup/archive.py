"""The backup archive: a tar.gz whose members are the database, the config and the files of the data
directory, and whose last member, `manifest.json`, lists every other member with its size and SHA-256.

    database/agora.sqlite3   (SQLite's online backup) or database/agora.pgdump (pg_dump --format=custom)
    config/agora.toml        (when the node has a config file)
    data/...                 (relative to the data directory: media/, key files)
    manifest.json            (format, Agora version, engine, base_url, created, files)

Reading extracts into a staging directory and checks every member against the manifest before anything
is restored: an archive that is truncated, altered or not Agora's is refused whole."""

from __future__ import annotations

import dataclasses
import errno
import gzip
import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

FORMAT = 1
MANIFEST = "manifest.json"
CONFIG = "config/agora.toml"
DATA_PREFIX = "data/"
DATABASES = {"sqlite": "database/agora.sqlite3", "postgresql": "database/agora.pgdump"}
MAX_MANIFEST_BYTES = 64_000_000
CHUNK = 1 << 20
SHA256 = re.compile(r"[0-9a-f]{64}")


class BackupError(Exception):
    """A backup or restore refused or failed; the message says what to do, in one line."""


@dataclass(frozen=True)
class Entry:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    engine: str
    agora_version: str
    base_url: str
    created: str
    files: tuple[Entry, ...] = ()
    format: int = FORMAT

    @property
    def database(self) -> str:
        return DATABASES[self.engine]

    @property
    def has_config(self) -> bool:
        return any(entry.path == CONFIG for entry in self.files)

    def to_json(self) -> bytes:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True).encode() + b"\n"


@dataclass(frozen=True)
class Source:
    """One member to write: its name in the archive and the file on disk. An optional source (a media
    file) may disappear while the backup runs; it is then left out."""

    name: str
    path: Path
    optional: bool = False
    mode: int = 0o600


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise BackupError(f"manifest.json is malformed: {key} is not text")
    return value


def _entry(item: Any) -> Entry:
    if not isinstance(item, dict):
        raise BackupError("manifest.json is malformed: a file entry is not an object")
    path, size, sha = item.get("path"), item.get("size"), item.get("sha256")
    if not isinstance(path, str) or not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise BackupError("manifest.json is malformed: a file entry lacks its path or size")
    if not isinstance(sha, str) or not SHA256.fullmatch(sha):
        raise BackupError(f"manifest.json is malformed: {path} has no SHA-256")
    return Entry(checked_name(path), size, sha)


def parse_manifest(raw: bytes) -> Manifest:
    """The manifest, checked: a known format and engine, and well-formed entries."""
    try:
        data = json.loads(raw)
    except ValueError:
        raise BackupError("manifest.json is not JSON: this is not an Agora backup") from None
    if not isinstance(data, dict):
        raise BackupError("manifest.json is malformed: not an object")
    version = data.get("format")
    if not isinstance(version, int) or isinstance(version, bool):
        raise BackupError("manifest.json is malformed: no format version")
    if version > FORMAT:
        raise BackupError(f"the archive has format {version}, newer than this Agora reads ({FORMAT}): upgrade first")
    engine = _text(data, "engine")
    if engine not in DATABASES:
        raise BackupError(f"manifest.json names an unknown database engine {engine!r}")
    files = data.get("files")
    if not isinstance(files, list):
        raise BackupError("manifest.json is malformed: no file list")
    entries = tuple(_entry(item) for item in files)
    if len({entry.path for entry in entries}) != len(entries):
        raise BackupError("manifest.json lists a file twice")
    manifest = Manifest(engine=engine, agora_version=_text(data, "agora_version"), base_url=_text(data, "base_url"),
                        created=_text(data, "created"), files=entries, format=version)
    if manifest.database not in {entry.path for entry in entries}:
        raise BackupError(f"the archive has no {manifest.database}")
    return manifest


def checked_name(name: str) -> str:
    """A member name restore may write: relative, no `..`, and one of the archive's own places."""
    path = PurePosixPath(name)
    if path.is_absolute() or any(part in ("", ".", "..") for part in name.split("/")) or "\\" in name:
        raise BackupError(f"the archive holds an unsafe name {name!r}: refused")
    text = str(path)
    if text not in (MANIFEST, CONFIG, *DATABASES.values()) and not text.startswith(DATA_PREFIX):
        raise BackupError(f"the archive holds {name!r}, which is not part of an Agora backup")
    return text


class _Hashing:
    """A readable file that hashes and counts what is read through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data


def _add(tar: tarfile.TarFile, source: Source) -> Entry | None:
    try:
        fh = source.path.open("rb")
    except FileNotFoundError:
        if source.optional:
            return None  # removed while the backup ran (a deleted picture)
        raise
    with fh:
        stat = os.fstat(fh.fileno())
        info = tarfile.TarInfo(source.name)
        info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), source.mode
        reader = _Hashing(fh)
        tar.addfile(info, reader)
    return Entry(source.name, reader.size, reader.digest.hexdigest())


def write_archive(out: IO[bytes], sources: Sequence[Source], manifest: Manifest) -> Manifest:
    """Write every source, then the manifest that lists them; returns that manifest."""
    entries: list[Entry] = []
    with tarfile.open(fileobj=out, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tar:
        for source in sources:
            entry = _add(tar, source)
            if entry is not None:
                entries.append(entry)
        final = dataclasses.replace(manifest, files=tuple(entries))
        raw = final.to_json()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(raw), int(time.time()), 0o600
        tar.addfile(info, _Reader(raw))
    return final


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.offset = data, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n < 0 else self.offset + n
        chunk, self.offset = self.data[self.offset:end], min(end, len(self.data))
        return chunk


def _extract(member: IO[bytes], target: Path, mode: int) -> Entry:
    digest, size = hashlib.sha256(), 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as fh:
            while chunk := member.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                try:
                    fh.write(chunk)
                except OSError as exc:
                    raise BackupError(f"cannot write {target}: {exc.strerror}") from None
    except BackupError:
        raise
    except (FileExistsError, PermissionError, IsADirectoryError, NotADirectoryError) as exc:
        raise BackupError(f"cannot write {target}: {exc.strerror}") from None
    return Entry("", size, digest.hexdigest())


def _members(path: Path, staging: Path) -> tuple[bytes | None, dict[str, Entry]]:
    manifest: bytes | None = None
    found: dict[str, Entry] = {}
    with gzip.open(path, "rb") as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            if member.isdir():
                continue
            name = checked_name(member.name)
            if not member.isfile():
                raise BackupError(f"the archive holds {name!r}, which is not a regular file: refused")
            if name in found or (name == MANIFEST and manifest is not None):
                raise BackupError(f"the archive holds {name!r} twice: refused")
            member_file = tar.extractfile(member)
            assert member_file is not None  # a regular file
            if name == MANIFEST:
                manifest = member_file.read(MAX_MANIFEST_BYTES + 1)
                if len(manifest) > MAX_MANIFEST_BYTES:
                    raise BackupError("manifest.json is too large: this is not an Agora backup")
                continue
            mode = 0o644 if name.startswith(DATA_PREFIX + "media/") else 0o600
            entry = _extract(member_file, staging / name, mode)
            found[name] = Entry(name, entry.size, entry.sha256)
        while stream.read(CHUNK):  # to the end of the gzip stream: its CRC and length are checked there
            pass
    return manifest, found


def read_archive(path: Path, staging: Path) -> Manifest:
    """Extract the archive into `staging` and check it whole: the manifest, then every member's size
    and SHA-256, and no member the manifest does not list. Raises BackupError."""
    try:
        raw, found = _members(path, staging)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(f"{path} is truncated or damaged ({exc}): not restored") from None
    if raw is None:
        raise BackupError(f"{path} has no manifest.json: it is truncated, or not an Agora backup")
    manifest = parse_manifest(raw)
    listed = {entry.path: entry for entry in manifest.files}
    missing, unlisted = sorted(set(listed) - set(found)), sorted(set(found) - set(listed))
    if missing:
        raise BackupError(f"{path} lacks {missing[0]}, which its manifest lists: not restored")
    if unlisted:
        raise BackupError(f"{path} holds {unlisted[0]}, which its manifest does not list: not restored")
    for name, entry in sorted(listed.items()):
        if found[name].size != entry.size or found[name].sha256 != entry.sha256:
            raise BackupError(f"checksum mismatch for {name}: the archive was altered or damaged; not restored")
    return manifest


def place(source: Path, target: Path) -> None:
    """Move `source` to `target`, never replacing what is there (a hard link fails on an existing name)."""
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, "exists already", str(target))
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            os.replace(source, target)  # a file system without hard links
            return
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".agora-restore-", suffix=".tmp")
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            shutil.copymode(source, tmp)
            place(Path(tmp), target)
        finally:
            Path(tmp).unlink(missing_ok=True)
    source.unlink()
