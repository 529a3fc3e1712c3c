"""The `agora` command: the argument parser gathers each command group's `register(sub)`, and `main`
runs the chosen command. A user mistake ends it with one line on stderr and exit status 2.

The groups: server (init, serve, worker, migrate), users (user), posts (post), followers, events,
initiatives (initiative), federation, members (member), forum, backup (backup, restore) and config (config
check)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from node.cli import (
    backup as cli_backup, config as cli_config, events as cli_events, federation as cli_federation,
    followers as cli_followers, forum as cli_forum, initiatives as cli_initiatives, members as cli_members, opportunity as cli_opportunity, posts as cli_posts,
    server as cli_server, users as cli_users,
)
from node.cli import guide as cli_guide
from node.cli import bounces as cli_bounces, mailing as cli_mailing, poll as cli_poll, subscribers as cli_subscribers, vote as cli_vote
from node.cli.common import CliError
from node.core.settings import SettingsError

GROUPS = (cli_server, cli_users, cli_posts, cli_followers, cli_events, cli_initiatives, cli_opportunity, cli_federation,
          cli_members, cli_forum, cli_guide, cli_subscribers, cli_bounces, cli_mailing, cli_poll, cli_vote, cli_backup, cli_config)
"""In the order `agora --help` lists them."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="agora", description="An ActivityPub node for an association.")
    p.add_argument("--config", help="config file (default: $AGORA_CONFIG)")
    sub = p.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        args.func(args)
    except (CliError, SettingsError) as exc:
        print(f"agora: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"agora: error: {exc}", file=sys.stderr)
        return 1
    return 0
