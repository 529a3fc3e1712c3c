"""`agora federation ...`: the federation policy from scripts (mode, domain blocks and allows, lists,
subscriptions, secure mode, relays). Mistakes give one line on stderr and exit status 2; every change
is recorded in the audit log as done by "cli"."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from federation.client import FetchError
from node.policy import modes, jobs as policy_jobs, relays, rules, subscriptions, transfer
from node.cli.common import Subparsers, fail, run_with_node
from node.policy.models import DomainPolicy, PolicySubscription, Relay
from node.policy.domains import PolicyError
from node.policy.snapshot import BLOCK_ACTIONS, MODES, snapshot
from node.policy.lists import decode
from node.core.runtime import Node

T = TypeVar("T")
BY = "cli"
MAX_FILE = 20_000_000


def run(args: argparse.Namespace, fn: Callable[[Node], Awaitable[T]]) -> T:
    return run_with_node(args, fn, PolicyError, FetchError)


def _flag(value: bool, name: str) -> str:
    return name if value else ""


def describe(rule: DomainPolicy) -> str:
    extras = " ".join(filter(None, (_flag(rule.reject_media, "reject-media"), _flag(rule.reject_reports, "reject-reports"),
                                    _flag(rule.obfuscate, "obfuscated"))))
    comment = f'  "{rule.public_comment}"' if rule.public_comment else ""
    state = "" if rule.state == "active" else f" ({rule.state})"
    return f"{rule.action:<8} {rule.domain}{state}{'  ' + extras if extras else ''}{comment}"


def cmd_mode(args: argparse.Namespace) -> None:
    async def act(node: Node) -> None:
        await modes.set_mode(node, args.mode, by=BY)
        print(f"federation mode: {args.mode}")
    run(args, act)


def cmd_toggle(name: str) -> Callable[[argparse.Namespace], None]:
    def command(args: argparse.Namespace) -> None:
        async def act(node: Node) -> None:
            await modes.set_flag(node, name, args.state == "on", by=BY)
            print(f"{name.replace('_', ' ')}: {args.state}")
        run(args, act)
    return command


def cmd_block(args: argparse.Namespace) -> None:
    async def act(node: Node) -> None:
        rule = await rules.save_rule(
            node, args.domain, args.severity, reject_media=args.reject_media, reject_reports=args.reject_reports,
            public_comment=args.reason or "", private_comment=args.private_comment or "", obfuscate=args.obfuscate,
            by=BY,
        )
        print(describe(rule))
    run(args, act)


def cmd_allow(args: argparse.Namespace) -> None:
    async def act(node: Node) -> None:
        rule = await rules.save_rule(node, args.domain, "allow", public_comment=args.reason or "", by=BY)
        print(describe(rule))
    run(args, act)


def cmd_lift(kind: str) -> Callable[[argparse.Namespace], None]:
    def command(args: argparse.Namespace) -> None:
        async def act(node: Node) -> None:
            if not await rules.remove_domain(node, args.domain, kind, by=BY):
                raise PolicyError(f"{args.domain} has no active {kind} rule")
            print(f"{'unblocked' if kind == 'block' else 'no longer allowed'}: {args.domain}")
        run(args, act)
    return command


def cmd_list(args: argparse.Namespace) -> None:
    async def act(node: Node) -> None:
        lists = await rules.overview()
        print(f"mode: {await policy_mode(node)}")
        for rule in lists["blocks"] + lists["allows"] + lists["drafts"]:
            print(describe(rule))
        for block in lists["actors"]:
            print(f"{block.action:<8} {block.uri} (account)")
        for sub in lists["subscriptions"]:
            error = f"  last error: {sub.last_error}" if sub.last_error else ""
            print(f"subscribed {sub.kind} list {sub.url} every {sub.refresh_hours} h{error}")
    run(args, act)


async def policy_mode(node: Node) -> str:
    current = await snapshot(node)
    return current.mode + (" (authorized fetch)" if current.secure else "")


def read_list(path: str) -> str:
    try:
        data = sys.stdin.buffer.read(MAX_FILE + 1) if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    if len(data) > MAX_FILE:
        fail(f"{path} is larger than {MAX_FILE} bytes")
    try:
        return decode(data)
    except PolicyError as exc:
        fail(f"{path}: {exc}")


def cmd_import(args: argparse.Namespace) -> None:
    text = read_list(args.file)
    kind = "allow" if args.allow else "block"

    async def act(node: Node) -> None:
        try:
            result = await transfer.import_list(node, text, kind, source=Path(args.file).name, by=BY)
        except PolicyError as exc:
            raise PolicyError(f"{args.file}: {exc}; nothing was imported") from None
        print(f"imported {len(result.created)} {kind} rules ({result.existing} domains already had one, "
              f"{result.skipped} obfuscated entries skipped)")
    run(args, act)


def cmd_export(args: argparse.Namespace) -> None:
    async def act(node: Node) -> str:
        return await transfer.export_csv("allow" if args.allow else "block")
    sys.stdout.write(run(args, act))


def cmd_subscribe(args: argparse.Namespace) -> None:
    async def act(node: Node) -> None:
        sub = await subscriptions.add_subscription(node, args.url, "allow" if args.allow else "block",
                                                   refresh_hours=args.every, auto_approve=args.auto_approve, by=BY)
        outcome = await policy_jobs.refresh(node, sub)
        print(f"subscribed to {sub.url} (every {sub.refresh_hours} h): {outcome.message}")
    run(args, act)


def cmd_unsubscribe(args: argparse.Namespace) -> None:
    async def act(node: Node) -> None:
        subs = await PolicySubscription.filter(url=args.url.strip())
        if not subs:
            raise PolicyError(f"not subscribed to {args.url}")
        for sub in subs:
            await subscriptions.remove_subscription(node, sub.id, keep_rules=args.keep_rules, by=BY)
        print(f"unsubscribed from {args.url}")
    run(args, act)


def cmd_relay(args: argparse.Namespace) -> None:
    async def act(node: Node) -> None:
        if args.relay_command == "list":
            for relay in await Relay.all().order_by("inbox_url"):
                print(f"{relay.state:<9} {relay.inbox_url}")
            return
        if not args.url:
            raise PolicyError(f"relay {args.relay_command} needs the relay's inbox URL")
        if args.relay_command == "add":
            relay = await relays.add(node, args.url, by=BY)
            print(f"Follow sent to {relay.inbox_url}; the relay is {relay.state} until it accepts")
            return
        found = await relays.find(args.url)
        if found is None:
            raise PolicyError(f"no relay with the inbox {args.url}")
        await relays.remove(node, found.id, by=BY)
        print(f"left {found.inbox_url}")
    run(args, act)


def register(sub: Subparsers) -> None:
    """Add `agora federation ...` to the `agora` parser's subparsers."""
    fed = sub.add_parser("federation", help="federation policy: mode, blocks, allows, lists, relays")
    fed_sub = fed.add_subparsers(dest="federation_command", required=True)

    mode = fed_sub.add_parser("mode", help="open, blocklist or allowlist")
    mode.add_argument("mode", choices=MODES)
    mode.set_defaults(func=cmd_mode)
    for name, helptext in (("secure", "authorized fetch: every GET of ActivityPub content must be signed"),
                           ("limited", "limited federation: pages only for logged-in members")):
        toggle = fed_sub.add_parser(name, help=helptext)
        toggle.add_argument("state", choices=["on", "off"])
        toggle.set_defaults(func=cmd_toggle("authorized_fetch" if name == "secure" else "limited_federation"))

    block = fed_sub.add_parser("block", help="suspend (default), silence or limit a domain and its subdomains")
    block.add_argument("domain")
    block.add_argument("--severity", default="suspend", choices=BLOCK_ACTIONS)
    block.add_argument("--reject-media", action="store_true", help="do not fetch or show its media")
    block.add_argument("--reject-reports", action="store_true", help="ignore its reports")
    block.add_argument("--reason", help="public comment (shown on /about)")
    block.add_argument("--private-comment", help="note for the admins only")
    block.add_argument("--obfuscate", action="store_true", help="hide part of the domain on /about")
    block.set_defaults(func=cmd_block)
    unblock = fed_sub.add_parser("unblock", help="lift a domain's block")
    unblock.add_argument("domain")
    unblock.set_defaults(func=cmd_lift("block"))
    allow = fed_sub.add_parser("allow", help="put a domain on the allow list")
    allow.add_argument("domain")
    allow.add_argument("--reason", help="public comment")
    allow.set_defaults(func=cmd_allow)
    disallow = fed_sub.add_parser("disallow", help="take a domain off the allow list")
    disallow.add_argument("domain")
    disallow.set_defaults(func=cmd_lift("allow"))
    fed_sub.add_parser("list", help="the mode, rules, drafts, account blocks and subscriptions").set_defaults(func=cmd_list)

    imp = fed_sub.add_parser("import", help="import a list (Mastodon CSV, plain domains or JSON); all or nothing")
    imp.add_argument("file", metavar="FILE", help="the list, or - for standard input")
    imp.add_argument("--allow", action="store_true", help="an allow list (default: a block list)")
    imp.set_defaults(func=cmd_import)
    exp = fed_sub.add_parser("export", help="print the block list (Mastodon CSV) or the allow list")
    exp.add_argument("--allow", action="store_true")
    exp.set_defaults(func=cmd_export)
    subscribe = fed_sub.add_parser("subscribe", help="subscribe to a remote list; new entries become drafts")
    subscribe.add_argument("url")
    subscribe.add_argument("--allow", action="store_true", help="an allow list (default: a block list)")
    subscribe.add_argument("--every", type=int, default=24, metavar="HOURS", help="refresh period (default 24)")
    subscribe.add_argument("--auto-approve", action="store_true", help="apply new entries without drafts")
    subscribe.set_defaults(func=cmd_subscribe)
    unsubscribe = fed_sub.add_parser("unsubscribe", help="stop a subscription and remove what it brought")
    unsubscribe.add_argument("url")
    unsubscribe.add_argument("--keep-rules", action="store_true", help="keep the rules already in force")
    unsubscribe.set_defaults(func=cmd_unsubscribe)

    relay = fed_sub.add_parser("relay", help="subscribe to, leave or list ActivityPub relays")
    relay.add_argument("relay_command", choices=["add", "remove", "list"])
    relay.add_argument("url", nargs="?", help="the relay's inbox URL")
    relay.set_defaults(func=cmd_relay)
