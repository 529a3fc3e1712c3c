"""`agora backup` and `agora restore`: one archive of a node, and that archive restored elsewhere
(the work is in node/backup/)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from node.backup.archive import BackupError
from node.backup.backup import make_backup
from node.backup.restore import RestoreRequest, restore_backup
from node.cli.common import CliError, Subparsers, settings_from


def cmd_backup(args: argparse.Namespace) -> None:
    settings = settings_from(args)
    try:
        backup = make_backup(settings, Path(args.output) if args.output else None)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    manifest = backup.manifest
    print(f"Wrote {backup.path} ({len(manifest.files)} files, {backup.size} bytes, {manifest.engine} database)")
    print("It holds the actors' private keys: keep it as safe as the server.")


def cmd_restore(args: argparse.Namespace) -> None:
    config = getattr(args, "config", None) or os.environ.get("AGORA_CONFIG") or None
    request = RestoreRequest(
        archive=Path(args.archive), data_dir=Path(args.data_dir) if args.data_dir else None,
        config=Path(config) if config else None, database_url=args.database_url,
    )
    try:
        restored = restore_backup(request)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    settings = restored.settings
    print(f"Restored {restored.manifest.base_url} (backup of {restored.manifest.created}) into {settings.data_dir}")
    if restored.config_path:
        print(f"Next: AGORA_CONFIG={restored.config_path} agora serve")
    else:
        print("Next: agora serve, with the same AGORA_* settings as the old node")


def register(sub: Subparsers) -> None:
    """Add `agora backup` and `agora restore` to the `agora` parser's subparsers."""
    backup = sub.add_parser("backup", help="write one archive of the node (database, media, config, keys)")
    backup.add_argument("--output", help="the archive to write, or a directory for it "
                        "(default: ./agora-backup-HOST-TIME.tar.gz)")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="restore an archive into an empty data directory and database")
    restore.add_argument("archive", metavar="FILE", help="an archive written by `agora backup`")
    restore.add_argument("--data-dir", help="the empty data directory to restore into")
    restore.add_argument("--config", default=argparse.SUPPRESS,
                         help="an existing config naming the target, or where to write the archived config")
    restore.add_argument("--database-url", help="the empty database to restore into (default: the archived config's)")
    restore.set_defaults(func=cmd_restore)
