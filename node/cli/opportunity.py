"""`agora opportunity create/list/close`: the association's opportunity board from the command line
(what is posted here is published at once, like an editor's posting)."""

from __future__ import annotations

import argparse
from datetime import date

from federation import opportunities as wire
from node.accounts.actors import local_actor
from node.cli.common import Action, CliError, Subparsers, ensure_association, run_action
from node.core.runtime import Node
from node.opportunities import opportunities
from node.opportunities.inputs import OpportunityError, OpportunityInput
from node.opportunities.models import Answer, Opportunity


async def create(node: Node, args: argparse.Namespace) -> None:
    association = await ensure_association(node)
    poster = association
    if args.poster:
        found = await local_actor(args.poster)
        if found is None:
            raise CliError(f"no member {args.poster} on this node")
        poster = found
    try:
        expires = date.fromisoformat(args.expires) if args.expires else None
    except ValueError:
        raise CliError(f"--expires: not a date like 2027-01-31: {args.expires}") from None
    inp = OpportunityInput(title=args.title, kind=args.kind, text=args.text, purpose=args.purpose,
                           place_kind=args.place_kind, place_name=args.place or "", expires=expires,
                           language=args.language, tags=tuple(args.tag or ()))
    try:
        row = await opportunities.create_opportunity(node, poster, None, inp, association)
    except OpportunityError as exc:
        raise CliError(str(exc)) from None
    print(row.url or row.uri)


async def list_all(node: Node, args: argparse.Namespace) -> None:
    for row in await Opportunity.filter(local=True).order_by("-published", "-id"):
        answers = await Answer.filter(opportunity=row, from_poster=False).count()
        print(f"{row.status}\t{row.kind}\t{row.purpose}\t{row.expires.date().isoformat()}\t{answers}\t{row.title}\t"
              f"{row.url or row.uri}")


async def close(node: Node, args: argparse.Namespace) -> None:
    found = await Opportunity.get_or_none(uri=args.url, local=True)
    if found is None:
        raise CliError(f"no opportunity of this node at {args.url}")
    try:
        await opportunities.close(node, found, by="cli")
    except OpportunityError as exc:
        raise CliError(str(exc)) from None
    print(f"{found.uri} is now closed")


ACTIONS: dict[str, Action] = {"create": create, "list": list_all, "close": close}


def cmd_opportunity(args: argparse.Namespace) -> None:
    run_action(args, ACTIONS[args.opportunity_command])


def register(sub: Subparsers) -> None:
    """Add `agora opportunity ...` to the `agora` parser's subparsers."""
    top = sub.add_parser("opportunity", help="the opportunity board: create, list, close")
    top_sub = top.add_subparsers(dest="opportunity_command", required=True)
    mk = top_sub.add_parser("create", help="post an opportunity (published at once); prints its URL")
    mk.add_argument("--kind", required=True, choices=list(wire.KINDS))
    mk.add_argument("--title", required=True)
    mk.add_argument("--place", help="the place's name (a town, a country)")
    mk.add_argument("--place-kind", default="here", choices=list(wire.PLACES))
    mk.add_argument("--purpose", default="offer", choices=list(wire.PURPOSES))
    mk.add_argument("--expires", help="the last day it is open, YYYY-MM-DD (default: in 30 days)")
    mk.add_argument("--language", help="language tag, e.g. fr")
    mk.add_argument("--tag", action="append", help="repeat for several tags")
    mk.add_argument("--poster", help="the member who answers go to (default: the association)")
    mk.add_argument("text", help="the description (Markdown)")
    top_sub.add_parser("list", help="this node's opportunities: status, kind, purpose, expiry, answers, title, URL")
    cl = top_sub.add_parser("close", help="close an opportunity (filled)")
    cl.add_argument("url")
    top.set_defaults(func=cmd_opportunity)
