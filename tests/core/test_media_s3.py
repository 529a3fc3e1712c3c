"""Pictures in an S3-compatible store (`[media] storage = "s3"`), against a real S3-protocol server
process (moto's server mode): uploads land in the bucket with their type and cache lifetime, /media/
redirects to a signed URL (or the public URL) that serves the same bytes, deletion removes the objects,
`agora backup` copies the bucket into the archive and `agora restore` puts it into the store it names."""

from __future__ import annotations

import dataclasses
import tarfile
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from node.app import create_app
from node.backup.backup import make_backup
from node.backup.restore import RestoreRequest, restore_backup
from node.core import media
from node.core.runtime import Node
from node.core.settings import MediaSettings
from tests.conftest import PG_URL, Federation, _create_pg_database, _drop_pg_database
from tests.core.test_media_service import jpeg_with_gps
from tests.scale.services import ACCESS_KEY, REGION, SECRET_KEY, bucket_objects, new_bucket, s3_server


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with s3_server() as url:
        yield url


def s3_settings(endpoint: str, bucket: str, **extra: object) -> MediaSettings:
    return dataclasses.replace(MediaSettings(), storage="s3", s3_endpoint=endpoint, s3_bucket=bucket,
                               s3_region=REGION, s3_access_key=ACCESS_KEY, s3_secret_key=SECRET_KEY, **extra)


async def s3_node(federation: Federation, endpoint: str, **extra: object) -> tuple[Node, str]:
    node = await federation.add_node("a.test")
    bucket = new_bucket(endpoint)
    node.settings = dataclasses.replace(node.settings, media=s3_settings(endpoint, bucket, **extra))
    return node, bucket


async def test_an_upload_lands_in_the_bucket_and_media_redirects_to_a_signed_url(
    federation: Federation, endpoint: str
) -> None:
    node, bucket = await s3_node(federation, endpoint, s3_prefix="pics/")
    with node.ctx:
        row = await media.store_upload(node, None, jpeg_with_gps((2000, 1000)), "A red flag")
    objects = bucket_objects(endpoint, bucket)
    assert sorted(objects) == sorted(f"pics/{name}" for name in row.variants.values())
    assert not (Path(node.settings.data_dir) / "media").exists()  # nothing on the local disk
    head = media.store_of(node).client
    client = await head()
    first = f"pics/{row.variants['1600']}"
    meta = client.head_object(Bucket=bucket, Key=first)
    assert meta["ContentType"] == "image/jpeg" and "immutable" in meta["CacheControl"]
    url = media.media_url(node, row)
    assert url == f"http://a.test/media/{row.variants['1600']}"  # the node's address, not the bucket's
    app = create_app(node.settings, node=node)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://a.test") as http:
        answer = await http.get(f"/media/{row.variants['1600']}")
        missing = await http.get(f"/media/{row.key[:10]}xxxxxxxxxxxxxx-1600.jpg")
    assert answer.status_code == 302 and answer.headers["cache-control"].startswith("private, max-age=")
    target = answer.headers["location"]
    assert target.startswith(f"{endpoint}/{bucket}/pics/") and "X-Amz-Signature=" in target
    fetched = httpx2.get(target)
    assert fetched.status_code == 200 and fetched.content == objects[first]
    assert httpx2.get(target.split("?")[0]).status_code == 403  # the bucket is not public: the URL's signature opens it
    assert missing.status_code == 404


async def test_a_public_url_is_linked_directly_and_read_back(federation: Federation, endpoint: str) -> None:
    node, bucket = await s3_node(federation, endpoint, s3_public_url="https://cdn.example/")
    with node.ctx:
        row = await media.store_upload(node, None, jpeg_with_gps(), "A red flag")
        url = media.media_url(node, row, 320)
        assert url.startswith("https://cdn.example/") and url.endswith(".jpg")
        assert all(part.strip().startswith("https://cdn.example/") for part in media.srcset(node, row).split(","))
        assert media.attachment_doc(node, row)["url"].startswith("https://cdn.example/")
        found = await media.media_for_url(node, url)
        assert found is not None and found.id == row.id
        old = await media.media_for_url(node, f"http://a.test/media/{row.variants['320']}")
        assert old is not None and old.id == row.id  # the node's own address still names it
    app = create_app(node.settings, node=node)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://a.test") as http:
        answer = await http.get(f"/media/{row.variants['320']}")
    assert answer.status_code == 302 and answer.headers["location"] == f"https://cdn.example/{row.variants['320']}"


async def test_deleting_a_picture_deletes_its_objects(federation: Federation, endpoint: str) -> None:
    node, bucket = await s3_node(federation, endpoint)
    with node.ctx:
        keep = await media.store_upload(node, None, jpeg_with_gps(), "kept")
        gone = await media.store_upload(node, None, jpeg_with_gps(), "deleted")
        await media.delete_media(node, gone)
    assert sorted(bucket_objects(endpoint, bucket)) == sorted(keep.variants.values())


async def test_backup_copies_the_bucket_and_restore_puts_it_into_the_store_it_names(
    federation: Federation, endpoint: str, tmp_path: Path
) -> None:
    node, bucket = await s3_node(federation, endpoint)
    with node.ctx:
        row = await media.store_upload(node, None, jpeg_with_gps(), "A red flag")
    backup = make_backup(node.settings, tmp_path / "node.tar.gz")
    with tarfile.open(backup.path) as archive:
        names = set(archive.getnames())
    assert {f"data/media/{name}" for name in row.variants.values()} <= names
    target = new_bucket(endpoint)
    empty = await _create_pg_database() if PG_URL else None  # PostgreSQL restores into an empty database
    env = {"AGORA_BASE_URL": node.settings.base_url, "AGORA_SECRET_KEY": "x", "AGORA_MEDIA_STORAGE": "s3",
           "AGORA_MEDIA_S3_ENDPOINT": endpoint, "AGORA_MEDIA_S3_BUCKET": target, "AGORA_MEDIA_S3_ACCESS_KEY": ACCESS_KEY,
           "AGORA_MEDIA_S3_SECRET_KEY": SECRET_KEY, "AGORA_MEDIA_S3_REGION": REGION}
    try:
        restored = restore_backup(RestoreRequest(backup.path, data_dir=tmp_path / "restored", database_url=empty,
                                                 env=env))
    finally:
        if empty:
            await _drop_pg_database(empty)
    assert restored.settings.media.s3_bucket == target
    assert bucket_objects(endpoint, target) == bucket_objects(endpoint, bucket)
    assert not (tmp_path / "restored" / "media").exists()  # into the bucket, not onto the disk
