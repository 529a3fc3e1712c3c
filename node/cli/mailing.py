"""`agora mailing send|list`: newsletters from the command line. `send` writes a mailing from a Markdown
file (the subject from --subject, else the file's first `# heading`), snapshots its recipients and
queues its sending (the node's worker sends it, throttled; see node/newsletters/sending.py); it prints
how many recipients are queued. `list` prints the mailings."""

from __future__ import annotations

import argparse

from node.cli.common import Action, CliError, Subparsers, run_action
from node.cli.guide import read_markdown
from node.core.runtime import Node
from node.newsletters import sending
from node.newsletters.audience import AudienceError
from node.newsletters.mailings import MailingError, MailingInput, create_mailing
from node.newsletters.models import Mailing


def subject_and_body(text: str, subject: str | None) -> tuple[str, str]:
    """The subject given, else the first line when it is a `# heading` (then left out of the body)."""
    if subject:
        return subject.strip(), text
    first, _, rest = text.lstrip().partition("\n")
    if first.startswith("# "):
        return first[2:].strip(), rest.lstrip("\n")
    raise CliError("give --subject, or start the file with a '# Subject' line")


async def send_mailing(node: Node, args: argparse.Namespace) -> None:
    subject, body = subject_and_body(read_markdown(args.file), args.subject)
    inp = MailingInput(subject=subject, body=body, language=args.language or node.settings.association.language or "en",
                       audience=args.to)
    try:
        mailing = await create_mailing(None, inp)
        queued = await sending.send_now(node, mailing)
    except (MailingError, AudienceError) as exc:
        raise CliError(str(exc)) from None
    print(queued)


async def list_mailings(node: Node, args: argparse.Namespace) -> None:
    for mailing in await Mailing.all().order_by("id"):
        print(f"{mailing.id}\t{mailing.status}\t{mailing.sent_count}/{mailing.recipients_count}\t{mailing.audience}\t"
              f"{mailing.slug}\t{mailing.subject}")


ACTIONS: dict[str, Action] = {"send": send_mailing, "list": list_mailings}


def cmd_mailing(args: argparse.Namespace) -> None:
    run_action(args, ACTIONS[args.mailing_command])


def register(sub: Subparsers) -> None:
    """Add `agora mailing ...` to the `agora` parser's subparsers."""
    mailing = sub.add_parser("mailing", help="newsletters: send one from a Markdown file, list them")
    mailing_sub = mailing.add_subparsers(dest="mailing_command", required=True)
    send = mailing_sub.add_parser("send", help="send a newsletter from a Markdown file; prints how many are queued")
    send.add_argument("--to", required=True, choices=("subscribers", "members"),
                      help="the mailing list's subscribers who chose newsletters, or the members")
    send.add_argument("--subject", help="the subject (default: the file's first '# heading')")
    send.add_argument("--language", help="its language tag (default: the association's)")
    send.add_argument("file", metavar="FILE.md")
    mailing_sub.add_parser("list", help="the mailings: id, status, sent/recipients, audience, address, subject")
    mailing.set_defaults(func=cmd_mailing)
