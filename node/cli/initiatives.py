"""`agora initiative create/import/export/status/list`: the association's initiatives from the command
line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from node.cli.common import Action, CliError, Subparsers, ensure_association, run_action
from node.core.runtime import Node
from node.initiatives import initiatives
from node.initiatives.inputs import InitiativeError, InitiativeInput, NeedInput
from node.initiatives.models import Initiative
from node.initiatives.transfer import export_json, import_json

KINDS = ["development", "humanitarian", "advocacy", "mutual_aid", "cultural"]
STATUSES = ["proposed", "active", "achieved", "closed", "abandoned"]


async def find_initiative(url: str) -> Initiative:
    found = await Initiative.get_or_none(uri=url, local=True, deleted_at=None)
    if found is None:
        raise CliError(f"no initiative of this node at {url}")
    return found


def needs_of(args: argparse.Namespace) -> tuple[NeedInput, ...]:
    """A money need from --goal/--currency/--need-title, a volunteers need from --volunteers."""
    needs: tuple[NeedInput, ...] = ()
    if args.goal is not None or args.currency is not None:
        needs = (NeedInput(kind="money", title=args.need_title or "Funds", goal=args.goal,
                           currency=args.currency),)
    if args.volunteers is not None:
        needs += (NeedInput(kind="volunteers", title="Volunteers", quantity=args.volunteers),)
    return needs


async def create_initiative(node: Node, args: argparse.Namespace) -> None:
    inp = InitiativeInput(
        title=args.title, kind=args.kind, summary=args.summary or "", description=args.description or "",
        language=args.language, tags=tuple(args.tag or ()), needs=needs_of(args),
    )
    try:
        initiative = await initiatives.create_initiative(node, await ensure_association(node), inp)
    except InitiativeError as exc:
        raise CliError(str(exc)) from None
    print(initiative.url or initiative.uri)


def read_export(file: str) -> Any:
    """The parsed JSON of an initiative's export file."""
    try:
        raw = Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CliError(f"{file}: not UTF-8 text") from None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise CliError(f"{file}: not JSON ({exc})") from None


async def import_initiative(node: Node, args: argparse.Namespace) -> None:
    data = read_export(args.file)
    try:
        initiative = await import_json(node, await ensure_association(node), data)
    except InitiativeError as exc:
        raise CliError(f"{args.file}: {exc}") from None
    print(initiative.url or initiative.uri)


async def export_initiative(node: Node, args: argparse.Namespace) -> None:
    print(json.dumps(await export_json(await find_initiative(args.url)), ensure_ascii=False, indent=2))


async def set_status(node: Node, args: argparse.Namespace) -> None:
    try:
        initiative = await initiatives.set_status(node, await find_initiative(args.url), args.status)
    except InitiativeError as exc:
        raise CliError(str(exc)) from None
    print(f"{initiative.uri} is now {initiative.status}")


async def list_initiatives(node: Node, args: argparse.Namespace) -> None:
    for row in await Initiative.filter(local=True, deleted_at=None, draft=False).order_by("-published", "-id"):
        print(f"{row.status}\t{row.kind}\t{row.title}\t{row.url or row.uri}")


ACTIONS: dict[str, Action] = {
    "create": create_initiative, "import": import_initiative, "export": export_initiative, "status": set_status,
    "list": list_initiatives,
}


def cmd_initiative(args: argparse.Namespace) -> None:
    run_action(args, ACTIONS[args.initiative_command])


def register(sub: Subparsers) -> None:
    """Add `agora initiative ...` to the `agora` parser's subparsers."""
    ini = sub.add_parser("initiative", help="the association's initiatives: create, import, export, status, list")
    ini_sub = ini.add_subparsers(dest="initiative_command", required=True)
    mk = ini_sub.add_parser("create", help="create an initiative (proposed); prints its URL")
    mk.add_argument("--title", required=True)
    mk.add_argument("--kind", required=True, choices=KINDS)
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
    ini_st.add_argument("status", choices=STATUSES)
    ini_sub.add_parser("list", help="local initiatives: status, kind, title, URL")
    ini.set_defaults(func=cmd_initiative)
