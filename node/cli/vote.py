"""`agora vote open|close|results|list`: general-assembly votes from the command line (the audit log
names "cli" as the one who acted). `open` makes the vote and opens it at once (or `--draft`), printing
its id and address; `results` prints the tally of a closed vote."""

from __future__ import annotations

import argparse

from node.cli.common import Action, CliError, Subparsers, run_action
from node.core.runtime import Node
from node.accounts.roles import ROLES
from node.assembly import votes
from node.assembly.inputs import VoteError, VoteInput, clean_options, parse_quorum, parse_roles, parse_when, quorum_text
from node.assembly.models import Vote, Voter


def vote_input(args: argparse.Namespace, default_proxies: int) -> VoteInput:
    percent, count = parse_quorum(args.quorum or "")
    return VoteInput(
        title=args.title, text=args.text or "", options=clean_options(args.option or []),
        max_choices=args.max_choices, abstain=not args.no_abstain,
        roles=parse_roles(args.roles) if args.roles else ROLES, secret=args.secret,
        quorum_percent=percent, quorum_count=count, majority=args.majority,
        max_proxies=default_proxies if args.max_proxies is None else args.max_proxies,
        closes_at=parse_when(args.closes),
    )


async def open_cmd(node: Node, args: argparse.Namespace) -> None:
    try:
        vote = await votes.create_vote(None, vote_input(args, await votes.default_max_proxies()))
        if not args.draft:
            vote = await votes.open_vote(None, vote, by="cli")
    except VoteError as exc:
        raise CliError(str(exc)) from None
    eligible = await Voter.filter(vote_id=vote.id).count()
    print(f"{vote.id}\t{node.urls.base}/votes/{vote.id}\t{vote.status}\t{eligible} eligible")


async def _vote(vote_id: str) -> Vote:
    vote = await votes.find(vote_id)
    if vote is None:
        raise CliError(f"no vote {vote_id}")
    return vote


async def close_cmd(node: Node, args: argparse.Namespace) -> None:
    vote = await _vote(args.id)
    if vote.status == "open":
        try:
            vote = await votes.close_vote(None, vote, by="cli")
        except VoteError as exc:
            raise CliError(str(exc)) from None
    elif vote.status == "draft":
        raise CliError(f"vote {vote.id} is a draft, not open")
    print_results(vote)


def print_results(vote: Vote) -> None:
    result = vote.result
    if vote.status != "closed" or not isinstance(result, dict):
        raise CliError(f"vote {vote.id} is {vote.status}: its result is known when it closes")
    print(f"{vote.title}")
    print(f"outcome\t{result['outcome']}")
    print(f"turnout\t{result['turnout_percent']}%\t{result['ballots']}/{result['eligible']}")
    print(f"quorum\t{'met' if result['quorum_met'] else 'not met'}\t{quorum_text(vote.quorum_percent, vote.quorum_count) or '-'}")
    for index, option in enumerate(vote.options):
        mark = "\t*" if index in result["winners"] else ""
        print(f"{option}\t{result['counts'][index]}{mark}")
    print(f"blank\t{result['blank']}")


async def results_cmd(node: Node, args: argparse.Namespace) -> None:
    print_results(await _vote(args.id))


async def list_cmd(node: Node, args: argparse.Namespace) -> None:
    for vote in await votes.listed(include_drafts=True):
        outcome = (vote.result or {}).get("outcome", "") if isinstance(vote.result, dict) else ""
        print(f"{vote.id}\t{vote.status}\t{vote.closes_at.isoformat()}\t{outcome}\t{vote.title}")


ACTIONS: dict[str, Action] = {"open": open_cmd, "close": close_cmd, "results": results_cmd, "list": list_cmd}


def cmd_vote(args: argparse.Namespace) -> None:
    run_action(args, ACTIONS[args.vote_command])


def register(sub: Subparsers) -> None:
    """Add `agora vote ...` to the `agora` parser's subparsers."""
    vote = sub.add_parser("vote", help="general-assembly votes (members only): open, close, results, list")
    vote_sub = vote.add_subparsers(dest="vote_command", required=True)
    mk = vote_sub.add_parser("open", help="make a vote and open it; prints its id and URL")
    mk.add_argument("--title", required=True)
    mk.add_argument("--text", help="the motion's text (Markdown)")
    mk.add_argument("--option", action="append", help="an option (repeat; none: a motion, for or against)")
    mk.add_argument("--max-choices", type=int, default=1, help="choices per ballot (elections of several seats)")
    mk.add_argument("--no-abstain", action="store_true", help="no blank ballot")
    mk.add_argument("--secret", action="store_true", help="secret ballot (default: open)")
    mk.add_argument("--quorum", help="minimum turnout: a share like 50%% or a number of ballots")
    mk.add_argument("--majority", choices=("simple", "absolute", "two-thirds"), default="simple")
    mk.add_argument("--closes", default="7d", help="closing time: a duration like 2d or 36h, or 2030-06-01T18:00 (UTC)")
    mk.add_argument("--roles", help=f"roles of the eligible members, comma-separated (default: {','.join(ROLES)})")
    mk.add_argument("--max-proxies", type=int, help="proxies one member may hold (default: the console's setting)")
    mk.add_argument("--draft", action="store_true", help="save it as a draft without opening it")
    close = vote_sub.add_parser("close", help="close an open vote now, count it and print the result")
    close.add_argument("id")
    results = vote_sub.add_parser("results", help="the result of a closed vote")
    results.add_argument("id")
    vote_sub.add_parser("list", help="every vote: id, status, closing time, outcome, title")
    vote.set_defaults(func=cmd_vote)
