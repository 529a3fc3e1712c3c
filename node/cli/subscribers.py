"""`agora subscribers list|import FILE.csv|export`: the mailing list from the command line. An import
subscribes its addresses at once (the admin vouches for them); invalid lines are reported on stderr
with their line number and skipped, and importing the same file again changes nothing. The export
writes CSV to stdout, which `import` reads back."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from node.cli.common import Action, CliError, Subparsers, run_action
from node.core.runtime import Node
from node.mailing import subscriber_list, subscribers_csv
from node.mailing.models import Subscriber
from node.mailing.subscribers import SubscriberError

PAGE = 1000


async def list_subscribers(node: Node, args: argparse.Namespace) -> None:
    """One line per address: email, status, kinds, frequency, language (newest first)."""
    query = Subscriber.all().order_by("-id")
    if args.status:
        query = query.filter(status=args.status)
    offset = 0
    while True:
        rows = await query.offset(offset).limit(PAGE)
        for row in rows:
            kinds = ",".join(row.kinds) if isinstance(row.kinds, list) and row.kinds else "-"
            print(f"{row.email}\t{row.status}\t{kinds}\t{row.frequency}\t{row.language}")
        if len(rows) < PAGE:
            break
        offset += PAGE
    found = await subscriber_list.counts()
    print(f"{found.active} active, {found.pending} pending, {found.unsubscribed} unsubscribed", file=sys.stderr)


async def import_subscribers(node: Node, args: argparse.Namespace) -> None:
    try:
        text = Path(args.file).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise CliError(f"{args.file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{args.file}: not UTF-8 text (byte {exc.start})") from None
    try:
        result = await subscribers_csv.import_csv(node, text)
    except SubscriberError as exc:
        raise CliError(f"{args.file}: {exc}") from None
    for line, problem in result.errors:
        print(f"{args.file}:{line}: {problem}", file=sys.stderr)
    print(f"{result.created} new, {result.activated} confirmed, {result.unchanged} already on the list, "
          f"{len(result.errors)} skipped")


async def export_subscribers(node: Node, args: argparse.Namespace) -> None:
    sys.stdout.write(await subscribers_csv.export_csv())


ACTIONS: dict[str, Action] = {"list": list_subscribers, "import": import_subscribers, "export": export_subscribers}


def cmd_subscribers(args: argparse.Namespace) -> None:
    run_action(args, ACTIONS[args.subscribers_command])


def register(sub: Subparsers) -> None:
    """Add `agora subscribers ...` to the `agora` parser's subparsers."""
    group = sub.add_parser("subscribers", help="the mailing list: list, import, export")
    group_sub = group.add_subparsers(dest="subscribers_command", required=True)
    ls = group_sub.add_parser("list", help="the addresses: email, status, kinds, frequency, language")
    ls.add_argument("--status", choices=("pending", "active", "unsubscribed"))
    imp = group_sub.add_parser("import", help="subscribe the addresses of a CSV file (email, language, kinds, "
                                              "frequency); invalid lines are reported and skipped")
    imp.add_argument("file", metavar="FILE.csv")
    group_sub.add_parser("export", help="the whole list as CSV on stdout")
    group.set_defaults(func=cmd_subscribers)
