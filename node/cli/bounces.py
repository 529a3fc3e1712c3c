"""`agora bounces import|list|lift|read`: the suppression list from the command line (bounced and
complained addresses; see node/mailing/suppression.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from node.cli.common import Action, CliError, Subparsers, run_action
from node.core import audit
from node.core.runtime import Node
from node.mailing import suppression
from node.mailing.bounces_import import ListError, decode, import_list
from node.mailing.bounces_mailbox import read_mailbox


async def import_bounces(node: Node, args: argparse.Namespace) -> None:
    try:
        text = decode(Path(args.file).read_bytes())
    except OSError as exc:
        raise CliError(f"{args.file}: {exc.strerror or exc}") from None
    except ListError as exc:
        raise CliError(f"{args.file}: {exc}") from None
    try:
        result = await import_list(node, text, block=args.block, source=f"import {Path(args.file).name}")
    except ListError as exc:
        raise CliError(f"{args.file}: {exc}") from None
    await audit.record(None, "bounces.import", args.file, by="cli", bounces=result.bounces, soft=result.soft,
                       complaints=result.complaints, skipped=result.skipped)
    print(f"{result.bounces} bounces, {result.soft} soft bounces, {result.complaints} complaints imported; "
          f"{result.skipped} lines skipped; {result.blocked_total} addresses blocked")
    if result.skipped_lines:
        print("skipped lines: " + ", ".join(str(n) for n in result.skipped_lines))


async def list_bounces(node: Node, args: argparse.Namespace) -> None:
    for row in await suppression.listing(args.search or "", blocked_only=args.blocked, limit=args.limit):
        state = "blocked" if row.blocked else "receiving"
        print(f"{row.email}\t{row.reason}\t{row.bounces}\t{state}\t{row.last_at.isoformat()}\t{row.detail[:200]}")


async def lift_bounce(node: Node, args: argparse.Namespace) -> None:
    if not await suppression.lift(args.email):
        raise CliError(f"no suppression for {suppression.normalized(args.email)}")
    await audit.record(None, "bounces.lift", suppression.normalized(args.email), by="cli")
    print(f"{suppression.normalized(args.email)} receives mail again")


async def read_now(node: Node, args: argparse.Namespace) -> None:
    path = args.mailbox or node.settings.mail.bounce_mailbox
    if not path:
        raise CliError("no mailbox: set [mail] bounce_mailbox or give --mailbox")
    run = await read_mailbox(node, path)
    if run.error:
        raise CliError(run.error)
    print(f"{run.read} messages read: {run.tally.hard} hard bounces, {run.tally.soft} soft, "
          f"{run.tally.complaints} complaints, {run.unrecognized} unrecognized")


ACTIONS: dict[str, Action] = {"import": import_bounces, "list": list_bounces, "lift": lift_bounce, "read": read_now}


def cmd_bounces(args: argparse.Namespace) -> None:
    run_action(args, ACTIONS[args.bounces_command])


def register(sub: Subparsers) -> None:
    """Add `agora bounces ...` to the `agora` parser's subparsers."""
    bounces = sub.add_parser("bounces", help="bounced and complained addresses: import, list, lift, read")
    bounces_sub = bounces.add_subparsers(dest="bounces_command", required=True)
    imp = bounces_sub.add_parser("import", help="a list of bounced addresses: one a line, or CSV "
                                                "email[,bounce|soft|complaint[,detail]]")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--block", action="store_true", help="block each bounced address at once")
    ls = bounces_sub.add_parser("list", help="suppressions: address, reason, hard bounces, state, last, detail")
    ls.add_argument("--blocked", action="store_true", help="only the blocked addresses")
    ls.add_argument("--search", help="part of the address")
    ls.add_argument("--limit", type=int, default=1000)
    lift = bounces_sub.add_parser("lift", help="let an address receive mail again")
    lift.add_argument("email")
    rd = bounces_sub.add_parser("read", help="read the bounce mailbox now")
    rd.add_argument("--mailbox", help="a Maildir or mbox file (default: [mail] bounce_mailbox)")
    bounces.set_defaults(func=cmd_bounces)
