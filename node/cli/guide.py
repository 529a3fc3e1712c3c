"""`agora guide create/edit/list`: the association's guides from the command line. A guide created here is
written by the association itself (its first revision's author) and federated like any other."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from node.cli.common import Action, CliError, Subparsers, ensure_association, run_action
from node.core.runtime import Node
from node.guides import guides
from node.guides.inputs import GuideError, GuideInput
from node.guides.models import Guide


def read_markdown(file: str) -> str:
    try:
        return Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CliError(f"{file}: not UTF-8 text") from None


async def create_guide(node: Node, args: argparse.Namespace) -> None:
    association = await ensure_association(node)
    inp = GuideInput(title=args.title, topic=args.topic, source=read_markdown(args.file),
                     language=args.language or node.settings.association.language or "en",
                     slug=args.slug or "", note=args.note or "", position=args.position or 0)
    try:
        guide = await guides.create_guide(node, association, association, inp)
    except GuideError as exc:
        raise CliError(str(exc)) from None
    print(guide.url or guide.uri)


async def edit_guide(node: Node, args: argparse.Namespace) -> None:
    """A new revision of one of our guides from a Markdown file (its other languages kept)."""
    guide = await Guide.get_or_none(uri=args.url, local=True, deleted_at=None)
    if guide is None:
        raise CliError(f"no guide of this node at {args.url}")
    association = await ensure_association(node)
    current = (await guides.history(guide))[0]
    inp = dataclasses.replace(guides.input_of(guide, current, args.note or ""), source=read_markdown(args.file),
                              title=args.title or guide.title)
    try:
        await guides.save_revision(node, guide, association, inp)
    except GuideError as exc:
        raise CliError(str(exc)) from None
    print(guide.url or guide.uri)


async def list_guides(node: Node, args: argparse.Namespace) -> None:
    for guide in await guides.local_guides(args.topic):
        print(f"{guide.topic}\t{guide.language or ''}\t{guide.title}\t{guide.url or guide.uri}")


ACTIONS: dict[str, Action] = {"create": create_guide, "edit": edit_guide, "list": list_guides}


def cmd_guide(args: argparse.Namespace) -> None:
    run_action(args, ACTIONS[args.guide_command])


def register(sub: Subparsers) -> None:
    """Add `agora guide ...` to the `agora` parser's subparsers."""
    guide = sub.add_parser("guide", help="the association's guides: create, edit, list")
    guide_sub = guide.add_subparsers(dest="guide_command", required=True)
    mk = guide_sub.add_parser("create", help="publish a guide from a Markdown file; prints its URL")
    mk.add_argument("--topic", required=True, help="a topic's address: residence, housing, work, health, schooling, "
                                                   "language-courses, money, consular or one the admin added")
    mk.add_argument("--title", required=True)
    mk.add_argument("--language", help="language tag (default: the association's)")
    mk.add_argument("--slug", help="the guide's address (default: from the title)")
    mk.add_argument("--note", help="a note for the history")
    mk.add_argument("--position", type=int, help="its order in the topic")
    mk.add_argument("file", metavar="FILE.md")
    ed = guide_sub.add_parser("edit", help="a new revision of a guide from a Markdown file; prints its URL")
    ed.add_argument("url")
    ed.add_argument("file", metavar="FILE.md")
    ed.add_argument("--title", help="a new title")
    ed.add_argument("--note", help="a note for the history")
    ls = guide_sub.add_parser("list", help="our guides: topic, language, title, URL")
    ls.add_argument("--topic")
    guide.set_defaults(func=cmd_guide)
