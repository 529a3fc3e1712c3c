"""`agora poll`: create a post with a poll (prints its URL), show a poll's counts."""

from __future__ import annotations

import argparse

from node.accounts.actors import local_actor
from node.cli.common import CliError, Subparsers, run, settings_from, with_node
from node.core.models import Post
from node.core.runtime import Node
from node.polls import polls
from node.polls.inputs import PollError, PollInput, parse_duration
from node.posts.content import ContentError, Draft


async def create(node: Node, args: argparse.Namespace) -> str:
    handle = args.as_handle or node.settings.association.handle
    actor = await local_actor(handle)
    if actor is None or actor.kind == "Application" or actor.deleted_at is not None:
        raise CliError(f"no local account {handle!r}")
    try:
        given = PollInput(options=tuple(args.option or ()), multiple=args.multiple,
                          duration=parse_duration(args.ends), hide_totals=args.hide_totals)
        draft = Draft(text=args.text, language=args.language, visibility=args.visibility)
        post = await polls.create_poll_post(node, actor, draft, given)
    except (PollError, ContentError) as exc:
        raise CliError(str(exc)) from None
    return post.url or post.uri


async def results(node: Node, args: argparse.Namespace) -> str:
    post = await Post.get_or_none(uri=args.url) or await Post.get_or_none(url=args.url)
    poll = await polls.poll_of(post) if post is not None else None
    if post is None or poll is None:
        raise CliError(f"no poll known here at {args.url}")
    lines = [f"{int(o.get('count') or 0)}\t{o.get('name')}" for o in poll.options]
    state = "closed" if polls.ended(poll) else "open"
    ends = poll.ends_at.isoformat() if poll.ends_at else "-"
    lines.append(f"voters {poll.voters_count}\t{state}\tends {ends}")
    return "\n".join(lines)


def cmd_create(args: argparse.Namespace) -> None:
    print(run(with_node(settings_from(args), lambda node: create(node, args))))


def cmd_results(args: argparse.Namespace) -> None:
    print(run(with_node(settings_from(args), lambda node: results(node, args))))


def register(sub: Subparsers) -> None:
    """Add `agora poll create|results` to the `agora` parser's subparsers."""
    poll = sub.add_parser("poll", help="polls in posts: create one, show the counts")
    poll_sub = poll.add_subparsers(dest="poll_command", required=True)
    mk = poll_sub.add_parser("create", help="publish a post with a poll; prints its URL")
    mk.add_argument("text", help="the post's text (Markdown): the question")
    mk.add_argument("--as", dest="as_handle", help="local account to publish as (default: the association)")
    mk.add_argument("--option", action="append", help="an option (give 2 to 10)")
    mk.add_argument("--multiple", action="store_true", help="several choices (anyOf) instead of one (oneOf)")
    mk.add_argument("--ends", default="1d", help="how long it runs: 30m, 12h, 2d, 1w (default 1d)")
    mk.add_argument("--hide-totals", action="store_true", help="show the counts only once it has ended")
    mk.add_argument("--language", help="language tag")
    mk.add_argument("--visibility", default="public", choices=["public", "unlisted", "followers"])
    mk.set_defaults(func=cmd_create)
    res = poll_sub.add_parser("results", help="a poll's counts (ours or another server's), one option a line")
    res.add_argument("url", help="the post's id or page URL")
    res.set_defaults(func=cmd_results)
