"""`agora config check`: validate the configuration and reach the database."""

from __future__ import annotations

import argparse
import sys

from node.cli.common import Subparsers, check_database, run, settings_from
from node.core.settings import validate


def cmd_config(args: argparse.Namespace) -> None:
    settings = validate(settings_from(args))
    run(check_database(settings))
    print(f"config: {settings.config_path or '(defaults only)'}")
    print(f"base_url: {settings.base_url}")
    print(f"association: @{settings.association.handle}@{settings.host}")
    print(f"database: {'sqlite' if settings.is_sqlite else 'postgresql'} (reachable, migrated)")
    print(f"allow_private_addresses: {str(settings.allow_private_addresses).lower()}")
    if not settings.secret_key:
        print("warning: secret_key is empty; sessions use a development key", file=sys.stderr)
    print("ok")


def register(sub: Subparsers) -> None:
    """Add `agora config ...` to the `agora` parser's subparsers."""
    conf = sub.add_parser("config", help="configuration tools")
    conf_sub = conf.add_subparsers(dest="config_command", required=True)
    conf_sub.add_parser("check", help="validate the config and reach the database")
    conf.set_defaults(func=cmd_config)
