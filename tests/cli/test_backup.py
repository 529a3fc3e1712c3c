"""`agora backup` and `agora restore`: a node with posts, an event, an initiative, a follower and an image
is backed up while it runs and writes, restored into a fresh data directory (and, on the PostgreSQL lane,
a fresh database), and the restored node serves the same actors with the same keys, the same documents
and the same image, and federates. Then the refusals: nothing live is overwritten, a damaged archive
restores nothing, a failed backup leaves no partial archive."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import json
import os
import re
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from PIL import Image

from node.app import create_app, start_node, stop_node
from node.backup import postgres
from node.backup.archive import BackupError
from node.backup.backup import make_backup
from node.backup.restore import retarget_config
from node.cli.main import main
from node.core.media import attachment_doc, store_upload
from node.core.models import Activity, Actor, Follow, Post
from node.core.runtime import Node
from node.core.settings import load_settings
from node.posts.content import Draft, create_post
from tests.conftest import PG_URL, Federation, _create_pg_database, _drop_pg_database, client_for, member
from tests.helpers import follow_association, publish, publish_event, publish_initiative

AS2 = {"Accept": "application/activity+json"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AGORA_* setting from the caller's environment leaks into these tests."""
    for name in list(os.environ):
        if name.startswith("AGORA_") and name != "AGORA_TEST_DATABASE_URL":
            monkeypatch.delenv(name)


def init_args(data_dir: Path, database_url: str | None) -> list[str]:
    args = ["init", "--base-url", "http://a.test", "--handle", "asso", "--name", "Association of a.test",
            "--admin-email", "admin@example.org", "--data-dir", str(data_dir), "--dev"]
    return args + (["--database-url", database_url] if database_url else [])


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out.splitlines(), err.splitlines()


def one_line_error(err: list[str], *words: str) -> None:
    assert len(err) == 1, err
    assert err[0].startswith("agora: error: ") and "Traceback" not in err[0]
    for word in words:
        assert word in err[0], err[0]


def png(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (700, 400), color).save(out, "PNG")
    return out.getvalue()


def tables(url: str) -> int:
    return postgres.table_count(url)


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


# ------------------------------------------------------------------ the round trip


async def start(fed: Federation, config: Path) -> Node:
    """A node from its config on the in-process network (its host answered by its app)."""
    settings = load_settings(config, env={})
    node = await start_node(settings, transport=fed.network)
    node.extra["app"] = create_app(settings, node=node)
    fed.network.add(settings.host, node.extra["app"])
    fed.nodes.append(node)
    return node


async def fresh_database(fed: Federation) -> str | None:
    if not PG_URL:
        return None
    url = await _create_pg_database()
    fed.pg_urls.append(url)
    return url


async def documents(node: Node, uris: list[str], images: list[str]) -> tuple[list[Any], list[bytes]]:
    async with client_for(node) as http:
        docs = []
        for uri in uris:
            response = await http.get(uri, headers=AS2)
            assert response.status_code == 200, (uri, response.status_code)
            docs.append(response.json())
        files = []
        for url in images:
            response = await http.get(url)
            assert response.status_code == 200 and response.headers["content-type"].startswith("image/")
            files.append(response.content)
    return docs, files


async def populate(fed: Federation, a: Node, b: Node) -> tuple[list[str], list[str]]:
    """Posts (one with an image), an event, an initiative, a member and a follower on b."""
    await follow_association(fed, a, b)
    alice, _ = await member(a, "alice")
    with a.ctx:
        asso = await Actor.get(local=True, username="asso")
        picture = await store_upload(a, asso, png((20, 140, 60)), "A green banner", "banner.png")
        with_image = await create_post(a, asso, Draft(text="Our new banner", attachments=(attachment_doc(a, picture),)))
        by_alice = await create_post(a, alice, Draft(text="Hello from Alice"))
    post = await publish(a, "Welcome to the *association*")
    event = await publish_event(a)
    initiative = await publish_initiative(a)
    await fed.settle()
    uris = [asso.uri, alice.uri, a.urls.actor("asso") + "/followers", post.uri, with_image.uri, by_alice.uri,
            event.uri, initiative.uri]
    images = [f"{a.settings.base_url}/media/{name}" for name in picture.variants.values()]
    return uris, images


async def backup_while_writing(a: Node, config: Path, archive: Path) -> tuple[int, int]:
    """`agora backup` in its own thread while the running node keeps publishing; (exit status, posts
    written meanwhile)."""
    task = asyncio.ensure_future(asyncio.to_thread(main, ["--config", str(config), "backup", "--output", str(archive)]))
    written = 0
    while not task.done() or written < 3:
        await publish(a, f"Written during the backup, number {written}")
        written += 1
    return await task, written


async def check_consistent(node: Node, before: set[str]) -> None:
    """Every post known before the backup is there, and each restored post has its Create: no torn
    write from the posts published while the backup ran."""
    with node.ctx:
        posts = {p.uri for p in await Post.filter(local=True, draft=False)}
        creates = {a.data["object"]["id"] for a in await Activity.filter(kind="Create", outgoing=True)}
    assert before <= posts
    assert posts <= creates


async def test_a_node_backed_up_while_running_is_restored_elsewhere_and_federates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fed = Federation(tmp_path)
    try:
        source_db = await fresh_database(fed)
        status = await asyncio.to_thread(main, init_args(tmp_path / "old", source_db))
        assert status == 0, capsys.readouterr().err
        config = tmp_path / "old" / "agora.toml"
        a = await start(fed, config)
        b = await fed.add_node("b.test")
        uris, images = await populate(fed, a, b)
        expected = await documents(a, uris, images)
        with a.ctx:
            before = {p.uri for p in await Post.filter(local=True, draft=False)}
        capsys.readouterr()

        archive = tmp_path / "backups" / "asso.tar.gz"
        archive.parent.mkdir()
        status, written = await backup_while_writing(a, config, archive)
        out, err = (text.splitlines() for text in capsys.readouterr())
        assert status == 0, err
        assert out[0].startswith(f"Wrote {archive} (") and written >= 3
        assert stat.S_IMODE(archive.stat().st_mode) == 0o600
        assert listing(archive.parent) == ["asso.tar.gz"]  # no temporary file left beside it

        await stop_node(a)  # the old server goes away
        fed.nodes.remove(a)
        target_db = await fresh_database(fed)
        restore = ["restore", str(archive), "--data-dir", str(tmp_path / "new")]
        status = await asyncio.to_thread(main, restore + (["--database-url", target_db] if target_db else []))
        out, err = (text.splitlines() for text in capsys.readouterr())
        assert status == 0, err
        new_config = tmp_path / "new" / "agora.toml"
        assert out[-1] == f"Next: AGORA_CONFIG={new_config} agora serve"
        assert stat.S_IMODE(new_config.stat().st_mode) == 0o600
        settings = load_settings(new_config, env={})
        assert settings.data_dir == str(tmp_path / "new") and settings.base_url == "http://a.test"
        assert settings.secret_key == load_settings(config, env={}).secret_key
        assert settings.resolved_database_url == (target_db or f"sqlite://{tmp_path / 'new'}/agora.sqlite3")

        restored = await start(fed, new_config)
        assert await documents(restored, uris, images) == expected
        [asso_doc, alice_doc, followers, *_] = expected[0]
        assert asso_doc["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
        assert alice_doc["publicKey"]["publicKeyPem"] != asso_doc["publicKey"]["publicKeyPem"]
        assert followers["totalItems"] == 1
        await check_consistent(restored, before)
        await federates(fed, restored, b, asso_doc["id"])
    finally:
        await fed.close()


async def federates(fed: Federation, restored: Node, b: Node, asso_uri: str) -> None:
    """The restored node's deliveries verify at b with the key b cached before the backup (b fetches
    no key again), and a new follow from b is accepted."""
    fed.network.log.clear()
    post = await publish(restored, "Written after the restore")
    await fed.settle()
    with b.ctx:
        copy = await Post.get_or_none(uri=post.uri)
        assert copy is not None and "after the restore" in copy.content
    assert not [entry for entry in fed.network.log if entry[0] == "GET" and entry[1].startswith(asso_uri)]
    carol = await follow_association(fed, restored, b, "carol")
    with restored.ctx:
        assert await Actor.filter(uri=carol.uri, local=False).exists()
    with b.ctx:
        assert (await Follow.get(follower__uri=carol.uri)).state == "accepted"
    async with client_for(restored) as http:
        followers = (await http.get("/users/asso/followers", headers=AS2)).json()
    assert followers["totalItems"] == 2


# ------------------------------------------------------------------ refusals


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, str | None]]:
    """A node made by `agora init` with one picture, and its backup: (config, archive, database URL)."""
    tmp = tmp_path_factory.mktemp("source")
    url = asyncio.run(_create_pg_database()) if PG_URL else None
    try:
        with pytest.MonkeyPatch.context() as env:  # the autouse fixture does not reach a module-scoped one
            for name in list(os.environ):
                if name.startswith("AGORA_") and name != "AGORA_TEST_DATABASE_URL":
                    env.delenv(name)
            assert main(init_args(tmp / "node", url)) == 0
            (tmp / "node" / "media").mkdir()
            (tmp / "node" / "media" / "abcdefghijklmnopqrstuv-640.png").write_bytes(png((1, 2, 3)))
            archive = tmp / "node.tar.gz"
            assert main(["--config", str(tmp / "node" / "agora.toml"), "backup", "--output", str(archive)]) == 0
        yield tmp / "node" / "agora.toml", archive, url
    finally:
        if url:
            asyncio.run(_drop_pg_database(url))


@pytest.fixture
def target_db() -> Iterator[str | None]:
    """A fresh empty PostgreSQL database on that lane, else None (SQLite in the data directory)."""
    if not PG_URL:
        yield None
        return
    url = asyncio.run(_create_pg_database())
    try:
        yield url
    finally:
        asyncio.run(_drop_pg_database(url))


def restore_args(archive: Path, data_dir: Path, database_url: str | None) -> list[str]:
    args = ["restore", str(archive), "--data-dir", str(data_dir)]
    return args + (["--database-url", database_url] if database_url else [])


def nothing_restored(data_dir: Path, database_url: str | None) -> None:
    assert not data_dir.exists()
    if database_url:
        assert tables(database_url) == 0


def test_the_archive_lists_every_member_with_its_checksum(source: tuple[Path, Path, str | None]) -> None:
    config, archive, url = source
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        members = {name: tar.extractfile(name).read()  # type: ignore[union-attr]
                   for name in names if name != "manifest.json"}
    database = "database/agora.pgdump" if url else "database/agora.sqlite3"
    assert names[-1] == "manifest.json"
    assert set(members) == {database, "config/agora.toml", "data/media/abcdefghijklmnopqrstuv-640.png"}
    engine = "postgresql" if url else "sqlite"
    assert (manifest["format"], manifest["engine"], manifest["base_url"]) == (1, engine, "http://a.test")
    assert manifest["agora_version"] and manifest["created"].endswith("Z")
    assert {f["path"]: (f["size"], f["sha256"]) for f in manifest["files"]} == {
        name: (len(data), hashlib.sha256(data).hexdigest()) for name, data in members.items()}
    assert members["config/agora.toml"] == config.read_bytes()
    if url:
        assert members[database].startswith(b"PGDMP")
    else:
        assert members[database].startswith(b"SQLite format 3\x00")


def test_restore_refuses_a_non_empty_data_directory(
    source: tuple[Path, Path, str | None], target_db: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "live").mkdir()
    (tmp_path / "live" / "notes.txt").write_text("mine")
    status, out, err = cli(capsys, *restore_args(source[1], tmp_path / "live", target_db))
    assert status == 2 and out == []
    one_line_error(err, "not empty", "notes.txt", "never over a live node")
    assert listing(tmp_path / "live") == ["notes.txt"] and (tmp_path / "live" / "notes.txt").read_text() == "mine"
    if target_db:
        assert tables(target_db) == 0


def test_restore_refuses_a_database_in_use(
    source: tuple[Path, Path, str | None], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, archive, url = source
    live = url or f"sqlite://{config.parent}/agora.sqlite3"
    before = tables(url) if url else (config.parent / "agora.sqlite3").read_bytes()
    status, out, err = cli(capsys, *restore_args(archive, tmp_path / "new", live))
    assert status == 2 and out == []
    one_line_error(err, "never over a live node")
    assert not (tmp_path / "new").exists()
    assert (tables(url) if url else (config.parent / "agora.sqlite3").read_bytes()) == before


def repack(archive: Path, target: Path, change: str) -> None:
    """A copy of the archive, valid as tar.gz, with one member's bytes changed and the manifest kept."""
    with tarfile.open(archive) as tar, tarfile.open(target, "w:gz") as out:
        for member in tar.getmembers():
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == change:
                data = data[:-1] + bytes([data[-1] ^ 1])
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))


@pytest.mark.parametrize("member", ["data/media/abcdefghijklmnopqrstuv-640.png", "config/agora.toml"])
def test_restore_refuses_a_tampered_archive(
    source: tuple[Path, Path, str | None], target_db: str | None, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], member: str,
) -> None:
    tampered = tmp_path / "tampered.tar.gz"
    repack(source[1], tampered, member)
    status, out, err = cli(capsys, *restore_args(tampered, tmp_path / "new", target_db))
    assert status == 2 and out == []
    one_line_error(err, f"checksum mismatch for {member}", "not restored")
    nothing_restored(tmp_path / "new", target_db)


def test_restore_refuses_a_truncated_archive(
    source: tuple[Path, Path, str | None], target_db: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = source[1].read_bytes()
    for cut in (len(data) // 2, len(data) - 10):
        truncated = tmp_path / f"cut-{cut}.tar.gz"
        truncated.write_bytes(data[:cut])
        status, out, err = cli(capsys, *restore_args(truncated, tmp_path / "new", target_db))
        assert status == 2 and out == []
        one_line_error(err, "truncated or damaged")
        nothing_restored(tmp_path / "new", target_db)


def test_restore_refuses_what_is_not_an_agora_backup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with tarfile.open(tmp_path / "other.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("../../etc/evil")
        tar.addfile(info, io.BytesIO(b""))
    status, _, err = cli(capsys, *restore_args(tmp_path / "other.tar.gz", tmp_path / "new", None))
    assert status == 2
    one_line_error(err, "unsafe name")
    (tmp_path / "plain.tar.gz").write_bytes(gzip.compress(b"not a tar file at all" * 100))
    status, _, err = cli(capsys, *restore_args(tmp_path / "plain.tar.gz", tmp_path / "new", None))
    assert status == 2
    one_line_error(err, "truncated or damaged")
    assert not (tmp_path / "new").exists()


def test_restore_refuses_another_base_url(
    source: tuple[Path, Path, str | None], target_db: str | None, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGORA_BASE_URL", "http://elsewhere.test")
    status, _, err = cli(capsys, *restore_args(source[1], tmp_path / "new", target_db))
    assert status == 2
    one_line_error(err, "http://a.test", "http://elsewhere.test", "must stay the same")
    nothing_restored(tmp_path / "new", target_db)


def test_restore_into_an_existing_config_keeps_it(
    source: tuple[Path, Path, str | None], target_db: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "prepared"
    data.mkdir()
    text = f'base_url = "http://a.test"\ndata_dir = "{data}"\nsecret_key = "new"\n'
    text += f'database_url = "{target_db}"\n' if target_db else ""
    (data / "agora.toml").write_text(text)
    status, out, err = cli(capsys, "restore", str(source[1]), "--config", str(data / "agora.toml"))
    assert status == 0, err
    assert (data / "agora.toml").read_text() == text
    assert out[-1] == f"Next: AGORA_CONFIG={data / 'agora.toml'} agora serve"
    assert (data / "media" / "abcdefghijklmnopqrstuv-640.png").read_bytes() == png((1, 2, 3))
    if target_db:
        assert tables(target_db) > 10
    else:
        assert (data / "agora.sqlite3").read_bytes().startswith(b"SQLite format 3\x00")


def test_backup_refuses_an_existing_output_and_a_missing_database(
    source: tuple[Path, Path, str | None], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = source[0]
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "taken.tar.gz").write_text("keep me")
    status, _, err = cli(capsys, "--config", str(config), "backup", "--output", str(tmp_path / "out" / "taken.tar.gz"))
    assert status == 2
    one_line_error(err, "exists already")
    assert (tmp_path / "out" / "taken.tar.gz").read_text() == "keep me"
    missing = PG_URL.rsplit("/", 1)[0] + "/agora_no_such_db" if PG_URL else f"sqlite://{tmp_path}/none.sqlite3"
    broken = tmp_path / "broken.toml"
    broken.write_text(retarget_config(config.read_text(), config.parent, missing))
    status, _, err = cli(capsys, "--config", str(broken), "backup", "--output", str(tmp_path / "out" / "new.tar.gz"))
    assert status == 2
    one_line_error(err, "pg_dump" if PG_URL else "no SQLite database")
    assert listing(tmp_path / "out") == ["taken.tar.gz"]  # no partial archive, no temporary file


def test_a_backup_failing_midway_leaves_nothing(source: tuple[Path, Path, str | None], tmp_path: Path) -> None:
    config = tmp_path / "gone.toml"
    config.write_text(source[0].read_text())
    settings = load_settings(config, env={})
    config.unlink()  # read after the database is dumped: the archive is half written when it fails
    with pytest.raises(BackupError, match="nothing written"):
        make_backup(settings, tmp_path / "half.tar.gz")
    assert listing(tmp_path) == []


def test_the_archived_config_is_retargeted_in_place() -> None:
    text = ('# kept comment\nbase_url = "http://a.test"\ndata_dir = "/old"  # old place\n'
            'database_url = "sqlite:///old/agora.sqlite3"\n\n[association]\nhandle = "asso"\n')
    new = retarget_config(text, Path('/new "quoted"\tdir'), "sqlite://{data_dir}/agora.sqlite3")
    assert new.splitlines() == [
        "# kept comment", 'base_url = "http://a.test"', 'data_dir = "/new \\"quoted\\"\\tdir"',
        'database_url = "sqlite://{data_dir}/agora.sqlite3"', "", "[association]", 'handle = "asso"']
    added = retarget_config('base_url = "http://a.test"\n[association]\nhandle = "x"\n', Path("/n"), None)
    assert added.splitlines()[0] == 'data_dir = "/n"'


def test_backup_into_a_directory_names_the_archive(
    source: tuple[Path, Path, str | None], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = cli(capsys, "--config", str(source[0]), "backup", "--output", str(tmp_path))
    assert status == 0, err
    [archive] = tmp_path.iterdir()
    assert re.fullmatch(r"agora-backup-a\.test-\d{8}T\d{6}Z\.tar\.gz", archive.name)
    assert out[0].startswith(f"Wrote {archive} (3 files, ")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600


async def add_view(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute("CREATE VIEW actors AS SELECT 1 AS id")
    finally:
        await conn.close()


def test_a_restore_failing_late_takes_back_what_it_placed(
    source: tuple[Path, Path, str | None], target_db: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The media are in place when the database fails (pg_restore meets an `actors` view and rolls back;
    the SQLite file's directory is a file): everything placed is removed again."""
    if target_db:
        asyncio.run(add_view(target_db))
        url = target_db
    else:
        (tmp_path / "blocker").write_text("a file where a directory should be")
        url = f"sqlite://{tmp_path}/blocker/agora.sqlite3"
    status, out, err = cli(capsys, *restore_args(source[1], tmp_path / "new", url))
    assert status == 2 and out == []
    one_line_error(err, "pg_restore" if target_db else "nothing restored")
    assert not (tmp_path / "new").exists()
    if target_db:
        assert tables(target_db) == 0
    else:
        assert (tmp_path / "blocker").read_text() == "a file where a directory should be"
