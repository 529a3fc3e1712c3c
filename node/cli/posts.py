"""`agora post`: publish, edit or delete a post; prints its URL."""

from __future__ import annotations

import argparse

from node.accounts.actors import local_actor
from node.cli.common import CliError, Subparsers, run, settings_from, with_node
from node.core.models import Post
from node.core.runtime import Node
from node.posts.content import ContentError, Draft, create_post, delete_post, update_post


async def find_local_post(node: Node, url: str) -> Post:
    post = await Post.get_or_none(uri=url, local=True)
    if post is None or post.deleted_at is not None:
        raise CliError(f"no post of this node at {url}")
    return post


async def publish(node: Node, args: argparse.Namespace) -> str:
    """Delete, edit or create, as the arguments say; returns the line to print."""
    draft = Draft(text=args.text or "", summary=args.summary, language=args.language, visibility=args.visibility)
    try:
        if args.delete:
            await delete_post(node, await find_local_post(node, args.delete))
            return f"deleted {args.delete}"
        if args.edit:
            post = await update_post(node, await find_local_post(node, args.edit), draft)
            return post.uri
        actor = await local_actor(args.as_handle or node.settings.association.handle)
        if actor is None or actor.kind == "Application":
            raise CliError(f"no local account {args.as_handle!r}")
        return (await create_post(node, actor, draft)).uri
    except ContentError as exc:
        raise CliError(str(exc)) from None


def cmd_post(args: argparse.Namespace) -> None:
    if not args.delete and not args.text:
        raise CliError("post needs TEXT (or --delete URL)")
    settings = settings_from(args)
    print(run(with_node(settings, lambda node: publish(node, args))))


def register(sub: Subparsers) -> None:
    """Add `agora post` to the `agora` parser's subparsers."""
    post = sub.add_parser("post", help="publish, edit or delete a post; prints its URL")
    post.add_argument("text", nargs="?", help="Markdown text")
    post.add_argument("--as", dest="as_handle", help="local account to publish as (default: the association)")
    post.add_argument("--summary", default="", help="content warning")
    post.add_argument("--language", help="language tag")
    post.add_argument("--visibility", default="public", choices=["public", "unlisted", "followers"])
    post.add_argument("--edit", metavar="URL", help="replace the text of this post")
    post.add_argument("--delete", metavar="URL", help="delete this post")
    post.set_defaults(func=cmd_post)
