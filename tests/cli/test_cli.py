"""The `agora` command, run in-process through `node.cli.main` (and a few times as a real subprocess)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import stat
import subprocess
import sys
import tomllib
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from node.cli.common import settings_from
from node.cli.main import main
from node.core.db import open_database
from node.core.models import Actor, Post, User
from node.core.settings import SettingsError, load_settings
from node.accounts.passwords import authenticate
from tests.conftest import PG_URL, _create_pg_database, _drop_pg_database

T = TypeVar("T")
AGORA = Path(sys.executable).parent / "agora"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AGORA_* setting from the caller's environment leaks into these tests."""
    for name in list(os.environ):
        if name.startswith("AGORA_") and name != "AGORA_TEST_DATABASE_URL":
            monkeypatch.delenv(name)


@pytest.fixture
def database_url() -> Iterator[str | None]:
    """PostgreSQL when the suite runs against it, else None (SQLite in the data dir)."""
    if not PG_URL:
        yield None
        return
    url = asyncio.run(_create_pg_database())
    try:
        yield url
    finally:
        asyncio.run(_drop_pg_database(url))


def init_args(data_dir: Path, database_url: str | None, *extra: str) -> list[str]:
    args = [
        "init",
        "--base-url", "https://asso.example/",
        "--handle", "friends",
        "--name", 'Les "Amis" du\tjardin \\o/',
        "--admin-email", "Admin@Example.org",
        "--admin-name", "root",
        "--data-dir", str(data_dir),
        "--language", "fr",
        *extra,
    ]
    if database_url:
        args += ["--database-url", database_url]
    return args


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    """Run `agora ARGV`: (exit status, stdout lines, stderr lines)."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out.splitlines(), err.splitlines()


def in_db(config: Path, fn: Callable[[], Awaitable[T]]) -> T:
    async def go() -> T:
        ctx = await open_database(load_settings(config, env={}))
        try:
            with ctx:
                return await fn()
        finally:
            with ctx:
                await ctx.close_connections()

    return asyncio.run(go())


@pytest.fixture
def config(tmp_path: Path, database_url: str | None, capsys: pytest.CaptureFixture[str]) -> Path:
    """A node made by `agora init`; its config path."""
    status, _, err = cli(capsys, *init_args(tmp_path / "data", database_url))
    assert status == 0, err
    return tmp_path / "data" / "agora.toml"


def one_line_error(err: list[str], *words: str) -> None:
    assert len(err) == 1, err
    assert err[0].startswith("agora: error: ")
    assert "Traceback" not in err[0]
    for word in words:
        assert word in err[0]


# ------------------------------------------------------------------ init


def test_init_writes_a_private_config_and_bootstraps_the_node(
    tmp_path: Path, database_url: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    status, out, err = cli(capsys, *init_args(data, database_url, "--dev"))
    assert status == 0, err
    path = data / "agora.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not (data / "agora.tmp").exists()
    written = tomllib.loads(path.read_text())
    assert written["base_url"] == "https://asso.example"  # trailing slash dropped
    assert written["allow_private_addresses"] is True
    assert len(written["secret_key"]) >= 32
    assert written["association"] == {"handle": "friends", "name": 'Les "Amis" du\tjardin \\o/', "language": "fr"}
    assert Path(written["data_dir"]) == data.resolve()
    assert out[0] == f"Wrote {path.resolve()}"
    assert "@friends@asso.example" in out[1] and "https://asso.example/users/friends" in out[1]
    [line] = [x for x in out if "one-time password" in x]
    password = line.rsplit(": ", 1)[1]

    async def check() -> None:
        group = await Actor.get(local=True, username="friends")
        assert (group.kind, group.name) == ("Group", 'Les "Amis" du\tjardin \\o/')
        assert await Actor.filter(local=True, kind="Application").count() == 1
        user = await authenticate("admin@example.org", password)
        assert user is not None and (user.username, user.role, user.must_change_password) == ("root", "admin", True)
        assert await authenticate("root", password) is not None
        assert await authenticate("root", password + "x") is None

    in_db(path, check)
    settings = load_settings(path, env={})
    assert settings.allow_private_addresses and settings.association.language == "fr"


@pytest.mark.parametrize("name", ["two\nlines", "nul\x00 del\x7f", "tab\tand \\ and \"", "emoji \U0001f33b é"])
def test_init_escapes_any_name_into_valid_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    args = init_args(tmp_path, None)
    args[args.index("--name") + 1] = name
    status, _, err = cli(capsys, *args)
    assert status == 0, err
    assert load_settings(tmp_path / "agora.toml", env={}).association.name == name


def test_init_without_dev_refuses_private_addresses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, *init_args(tmp_path, None))[0] == 0
    assert load_settings(tmp_path / "agora.toml", env={}).allow_private_addresses is False


def test_init_twice_refuses_without_force(config: Path, database_url: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    before = config.read_text()
    status, out, err = cli(capsys, *init_args(config.parent, database_url))
    assert status == 2 and out == []
    one_line_error(err, "exists already", "--force")
    assert config.read_text() == before
    status, out, err = cli(capsys, *init_args(config.parent, database_url, "--force"))
    assert status == 0, err
    assert config.read_text() != before  # a new secret key
    assert not any("one-time password" in line for line in out)  # the admin exists already

    async def admins() -> int:
        return await User.filter(role="admin").count()

    assert in_db(config, admins) == 1


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("--handle", "les amis", ["not a valid username"]),
        ("--handle", "inbox", ["reserved"]),
        ("--base-url", "ftp://asso.example", ["base_url"]),
        ("--base-url", "https://asso.example/sub/path", ["base_url"]),
        ("--base-url", "asso.example", ["base_url"]),
        ("--admin-email", "nobody", ["not an email address"]),
        ("--admin-name", "bad name", ["not a valid username"]),
        ("--admin-name", "friends", ["handle"]),
    ],
)
def test_init_refuses_bad_values_in_one_line_before_writing_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str, words: list[str]
) -> None:
    args = init_args(tmp_path / "data", None)
    args[args.index(flag) + 1] = value
    status, out, err = cli(capsys, *args)
    assert status == 2 and out == []
    one_line_error(err, *words)
    data = tmp_path / "data"
    assert not (data / "agora.toml").exists() and not (data / "agora.tmp").exists()
    assert not (data / "agora.sqlite3").exists()


# ------------------------------------------------------------------ settings


def test_config_check_is_ok_on_a_new_node(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = cli(capsys, "--config", str(config), "config", "check")
    assert status == 0, err
    assert out[-1] == "ok"
    assert "base_url: https://asso.example" in out and "association: @friends@asso.example" in out
    assert any(line.startswith("database: ") and "migrated" in line for line in out)


def test_config_check_tells_to_migrate_an_empty_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "agora.toml"
    path.write_text('base_url = "https://asso.example"\n')
    status, out, err = cli(capsys, "--config", str(path), "config", "check")
    assert status == 2
    one_line_error(err, "agora migrate")
    status, out, err = cli(capsys, "--config", str(path), "user", "list")  # no traceback, no hang
    assert status == 2 and out == []
    one_line_error(err, "agora migrate")
    status, out, err = cli(capsys, "--config", str(path), "migrate")
    assert status == 0 and out == ["database is up to date"]
    assert cli(capsys, "--config", str(path), "config", "check")[0] == 0


def test_agora_environment_variables_override_the_file(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert load_settings(config).federation.max_body_bytes == 1_000_000
    monkeypatch.setenv("AGORA_FEDERATION_MAX_BODY_BYTES", "5")
    monkeypatch.setenv("AGORA_BASE_URL", "https://other.example/")
    monkeypatch.setenv("AGORA_TRUSTED_PROXIES", "10.0.0.1, 10.0.0.2")
    monkeypatch.setenv("AGORA_ASSOCIATION_MANUALLY_APPROVES_FOLLOWERS", "yes")
    settings = load_settings(config)
    assert settings.federation.max_body_bytes == 5
    assert settings.base_url == "https://other.example"
    assert settings.trusted_proxies == ("10.0.0.1", "10.0.0.2")
    assert settings.association.manually_approves_followers is True
    assert settings.association.handle == "friends"  # from the file, untouched
    monkeypatch.setenv("AGORA_CONFIG", str(config))
    assert load_settings().config_path == str(config.resolve())
    monkeypatch.setenv("AGORA_WORKER_CONCURRENCY", "many")
    with pytest.raises(SettingsError, match="AGORA_WORKER_CONCURRENCY"):
        load_settings(config)
    status, _, err = cli(capsys, "config", "check")  # AGORA_CONFIG names the file; the bad value is reported
    assert status == 2
    one_line_error(err, "AGORA_WORKER_CONCURRENCY", "many")  # names the variable to fix


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('base_url = "https://asso.example"\ndatabse_url = "sqlite://x"\n', ["unknown setting", "databse_url", "top level"]),
        ('[federation]\nmax_body = 5\n', ["unknown setting", "max_body", "federation"]),
        ('[worker]\nconcurrency = "eight"\n', ["worker.concurrency", "whole number"]),
        ('base_url = "https://asso.example\n', ["agora.toml"]),
        ('federation = 3\n', ["[federation] must be a table"]),
    ],
)
def test_a_bad_config_file_is_a_clear_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, words: list[str]
) -> None:
    path = tmp_path / "agora.toml"
    path.write_text(text)
    with pytest.raises(SettingsError):
        load_settings(path, env={})
    status, out, err = cli(capsys, "--config", str(path), "config", "check")
    assert status == 2 and out == []
    one_line_error(err, *words)


def test_a_missing_config_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = cli(capsys, "--config", str(tmp_path / "nope.toml"), "user", "list")
    assert status == 2
    one_line_error(err, "not found", "nope.toml")


# ------------------------------------------------------------------ users


def test_user_add_list_and_role(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = ["--config", str(config)]
    status, out, err = cli(capsys, *c, "user", "add", "carol", "Carol@Example.org", "--role", "editor")
    assert status == 0, err
    assert out[-1].startswith("added carol (editor); one-time password: ")
    password = out[-1].rsplit(": ", 1)[1]
    status, out, _ = cli(capsys, *c, "user", "list")
    assert status == 0
    assert out == ["root\tadmin@example.org\tadmin", "carol\tcarol@example.org\teditor"]
    status, out, _ = cli(capsys, *c, "user", "role", "carol", "moderator")
    assert (status, out) == (0, ["carol is now moderator"])
    assert cli(capsys, *c, "user", "list")[1][-1] == "carol\tcarol@example.org\tmoderator"

    async def check() -> None:
        user = await authenticate("carol", password)
        assert user is not None and user.role == "moderator"
        actor = await Actor.get(id=user.actor_id)  # type: ignore[attr-defined]
        assert actor.local and actor.kind == "Person" and actor.private_key_pem

    in_db(config, check)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["user", "add", "carol", "other@example.org"], ["taken"]),
        (["user", "add", "dave", "CAROL@example.org"], ["exists already"]),
        (["user", "add", "friends", "g@example.org"], ["taken"]),
        (["user", "add", "no way", "h@example.org"], ["not a valid username"]),
        (["user", "role", "nobody", "admin"], ["no member named"]),
    ],
)
def test_user_mistakes_are_one_line_errors(
    config: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]
) -> None:
    assert cli(capsys, "--config", str(config), "user", "add", "carol", "carol@example.org")[0] == 0
    status, out, err = cli(capsys, "--config", str(config), *argv)
    assert status == 2 and out == []
    one_line_error(err, *words)


# ------------------------------------------------------------------ posts


def test_post_edit_and_delete(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = ["--config", str(config)]
    status, out, err = cli(capsys, *c, "post", "--as", "friends", "Garden day on *Saturday*", "--language", "en")
    assert status == 0, err
    url = out[-1]
    assert url.startswith("https://asso.example/posts/")

    async def stored() -> Post:
        return await Post.get(uri=url).prefetch_related("author")

    post = in_db(config, stored)
    assert post.local and post.author.username == "friends" and post.language == "en"
    assert "<em>Saturday</em>" in post.content and post.visibility == "public"

    status, out, err = cli(capsys, *c, "post", "--edit", url, "Garden day moved to *Sunday*")
    assert (status, out[-1]) == (0, url), err
    post = in_db(config, stored)
    assert "<em>Sunday</em>" in post.content and "Saturday" not in post.content and post.updated is not None

    status, out, err = cli(capsys, *c, "post", "--delete", url)
    assert (status, out[-1]) == (0, f"deleted {url}"), err
    assert in_db(config, stored).deleted_at is not None

    status, out, err = cli(capsys, *c, "post", "--edit", url, "again")  # a deleted post is not editable
    assert status == 2
    one_line_error(err, "no post", url)


def test_post_defaults_to_the_association_and_members_can_post(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = ["--config", str(config)]
    url = cli(capsys, *c, "post", "Hello")[1][-1]
    assert cli(capsys, *c, "user", "add", "carol", "carol@example.org")[0] == 0
    carol_url = cli(capsys, *c, "post", "--as", "carol", "--visibility", "followers", "Hi")[1][-1]

    async def authors() -> list[tuple[str, str]]:
        posts = await Post.filter(uri__in=[url, carol_url]).order_by("id").prefetch_related("author")
        return [(p.author.username or "", p.visibility) for p in posts]

    assert in_db(config, authors) == [("friends", "public"), ("carol", "followers")]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["post", "--edit", "https://asso.example/posts/nope", "text"], ["no post", "posts/nope"]),
        (["post", "--delete", "https://elsewhere.example/posts/1"], ["no post"]),
        (["post", "--as", "nobody", "text"], ["no local account", "nobody"]),
        (["post", "--as", "instance", "text"], ["no local account"]),
        (["post", "--language", "not a tag", "text"], ["language"]),
        (["post", "   "], ["empty"]),
        (["post"], ["needs TEXT"]),
    ],
)
def test_post_mistakes_are_one_line_errors(
    config: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]
) -> None:
    status, out, err = cli(capsys, "--config", str(config), *argv)
    assert status == 2 and out == []
    one_line_error(err, *words)

    async def count() -> int:
        return await Post.all().count()

    assert in_db(config, count) == 0


# ------------------------------------------------------------------ as a real command


def run_agora(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    return subprocess.run([str(AGORA), *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_installed_command_inits_checks_and_refuses_cleanly(tmp_path: Path, database_url: str | None) -> None:
    args = init_args(Path("data"), database_url)  # a relative data dir, resolved against the working directory
    done = run_agora(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "one-time password" in done.stdout
    config = tmp_path / "data" / "agora.toml"
    assert config.exists()

    again = run_agora(*args, cwd=tmp_path)
    assert again.returncode == 2
    assert again.stdout == ""
    assert again.stderr.strip().splitlines() == [f"agora: error: {config} exists already (use --force to overwrite it)"]

    check = run_agora("--config", str(config), "config", "check", cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert check.stdout.splitlines()[-1] == "ok"

    posted = run_agora("--config", str(config), "post", "Hello from the shell", cwd=tmp_path)
    assert posted.returncode == 0, posted.stderr
    assert posted.stdout.splitlines()[-1].startswith("https://asso.example/posts/")


def test_log_level_applies_to_the_nodes_own_loggers_and_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGORA_LOG_LEVEL", "debug")  # the level is reset after each test (tests/conftest.py)
    settings_from(argparse.Namespace(config=None))
    assert logging.getLogger("agora.inbox").isEnabledFor(logging.DEBUG)
    monkeypatch.setenv("AGORA_LOG_LEVEL", "warning")
    settings_from(argparse.Namespace(config=None))
    assert not logging.getLogger("agora.inbox").isEnabledFor(logging.INFO)
    with pytest.raises(SettingsError, match="log_level must be one of debug, info, warning, error"):
        load_settings(env={"AGORA_LOG_LEVEL": "loud"})
