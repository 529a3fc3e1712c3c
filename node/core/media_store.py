"""Where the files of stored pictures live: the data directory (`[media] storage = "local"`, the default)
or an S3-compatible object store (`"s3"`), shared by every `agora serve` and `agora worker` process.

The object store is reached through boto3 (AWS's own SDK: the reference client of the S3 protocol,
maintained with every provider's quirks; its signing works with MinIO, Garage, Ceph and the hosted
stores). boto3 is synchronous, so every call that touches the network runs in a thread
(`asyncio.to_thread`); the client itself is made once per node, in a thread too (loading its service
model takes a while), and is thread-safe. Presigning a URL is a local HMAC, done on the loop.

Both stores speak in file names (`<key>-<width>.<ext>`, see node/core/media.py); the object's name is
`[media] s3_prefix` + that name.

boto3 is only imported by node/core/media_s3.py, which `S3Store` loads on first use with
`importlib.import_module(S3_BACKEND)` (a constant name, not a function-level import): a node with
local storage never pays boto3's ~20 MB of memory."""

from __future__ import annotations

import asyncio
import importlib
import os
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

from node.core.settings import MediaSettings

IMMUTABLE = "public, max-age=31536000, immutable"  # names never change meaning: a new picture, a new key
S3_BACKEND = "node.core.media_s3"  # boto3's half of S3Store, loaded only when a bucket is used


class StoreError(Exception):
    """The object store refused or did not answer; the message says which operation."""


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class LocalStore:
    """Files under `<data_dir>/media/`, served by `GET /media/<name>`."""

    remote = False

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def put(self, files: dict[str, tuple[bytes, str]]) -> None:
        """Write each named file ({name: (bytes, content type)})."""
        await asyncio.to_thread(self._put, files)

    def _put(self, files: dict[str, tuple[bytes, str]]) -> None:
        for name, (data, _) in files.items():
            write_atomically(self.directory / name, data)

    async def delete(self, names: Iterable[str]) -> None:
        await asyncio.to_thread(self._delete, list(names))

    def _delete(self, names: list[str]) -> None:
        for name in names:
            (self.directory / name).unlink(missing_ok=True)


class S3Store:
    """Objects in one bucket of an S3-compatible store."""

    remote = True

    def __init__(self, settings: MediaSettings) -> None:
        self.settings = settings
        self._client: Any = None
        self._lock = threading.Lock()
        self._backend: ModuleType = importlib.import_module(S3_BACKEND)
        self._errors: tuple[type[Exception], ...] = self._backend.ERRORS

    def _make_client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._backend.make_client(self.settings)
            return self._client

    async def client(self) -> Any:
        return self._client if self._client is not None else await asyncio.to_thread(self._make_client)

    def object_name(self, name: str) -> str:
        return f"{self.settings.s3_prefix}{name}"

    async def _run(self, what: str, call: Any, *args: Any) -> Any:
        await self.client()
        try:
            return await asyncio.to_thread(call, *args)
        except self._errors as exc:
            raise StoreError(f"the object store refused to {what}: {exc}") from exc

    async def put(self, files: dict[str, tuple[bytes, str]]) -> None:
        await self._run("store a picture", self._put, files)

    def _put(self, files: dict[str, tuple[bytes, str]]) -> None:
        for name, (data, content_type) in files.items():
            self._client.put_object(Bucket=self.settings.s3_bucket, Key=self.object_name(name), Body=data,
                                    ContentType=content_type, CacheControl=IMMUTABLE)

    async def delete(self, names: Iterable[str]) -> None:
        keys = [{"Key": self.object_name(name)} for name in names]
        if keys:
            await self._run("delete pictures", self._delete, keys)

    def _delete(self, keys: list[dict[str, str]]) -> None:
        for start in range(0, len(keys), 1000):  # the most one request may name
            self._client.delete_objects(Bucket=self.settings.s3_bucket,
                                        Delete={"Objects": keys[start:start + 1000], "Quiet": True})

    async def get(self, name: str) -> bytes:
        return bytes(await self._run("read a picture", self._get, name))

    def _get(self, name: str) -> bytes:
        answer = self._client.get_object(Bucket=self.settings.s3_bucket, Key=self.object_name(name))
        return bytes(answer["Body"].read())

    async def names(self) -> list[str]:
        """Every picture's file name in the bucket (under the prefix)."""
        return list(await self._run("list pictures", self._names))

    def _names(self) -> list[str]:
        prefix = self.settings.s3_prefix
        found: list[str] = []
        for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self.settings.s3_bucket,
                                                                           Prefix=prefix):
            found.extend(item["Key"][len(prefix):] for item in page.get("Contents", []))
        return found

    def download_all(self, directory: Path) -> list[Path]:
        """Copy every picture of the bucket into `directory` (for `agora backup`; synchronous)."""
        self._make_client()
        directory.mkdir(parents=True, exist_ok=True)
        try:
            names = self._names()
            for name in names:
                if name and "/" not in name and not name.startswith("."):
                    write_atomically(directory / name, self._get(name))
        except self._errors as exc:
            raise StoreError(f"the object store refused to hand out the pictures: {exc}") from exc
        return sorted(path for path in directory.iterdir() if path.is_file())

    def upload_all(self, paths: Iterable[Path], content_type: Any) -> int:
        """Put these files into the bucket under their names (for `agora restore`; synchronous)."""
        self._make_client()
        files = {path.name: (path.read_bytes(), content_type(path.name)) for path in paths}
        try:
            self._put(files)
        except self._errors as exc:
            raise StoreError(f"the object store refused the pictures: {exc}") from exc
        return len(files)

    def public_url(self, name: str) -> str | None:
        """The picture's address under `s3_public_url`, or None when the bucket is private."""
        base = self.settings.s3_public_url.rstrip("/")
        return f"{base}/{self.object_name(name)}" if base else None

    async def signed_url(self, name: str) -> str:
        """A URL that reads the picture for `s3_url_seconds`, without credentials."""
        client = await self.client()
        url: str = client.generate_presigned_url(
            "get_object", Params={"Bucket": self.settings.s3_bucket, "Key": self.object_name(name)},
            ExpiresIn=self.settings.s3_url_seconds,
        )
        return url


Store = LocalStore | S3Store


def open_store(settings: MediaSettings, directory: Path) -> Store:
    """The store these settings name (`directory`: the local one, `<data_dir>/media`)."""
    return S3Store(settings) if settings.storage == "s3" else LocalStore(directory)
