"""`agora member ...`: reset links, invitations, roles and access of member accounts.

(`agora user add/list/role` live in node/cli/users.py; these commands go through node/accounts/
(members.py, invitations.py, password_reset.py) so the web console and the command line behave the
same and both leave audit entries.)"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from node.accounts import invitations, members, password_reset
from node.cli.common import Subparsers, run_with_node
from node.core.models import User
from node.core.runtime import Node
from node.accounts.roles import ROLES

T = TypeVar("T")


def _with_node(args: argparse.Namespace, fn: Callable[[Node], Awaitable[T]]) -> T:
    return run_with_node(args, fn, members.MemberError)


async def _user(username: str) -> User:
    user = await User.get_or_none(username=username)
    if user is None:
        raise members.MemberError(f"no member named {username!r}")
    return user


def cmd_member(args: argparse.Namespace) -> None:
    async def reset_link(node: Node) -> None:
        user = await _user(args.username)
        if user.disabled:
            raise members.MemberError(f"{user.username} is disabled; enable the account first")
        print(password_reset.reset_link(node, user))
        print(f"(valid once, for {password_reset.RESET_MAX_AGE // 60} minutes)", file=sys.stderr)

    async def invite(node: Node) -> None:
        _, link = await invitations.create_invitation(node, None, args.email, args.role, args.days, by="cli")
        print(link)

    async def role(node: Node) -> None:
        user = await members.set_role(node, await _user(args.username), args.role, None, by="cli")
        print(f"{user.username} is now {user.role}")

    async def disable(node: Node) -> None:
        user = await members.disable_member(node, await _user(args.username), None, by="cli")
        print(f"{user.username} is disabled")

    async def enable(node: Node) -> None:
        user = await members.enable_member(node, await _user(args.username), None, by="cli")
        print(f"{user.username} is enabled")

    async def invitation_list(node: Node) -> None:
        for row in await invitations.list_invitations():
            used = f" by {row.used_by.username}" if row.used_by else ""
            print(f"{row.id}\t{invitations.invitation_state(row)}{used}\t{row.role}\t{row.email or '-'}\t"
                  f"expires {row.expires_at:%Y-%m-%d %H:%M}")

    actions: dict[str, Callable[[Node], Awaitable[None]]] = {
        "reset-link": reset_link, "invite": invite, "role": role, "disable": disable, "enable": enable,
        "invitations": invitation_list,
    }
    _with_node(args, actions[args.member_command])


def register(sub: Subparsers) -> None:
    """Add `agora member ...` to the `agora` parser's subparsers."""
    mem = sub.add_parser("member", help="member accounts: reset links, invitations, roles, access")
    mem_sub = mem.add_subparsers(dest="member_command", required=True)
    link = mem_sub.add_parser("reset-link", help="print a password reset link for a member (valid 1 hour, once)")
    link.add_argument("username")
    inv = mem_sub.add_parser("invite", help="create an invitation; prints its link (emailed too with --email)")
    inv.add_argument("--email", help="the invited person's address (the link is sent there as well)")
    inv.add_argument("--role", default="member", choices=ROLES)
    inv.add_argument("--days", type=int, default=invitations.INVITATION_DAYS, help="days the link stays valid (default 7)")
    mem_sub.add_parser("invitations", help="list invitations and their state")
    role = mem_sub.add_parser("role", help="set a member's role (audited)")
    role.add_argument("username")
    role.add_argument("role", choices=ROLES)
    for verb, text in (("disable", "remove a member's access"), ("enable", "give a disabled member access again")):
        mem_sub.add_parser(verb, help=text).add_argument("username")
    mem.set_defaults(func=cmd_member)
