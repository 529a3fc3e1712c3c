"""`agora followers list/approve/reject`: the association's followers and pending follow requests."""

from __future__ import annotations

import argparse

from node.social.followers import approve_follow
from node.cli.common import Action, CliError, Subparsers, ensure_association, run_action
from node.core.models import Actor, Follow
from node.core.runtime import Node


async def list_followers(node: Node, args: argparse.Namespace) -> None:
    group = await ensure_association(node)
    rows = await Follow.filter(target=group).prefetch_related("follower").order_by("id")
    for row in rows:
        print(f"{row.state}\t{row.follower.handle}\t{row.follower.uri}")


async def find_requester(handle_or_uri: str) -> Actor | None:
    """An actor by its URL, or by @user@host."""
    handle = handle_or_uri.lstrip("@")
    return await Actor.get_or_none(uri=handle_or_uri) or await Actor.get_or_none(
        username=handle.split("@")[0], domain=handle.partition("@")[2]
    )


async def answer_request(node: Node, args: argparse.Namespace) -> None:
    """Approve or reject (as `followers_command` says) a pending follow request."""
    group = await ensure_association(node)
    follower = await find_requester(args.actor)
    row = await Follow.get_or_none(follower=follower, target=group) if follower else None
    if row is None or row.state != "pending":
        raise CliError(f"no pending follow request from {args.actor}")
    await approve_follow(node, row, args.followers_command == "approve")
    print(f"{args.followers_command}d {args.actor}")


ACTIONS: dict[str, Action] = {"list": list_followers, "approve": answer_request, "reject": answer_request}


def cmd_followers(args: argparse.Namespace) -> None:
    run_action(args, ACTIONS[args.followers_command])


def register(sub: Subparsers) -> None:
    """Add `agora followers ...` to the `agora` parser's subparsers."""
    fol = sub.add_parser("followers", help="the association's followers and pending requests")
    fol_sub = fol.add_subparsers(dest="followers_command", required=True)
    fol_sub.add_parser("list")
    for verb in ("approve", "reject"):
        v = fol_sub.add_parser(verb)
        v.add_argument("actor", help="the requester's actor URL or @user@host")
    fol.set_defaults(func=cmd_followers)
