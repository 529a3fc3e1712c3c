"""Makes a node for the browser tests in one process (cheaper than two on a busy machine):

    python -m tests.browser.seed DATA_DIR BASE_URL HANDLE NAME USERNAME:ROLE:PASSWORD ...

first exactly what `agora init --dev` does (the same code: node.cli.main), then members with known
passwords, which the tests type into the login form. `must_change_password` is off, as for members
who already chose their password."""

from __future__ import annotations

import sys
from pathlib import Path

from node.cli import main as cli
from node.cli.common import with_node
from node.accounts.members import create_member
from node.core.models import User
from node.core.runtime import Node, run_async
from node.core.settings import load_settings


async def add_members(node: Node, specs: list[str]) -> None:
    for spec in specs:
        username, role, password = spec.split(":", 2)
        if await User.filter(username=username).exists():
            continue
        await create_member(
            node, username, f"{username}@example.org", role, password=password, must_change_password=False,
        )


def main(argv: list[str]) -> int:
    data_dir, base_url, handle, name, *specs = argv
    status = cli.main([
        "init", "--dev", "--data-dir", data_dir, "--base-url", base_url, "--handle", handle, "--name", name,
        "--admin-email", f"founder@{handle}.example", "--admin-name", "founder",
    ])
    if status:
        return status
    settings = load_settings(Path(data_dir) / "agora.toml")
    run_async(with_node(settings, lambda node: add_members(node, specs)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
