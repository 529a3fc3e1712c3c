"""`agora user add/list/role`: member accounts from the command line, and the name and address checks
that `agora init` uses for the first admin too.

(`agora member ...`, which goes through the node/accounts/ services and leaves audit entries, is in
node/cli/members.py.)"""

from __future__ import annotations

import argparse

from node.accounts.actors import RESERVED_USERNAMES, create_local_actor
from node.accounts.passwords import hash_password, new_password
from node.accounts.roles import ROLES
from node.cli.common import Action, CliError, Subparsers, run_action
from node.core.models import Actor, User
from node.core.runtime import Node


def valid_username(name: str) -> str:
    if not name or len(name) > 30 or not all(c.isascii() and (c.isalnum() or c == "_") for c in name):
        raise CliError(f"{name!r} is not a valid username (letters, digits and _, at most 30)")
    if name.lower() in RESERVED_USERNAMES:
        raise CliError(f"{name!r} is reserved")
    return name


def valid_email(email: str) -> str:
    if "@" not in email or len(email) > 320:
        raise CliError(f"{email!r} is not an email address")
    return email


def valid_role(role: str) -> str:
    if role not in ROLES:
        raise CliError(f"role must be one of {', '.join(ROLES)}")
    return role


async def add_user(node: Node, username: str, email: str, role: str) -> tuple[User, str]:
    """A new member with a local Person actor; returns it and its one-time password."""
    valid_username(username)
    valid_role(role)
    valid_email(email)
    if await Actor.filter(local=True, username=username).exists() or await User.filter(username=username).exists():
        raise CliError(f"the name {username!r} is taken")
    if await User.filter(email=email.lower()).exists():
        raise CliError(f"a member with {email} exists already")
    password = new_password()
    actor = await create_local_actor(node.urls, kind="Person", username=username, name=username)
    user = await User.create(
        username=username, email=email.lower(), password_hash=hash_password(password), role=role,
        actor=actor, must_change_password=True,
    )
    return user, password


async def user_add(node: Node, args: argparse.Namespace) -> None:
    user, password = await add_user(node, args.username, args.email, args.role)
    print(f"added {user.username} ({user.role}); one-time password: {password}")


async def user_list(node: Node, args: argparse.Namespace) -> None:
    for user in await User.all().order_by("id"):
        print(f"{user.username}\t{user.email}\t{user.role}")


async def user_role(node: Node, args: argparse.Namespace) -> None:
    valid_role(args.role)
    if not await User.filter(username=args.username).update(role=args.role):
        raise CliError(f"no member named {args.username!r}")
    print(f"{args.username} is now {args.role}")


ACTIONS: dict[str, Action] = {"add": user_add, "list": user_list, "role": user_role}


def cmd_user(args: argparse.Namespace) -> None:
    run_action(args, ACTIONS[args.user_command])


def register(sub: Subparsers) -> None:
    """Add `agora user ...` to the `agora` parser's subparsers."""
    user = sub.add_parser("user", help="manage member accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="add a member; prints a one-time password")
    add.add_argument("username")
    add.add_argument("email")
    add.add_argument("--role", default="member", choices=ROLES)
    user_sub.add_parser("list", help="list members")
    role = user_sub.add_parser("role", help="set a member's role")
    role.add_argument("username")
    role.add_argument("role", choices=ROLES)
    user.set_defaults(func=cmd_user)
