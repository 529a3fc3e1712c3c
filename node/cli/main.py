"""The `agora` command: init, serve, worker, migrate, user, post, followers, config check."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from node.cli import federation as cli_federation, members as cli_members
from node.core import jobs
from node.accounts.actors import RESERVED_USERNAMES, create_local_actor, ensure_instance_actor, local_actor
from node.app import create_app
from node.activitypub.handlers import approve_follow
from node.posts.content import ContentError, Draft, create_post, delete_post, update_post
from node.accounts.passwords import hash_password, new_password
from node.accounts.roles import ROLES
from node.cli.common import CliError, check_database, run, settings_from, with_node
from node.core.db import run_migrations
from node.core.models import Actor, Follow, Post, User
from node.core.runtime import Node
from node.core.settings import SettingsError, load_settings, validate
from node.core.urls import Urls


# ------------------------------------------------------------------ init


def toml_string(value: str) -> str:
    """A TOML basic string: backslash, quote and control characters escaped (a raw newline or tab in
    a name would otherwise make the written config unreadable)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c.isprintable() or c == " " else f"\\U{ord(c):08x}" for c in escaped)
    return '"' + escaped + '"'


def config_text(args: argparse.Namespace, data_dir: Path) -> str:
    lines = [
        "# Written by `agora init`. Every setting is documented in config/default.toml.",
        f"base_url = {toml_string(args.base_url.rstrip('/'))}",
        f"data_dir = {toml_string(str(data_dir))}",
        f"secret_key = {toml_string(secrets.token_urlsafe(32))}",
        f"allow_private_addresses = {'true' if args.dev else 'false'}",
    ]
    if args.database_url:
        lines.append(f"database_url = {toml_string(args.database_url)}")
    lines += [
        "",
        "[association]",
        f"handle = {toml_string(args.handle)}",
        f"name = {toml_string(args.name)}",
    ]
    if args.language:
        lines.append(f"language = {toml_string(args.language)}")
    return "\n".join(lines) + "\n"


def valid_username(name: str) -> str:
    if not name or len(name) > 30 or not all(c.isascii() and (c.isalnum() or c == "_") for c in name):
        raise CliError(f"{name!r} is not a valid username (letters, digits and _, at most 30)")
    if name.lower() in RESERVED_USERNAMES:
        raise CliError(f"{name!r} is reserved")
    return name


def valid_email(email: str) -> str:
    if "@" not in email or len(email) > 320:
        raise CliError(f"{email!r} is not an email address")
    return email


async def add_user(node: Node, username: str, email: str, role: str) -> tuple[User, str]:
    valid_username(username)
    if role not in ROLES:
        raise CliError(f"role must be one of {', '.join(ROLES)}")
    valid_email(email)
    if await Actor.filter(local=True, username=username).exists() or await User.filter(username=username).exists():
        raise CliError(f"the name {username!r} is taken")
    if await User.filter(email=email.lower()).exists():
        raise CliError(f"a member with {email} exists already")
    password = new_password()
    actor = await create_local_actor(node.urls, kind="Person", username=username, name=username)
    user = await User.create(
        username=username, email=email.lower(), password_hash=hash_password(password), role=role,
        actor=actor, must_change_password=True,
    )
    return user, password


async def ensure_association(node: Node) -> Actor:
    assoc = node.settings.association
    actor = await local_actor(assoc.handle)
    if actor is None:
        actor = await create_local_actor(
            node.urls, kind="Group", username=assoc.handle, name=assoc.name, summary=assoc.summary,
            manually_approves=assoc.manually_approves_followers,
        )
    return actor


async def bootstrap(node: Node, admin_email: str | None, admin_name: str) -> str | None:
    """Create the instance actor, the association and (once) the first admin. Returns its password."""
    await ensure_instance_actor(node.urls)
    await ensure_association(node)
    if admin_email and not await User.filter(role="admin").exists():
        _, password = await add_user(node, admin_name, admin_email, "admin")
        return password
    return None


def cmd_init(args: argparse.Namespace) -> None:
    data_dir = Path(args.data_dir).resolve()
    config_path = data_dir / "agora.toml"
    if config_path.exists() and not args.force:
        raise CliError(f"{config_path} exists already (use --force to overwrite it)")
    valid_username(args.handle)
    valid_username(args.admin_name)  # checked before anything is written: a half-done init blocks a rerun
    valid_email(args.admin_email)
    if args.admin_name == args.handle:
        raise CliError(f"the admin's name {args.admin_name!r} is the association's handle; choose another")
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # the database holds the actors' private keys
    text = config_text(args, data_dir)
    tmp = config_path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # the secret key is never world-readable
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    try:
        settings = load_settings(tmp, env={})
    except SettingsError:
        tmp.unlink()
        raise
    tmp.replace(config_path)
    config_path.chmod(0o600)
    settings = load_settings(config_path)
    run(run_migrations(settings))
    password = run(with_node(settings, lambda node: bootstrap(node, args.admin_email, args.admin_name)))
    print(f"Wrote {config_path}")
    print(f"Association @{settings.association.handle}@{settings.host} at {Urls(settings.base_url).actor(settings.association.handle)}")
    if password:
        print(f"Admin {args.admin_name} <{args.admin_email}> one-time password: {password}")
    print(f"Next: AGORA_CONFIG={config_path} agora serve")


# ------------------------------------------------------------------ serve, worker, migrate


def cmd_serve(args: argparse.Namespace) -> None:
    settings = settings_from(args)
    run(run_migrations(settings))
    run(with_node(settings, lambda node: bootstrap(node, None, "")))
    app = create_app(settings)
    uvicorn.run(
        app, host=args.host, port=args.port, log_level=settings.log_level, proxy_headers=False,
        server_header=False,
    )


def cmd_worker(args: argparse.Namespace) -> None:
    settings = settings_from(args)
    if settings.is_sqlite:
        raise CliError("stand-alone workers need PostgreSQL; on SQLite `agora serve` runs the worker itself")

    async def work(node: Node) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print(f"worker {node.extra['worker'].worker_id} running", flush=True)
        await node.extra["worker"].run_forever(stop)

    run(with_node(settings, work))


def cmd_migrate(args: argparse.Namespace) -> None:
    settings = settings_from(args)
    run(run_migrations(settings))
    print("database is up to date")


# ------------------------------------------------------------------ users


def cmd_user(args: argparse.Namespace) -> None:
    settings = settings_from(args)

    async def act(node: Node) -> None:
        if args.user_command == "add":
            user, password = await add_user(node, args.username, args.email, args.role)
            print(f"added {user.username} ({user.role}); one-time password: {password}")
        elif args.user_command == "list":
            for user in await User.all().order_by("id"):
                print(f"{user.username}\t{user.email}\t{user.role}")
        elif args.user_command == "role":
            if args.role not in ROLES:
                raise CliError(f"role must be one of {', '.join(ROLES)}")
            if not await User.filter(username=args.username).update(role=args.role):
                raise CliError(f"no member named {args.username!r}")
            print(f"{args.username} is now {args.role}")

    run(with_node(settings, act))


# ------------------------------------------------------------------ post


async def find_local_post(node: Node, url: str) -> Post:
    post = await Post.get_or_none(uri=url, local=True)
    if post is None or post.deleted_at is not None:
        raise CliError(f"no post of this node at {url}")
    return post


def cmd_post(args: argparse.Namespace) -> None:
    settings = settings_from(args)

    async def act(node: Node) -> str:
        draft = Draft(text=args.text or "", summary=args.summary, language=args.language, visibility=args.visibility)
        try:
            if args.delete:
                await delete_post(node, await find_local_post(node, args.delete))
                return f"deleted {args.delete}"
            if args.edit:
                post = await update_post(node, await find_local_post(node, args.edit), draft)
                return post.uri
            actor = await local_actor(args.as_handle or settings.association.handle)
            if actor is None or actor.kind == "Application":
                raise CliError(f"no local account {args.as_handle!r}")
            return (await create_post(node, actor, draft)).uri
        except ContentError as exc:
            raise CliError(str(exc)) from None

    print(run(with_node(settings, act)))


# ------------------------------------------------------------------ followers


def cmd_followers(args: argparse.Namespace) -> None:
    settings = settings_from(args)

    async def act(node: Node) -> None:
        group = await ensure_association(node)
        if args.followers_command == "list":
            rows = await Follow.filter(target=group).prefetch_related("follower").order_by("id")
            for row in rows:
                print(f"{row.state}\t{row.follower.handle}\t{row.follower.uri}")
            return
        follower = await Actor.get_or_none(uri=args.actor) or await Actor.get_or_none(
            username=args.actor.lstrip("@").split("@")[0], domain=args.actor.lstrip("@").partition("@")[2]
        )
        row = await Follow.get_or_none(follower=follower, target=group) if follower else None
        if row is None or row.state != "pending":
            raise CliError(f"no pending follow request from {args.actor}")
        await approve_follow(node, row, args.followers_command == "approve")
        print(f"{args.followers_command}d {args.actor}")

    run(with_node(settings, act))


# ------------------------------------------------------------------ events


def cmd_events(args: argparse.Namespace) -> None:
    from datetime import datetime, timezone  # local imports: this command's needs stay in its section

    from federation import events as wire
    from federation.client import FetchError
    from node.events import events, ical
    from node.events.models import Event

    settings = settings_from(args)

    def _event_time(value: str, what: str) -> datetime:
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            raise CliError(f"{what} must look like 2026-12-05 19:00 (or 2026-12-05 for an all-day event), not {value!r}") from None

    async def do_import(node: Node) -> None:
        target = args.source
        if target.startswith(("http://", "https://")):
            try:
                data = await ical.fetch_calendar(node, target)
            except FetchError as exc:
                raise CliError(f"{target}: {exc}") from None
        else:
            path = Path(target)
            try:
                if path.stat().st_size > ical.MAX_BYTES:
                    raise CliError(f"{target}: the calendar is larger than {ical.MAX_BYTES // (1024 * 1024)} MB")
                data = path.read_bytes()
            except OSError as exc:
                raise CliError(f"{target}: {exc.strerror or exc}") from None
        try:
            result = await ical.import_calendar(node, await ensure_association(node), data, source=target,
                                                default_timezone=args.timezone)
        except (ical.CalendarError, events.EventError) as exc:
            raise CliError(str(exc)) from None
        for url in result.urls:
            print(url)
        print(result.summary())

    async def do_create(node: Node) -> None:
        start = _event_time(args.start, "--start")
        end = _event_time(args.end, "--end") if args.end else None
        all_day = args.all_day or (len(args.start.strip()) == 10 and (end is None or len(args.end.strip()) == 10))
        place = None
        if args.place_name or args.locality or args.street:
            if (args.latitude is None) != (args.longitude is None):
                raise CliError("give both --latitude and --longitude")
            place = wire.Place(name=args.place_name or args.locality or args.street, street=args.street or "",
                               postal_code=args.postal_code or "", locality=args.locality or "",
                               region=args.region or "", country=args.country or "",
                               latitude=args.latitude, longitude=args.longitude)
        inp = events.EventInput(
            name=args.name, start=start, end=end, timezone=args.timezone, all_day=all_day,
            description=args.description or "", places=(place,) if place else (), online_url=args.online_url,
            capacity=args.capacity, join_mode=args.join_mode, external_url=args.external_url,
            category=args.category, language=args.language, tags=tuple(args.tag or ()),
            anonymous_participation=args.anonymous,
        )
        try:
            created = await events.create_event(node, await ensure_association(node), inp)
        except events.EventError as exc:
            raise CliError(str(exc)) from None
        for event in created:
            print(event.url or event.uri)

    async def do_list(node: Node) -> None:
        now = datetime.now(timezone.utc)
        rows = await Event.filter(local=True, deleted_at=None, draft=False).filter(start__gte=now).order_by("start", "id")
        ongoing = await Event.filter(local=True, deleted_at=None, draft=False, start__lt=now, end__gte=now).order_by("start", "id")
        for event in [*ongoing, *rows]:
            zone = events.zone(event.timezone)
            when = event.start.astimezone(zone).strftime("%Y-%m-%d" if event.all_day else "%Y-%m-%d %H:%M")
            status = "" if event.status == "CONFIRMED" else f" [{event.status}]"
            print(f"{when} {event.timezone}\t{event.name}{status}\t{event.url or event.uri}")

    action = {"import": do_import, "create": do_create, "list": do_list}[args.events_command]
    run(with_node(settings, action))


# ------------------------------------------------------------------ initiatives


def cmd_initiative(args: argparse.Namespace) -> None:
    import json  # local imports: this command's needs stay in its section

    from node.initiatives import initiatives
    from node.initiatives.models import Initiative

    settings = settings_from(args)

    async def find(node: Node, url: str) -> Initiative:
        found = await Initiative.get_or_none(uri=url, local=True, deleted_at=None)
        if found is None:
            raise CliError(f"no initiative of this node at {url}")
        return found

    async def do_create(node: Node) -> None:
        needs: tuple[initiatives.NeedInput, ...] = ()
        if args.goal is not None or args.currency is not None:
            needs = (initiatives.NeedInput(kind="money", title=args.need_title or "Funds", goal=args.goal,
                                           currency=args.currency),)
        if args.volunteers is not None:
            needs += (initiatives.NeedInput(kind="volunteers", title="Volunteers", quantity=args.volunteers),)
        inp = initiatives.InitiativeInput(
            title=args.title, kind=args.kind, summary=args.summary or "", description=args.description or "",
            language=args.language, tags=tuple(args.tag or ()), needs=needs,
        )
        try:
            initiative = await initiatives.create_initiative(node, await ensure_association(node), inp)
        except initiatives.InitiativeError as exc:
            raise CliError(str(exc)) from None
        print(initiative.url or initiative.uri)

    async def do_import(node: Node) -> None:
        try:
            raw = Path(args.file).read_text(encoding="utf-8")
        except OSError as exc:
            raise CliError(f"{args.file}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise CliError(f"{args.file}: not UTF-8 text") from None
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise CliError(f"{args.file}: not JSON ({exc})") from None
        try:
            initiative = await initiatives.import_json(node, await ensure_association(node), data)
        except initiatives.InitiativeError as exc:
            raise CliError(f"{args.file}: {exc}") from None
        print(initiative.url or initiative.uri)

    async def do_export(node: Node) -> None:
        print(json.dumps(await initiatives.export_json(await find(node, args.url)), ensure_ascii=False, indent=2))

    async def do_status(node: Node) -> None:
        try:
            initiative = await initiatives.set_status(node, await find(node, args.url), args.status)
        except initiatives.InitiativeError as exc:
            raise CliError(str(exc)) from None
        print(f"{initiative.uri} is now {initiative.status}")

    async def do_list(node: Node) -> None:
        for row in await Initiative.filter(local=True, deleted_at=None, draft=False).order_by("-published", "-id"):
            print(f"{row.status}\t{row.kind}\t{row.title}\t{row.url or row.uri}")

    action = {"create": do_create, "import": do_import, "export": do_export, "status": do_status,
              "list": do_list}[args.initiative_command]
    run(with_node(settings, action))


# ------------------------------------------------------------------ config check


def cmd_config(args: argparse.Namespace) -> None:
    settings = validate(settings_from(args))
    run(check_database(settings))
    print(f"config: {settings.config_path or '(defaults only)'}")
    print(f"base_url: {settings.base_url}")
    print(f"association: @{settings.association.handle}@{settings.host}")
    print(f"database: {'sqlite' if settings.is_sqlite else 'postgresql'} (reachable, migrated)")
    print(f"allow_private_addresses: {str(settings.allow_private_addresses).lower()}")
    if not settings.secret_key:
        print("warning: secret_key is empty; sessions use a development key", file=sys.stderr)
    print("ok")


# ------------------------------------------------------------------ parser


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="agora", description="An ActivityPub node for an association.")
    p.add_argument("--config", help="config file (default: $AGORA_CONFIG)")
    sub = p.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="create a config, the database, the association and its first admin")
    init.add_argument("--base-url", required=True, help="public address, e.g. https://asso.example")
    init.add_argument("--handle", required=True, help="the association's handle (@handle@domain)")
    init.add_argument("--name", required=True, help="the association's display name")
    init.add_argument("--admin-email", required=True)
    init.add_argument("--admin-name", default="admin", help="the first admin's username (default: admin)")
    init.add_argument("--data-dir", default="data", help="where agora.toml, the database and media go")
    init.add_argument("--database-url", help="postgres://... (default: SQLite in the data dir)")
    init.add_argument("--language", help="default content language (BCP 47, default en)")
    init.add_argument("--dev", action="store_true", help="development: allow loopback and private peers")
    init.add_argument("--force", action="store_true", help="overwrite an existing config")
    init.set_defaults(func=cmd_init)

    serve = sub.add_parser("serve", help="run the node (web, federation and, by default, the worker)")
    serve.add_argument("--host", default=os.environ.get("AGORA_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("AGORA_PORT", "8000")))
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("worker", help="run a stand-alone worker (PostgreSQL)").set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    user = sub.add_parser("user", help="manage member accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="add a member; prints a one-time password")
    add.add_argument("username")
    add.add_argument("email")
    add.add_argument("--role", default="member", choices=ROLES)
    user_sub.add_parser("list", help="list members")
    role = user_sub.add_parser("role", help="set a member's role")
    role.add_argument("username")
    role.add_argument("role", choices=ROLES)
    user.set_defaults(func=cmd_user)

    post = sub.add_parser("post", help="publish, edit or delete a post; prints its URL")
    post.add_argument("text", nargs="?", help="Markdown text")
    post.add_argument("--as", dest="as_handle", help="local account to publish as (default: the association)")
    post.add_argument("--summary", default="", help="content warning")
    post.add_argument("--language", help="language tag")
    post.add_argument("--visibility", default="public", choices=["public", "unlisted", "followers"])
    post.add_argument("--edit", metavar="URL", help="replace the text of this post")
    post.add_argument("--delete", metavar="URL", help="delete this post")
    post.set_defaults(func=cmd_post)

    fol = sub.add_parser("followers", help="the association's followers and pending requests")
    fol_sub = fol.add_subparsers(dest="followers_command", required=True)
    fol_sub.add_parser("list")
    for verb in ("approve", "reject"):
        v = fol_sub.add_parser(verb)
        v.add_argument("actor", help="the requester's actor URL or @user@host")
    fol.set_defaults(func=cmd_followers)

    ev = sub.add_parser("events", help="the association's events: import a calendar, create, list")
    ev_sub = ev.add_subparsers(dest="events_command", required=True)
    imp = ev_sub.add_parser("import", help="import an iCalendar file or URL; prints each event's URL")
    imp.add_argument("source", metavar="FILE_OR_URL", help="a .ics file, or an http(s) address")
    imp.add_argument("--timezone", help="zone for times the file gives without one (default: its X-WR-TIMEZONE)")
    new = ev_sub.add_parser("create", help="create an event; prints its URL")
    new.add_argument("--name", required=True)
    new.add_argument("--start", required=True, help='"2026-12-05 19:00" (wall time in --timezone), or a date')
    new.add_argument("--end", help="same form as --start")
    new.add_argument("--timezone", required=True, help="IANA zone, e.g. Europe/Paris")
    new.add_argument("--all-day", action="store_true")
    new.add_argument("--description", help="Markdown")
    new.add_argument("--place-name")
    new.add_argument("--street")
    new.add_argument("--postal-code")
    new.add_argument("--locality")
    new.add_argument("--region")
    new.add_argument("--country")
    new.add_argument("--latitude", type=float)
    new.add_argument("--longitude", type=float)
    new.add_argument("--online-url")
    new.add_argument("--capacity", type=int)
    new.add_argument("--join-mode", default="free", choices=["free", "restricted", "invite", "external"])
    new.add_argument("--external-url", help="registration address (join mode external)")
    new.add_argument("--category")
    new.add_argument("--tag", action="append", help="repeat for several tags")
    new.add_argument("--language", help="language tag, e.g. fr")
    new.add_argument("--anonymous", action="store_true", help="visitors may register with a name and an email")
    ev_sub.add_parser("list", help="upcoming local events: start, name, URL")
    ev.set_defaults(func=cmd_events)

    ini = sub.add_parser("initiative", help="the association's initiatives: create, import, export, status, list")
    ini_sub = ini.add_subparsers(dest="initiative_command", required=True)
    mk = ini_sub.add_parser("create", help="create an initiative (proposed); prints its URL")
    mk.add_argument("--title", required=True)
    mk.add_argument("--kind", required=True, choices=["development", "humanitarian", "advocacy", "mutual_aid", "cultural"])
    mk.add_argument("--summary", help="one or two sentences")
    mk.add_argument("--description", help="Markdown")
    mk.add_argument("--goal", help="a money need: the amount sought, e.g. 5000 or 1250.50")
    mk.add_argument("--currency", help="the goal's currency, e.g. EUR")
    mk.add_argument("--need-title", help="the money need's title (default: Funds)")
    mk.add_argument("--volunteers", type=int, help="a volunteers need: how many people")
    mk.add_argument("--language", help="language tag, e.g. fr")
    mk.add_argument("--tag", action="append", help="repeat for several tags")
    ini_imp = ini_sub.add_parser("import", help="create an initiative from its JSON export; prints its URL")
    ini_imp.add_argument("file", metavar="FILE.json")
    ini_exp = ini_sub.add_parser("export", help="print an initiative's JSON export")
    ini_exp.add_argument("url")
    ini_st = ini_sub.add_parser("status", help="move an initiative through its lifecycle")
    ini_st.add_argument("url")
    ini_st.add_argument("status", choices=["proposed", "active", "achieved", "closed", "abandoned"])
    ini_sub.add_parser("list", help="local initiatives: status, kind, title, URL")
    ini.set_defaults(func=cmd_initiative)

    cli_federation.register(sub)
    cli_members.register(sub)

    conf = sub.add_parser("config", help="configuration tools")
    conf_sub = conf.add_subparsers(dest="config_command", required=True)
    conf_sub.add_parser("check", help="validate the config and reach the database")
    conf.set_defaults(func=cmd_config)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "post" and not args.delete and not args.text:
        print("agora: error: post needs TEXT (or --delete URL)", file=sys.stderr)
        return 2
    try:
        args.func(args)
    except (CliError, SettingsError) as exc:
        print(f"agora: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"agora: error: {exc}", file=sys.stderr)
        return 1
    return 0
