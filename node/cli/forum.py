"""`agora forum ...`: the forum from the command line, for scripts and tests. Categories (create,
list), topics and replies as a member (`--as USER`), and the moderators' actions (lock, unlock, pin,
unpin, move, remove, restore), which go through node/forum/ like the pages, with the same checks and
audit entries. A mistake (unknown category or member, a locked topic, no permission) is one line on
stderr and exit status 2."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from node.cli.common import CliError, Subparsers, run, settings_from, with_node
from node.core.models import Actor, Post, User
from node.core.runtime import Node
from node.forum import access, moderation, threads
from node.forum.access import ForumError
from node.forum.categories import CategoryInput, category_by_slug, category_url, create_category, localized, ordered_categories
from node.forum.models import Category, Entry, Topic
from node.posts.content import ContentError, Draft

Command = Callable[[Node, argparse.Namespace], Awaitable[str]]


async def member(username: str) -> User:
    user = await User.get_or_none(username=username)
    if user is None or user.disabled:
        raise CliError(f"no member named {username!r}")
    return user


async def category(slug: str) -> Category:
    found = await category_by_slug(slug)
    if found is None:
        raise CliError(f"no forum category {slug!r} (see `agora forum list`)")
    return found


async def locate(node: Node, url: str) -> tuple[Topic, Entry]:
    """The topic and the post (its place) a URL names: a topic's /topics/<slug>, one of its posts'
    /topics/<slug>/posts/<position>, or a post's own address."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    segments = path.split("/")
    if node.urls.is_local(url) and len(segments) >= 3 and segments[1] == "topics":
        topic = await Topic.get_or_none(slug=segments[2][:64])
        position = segments[4] if len(segments) == 5 and segments[3] == "posts" else "0"
        entry = await Entry.get_or_none(topic=topic, position=int(position)) \
            if topic is not None and position.isdigit() and len(position) < 10 else None
        if topic is not None and entry is not None and len(segments) in (3, 5):
            return topic, entry
    else:
        bare = parts._replace(query="", fragment="").geturl()
        post = await Post.get_or_none(uri=bare) or await Post.get_or_none(url=bare)
        entry = await Entry.get_or_none(post=post) if post is not None else None
        if entry is not None:
            return await Topic.get(id=entry.topic_id), entry
    raise CliError(f"no forum topic or post at {url}")


async def cmd_category_create(node: Node, args: argparse.Namespace) -> str:
    data = CategoryInput(names={args.language or node.settings.association.language: args.name},
                         descriptions={args.language or node.settings.association.language: args.description or ""},
                         read_access="members" if args.members_only else "public", approve_new=args.moderated,
                         start_policy=args.start)
    made = await create_category(node, args.slug, data, by=None)
    return category_url(node, made.slug)


def _flags(topic: Topic) -> str:
    names = ("pinned", "locked", "held", "removed")
    values = (topic.pinned, topic.locked, topic.held, topic.removed_at is not None)
    return ",".join(name for name, value in zip(names, values) if value) or "-"


async def topics_listed(found: Category) -> list[Topic]:
    """A category's topics as its page lists them: pinned first, then the latest active (held and
    removed ones too, flagged: this is the operator's view)."""
    return list(await Topic.filter(category=found).order_by("-pinned", "-last_activity_at", "-id"))


async def cmd_list(node: Node, args: argparse.Namespace) -> str:
    """Categories (slug, name, topics, posts, who reads), or one category's topics (URL, replies,
    flags, title), one a line, tab-separated."""
    language = node.settings.association.language
    if not args.category:
        rows = [f"{c.slug}\t{localized(c.name_map, language, c.slug)}\t{c.topic_count}\t{c.post_count}\t{c.read_access}"
                for c in await ordered_categories()]
        return "\n".join(rows) if rows else "no category yet (agora forum category create SLUG --name NAME)"
    found = await category(args.category)
    rows = [f"{threads.topic_url(node, t.slug)}\t{t.reply_count}\t{_flags(t)}\t{localized(t.title_map, language, t.title)}"
            for t in await topics_listed(found)]
    return "\n".join(rows) if rows else f"no topic in {found.slug} yet"


async def cmd_topic(node: Node, args: argparse.Namespace) -> str:
    user, found = await member(args.as_user), await category(args.category)
    if not access.can_read(found, user) or not await access.may_start(user, found):
        raise CliError(f"{user.username} may not start topics in {found.slug}")
    author = await Actor.get(id=user.actor_id)
    topic = await threads.start_topic(node, author, found, Draft(text=args.body, title=args.title, language=args.language))
    return threads.topic_url(node, topic.slug) + ("\t(waits for a moderator's approval)" if topic.held else "")


async def cmd_reply(node: Node, args: argparse.Namespace) -> str:
    user = await member(args.as_user)
    topic, entry = await locate(node, args.url)
    found = await Category.get(id=topic.category_id)
    if not await access.may_reply(user, topic, found):
        if topic.removed_at is not None:
            raise CliError("this topic was removed: it takes no replies")
        if topic.locked:
            raise CliError("this topic is locked: only moderators reply")
        raise CliError(f"{user.username} may not reply in {found.slug}")
    parent = await Post.get(id=entry.post_id) if entry.position else None
    if parent is not None and (entry.removed_at is not None or parent.deleted_at is not None):
        raise CliError("that post was removed: reply to the topic instead")
    author = await Actor.get(id=user.actor_id)
    made = await threads.reply(node, author, topic, Draft(text=args.body, language=args.language), parent=parent)
    post = await Post.get(id=made.post_id)
    return (post.url or post.uri) + ("\t(waits for a moderator's approval)" if made.held else "")


async def cmd_moderate(node: Node, args: argparse.Namespace) -> str:
    """lock, unlock, pin, unpin, move, remove, restore: one topic (or post) by a moderator."""
    user = await member(args.as_user)
    topic, entry = await locate(node, args.url)
    verb = args.forum_command
    url = threads.topic_url(node, topic.slug)
    if verb in ("lock", "unlock"):
        await moderation.set_locked(node, topic, user, verb == "lock", args.reason or "")
    elif verb in ("pin", "unpin"):
        await moderation.set_pinned(node, topic, user, verb == "pin")
    elif verb == "move":
        await moderation.move(node, topic, await category(args.to), user)
        return f"moved {url} to {args.to}"
    elif verb == "remove":
        await moderation.remove(node, entry, user, args.reason or "")
    else:
        await moderation.restore(node, entry, user)
    return f"{DONE[verb]} {args.url if verb in ('remove', 'restore') else url}"


DONE = {"lock": "locked", "unlock": "unlocked", "pin": "pinned", "unpin": "unpinned", "remove": "removed",
        "restore": "restored"}
COMMANDS: dict[str, Command] = {
    "list": cmd_list, "topic": cmd_topic, "reply": cmd_reply, "category": cmd_category_create,
    **{verb: cmd_moderate for verb in ("lock", "unlock", "pin", "unpin", "move", "remove", "restore")},
}


def cmd_forum(args: argparse.Namespace) -> None:
    command = COMMANDS[args.forum_command]

    async def go(node: Node) -> str:
        try:
            return await command(node, args)
        except (ForumError, ContentError) as exc:
            raise CliError(str(exc)) from None

    print(run(with_node(settings_from(args), go)))


def _moderation_commands(forum_sub: Subparsers) -> None:
    texts = {"lock": "lock a topic: no new replies but the moderators'", "unlock": "take new replies again",
             "pin": "pin a topic to the top of its category", "unpin": "unpin a topic",
             "move": "file a topic in another category", "remove": "remove a post (the opening one: the topic), with a reason",
             "restore": "restore what a moderator removed"}
    for verb, text in texts.items():
        cmd = forum_sub.add_parser(verb, help=text)
        cmd.add_argument("url", help="the topic's URL (remove, restore: or one of its posts')")
        cmd.add_argument("--as", dest="as_user", required=True, help="the moderator acting (a member's username)")
        if verb in ("lock", "unlock", "remove"):
            cmd.add_argument("--reason", required=verb == "remove", help="shown in the thread and sent with it")
        if verb == "move":
            cmd.add_argument("--to", required=True, metavar="SLUG", help="the category to move it to")


def register(sub: Subparsers) -> None:
    """Add `agora forum ...` to the `agora` parser's subparsers."""
    forum = sub.add_parser("forum", help="forum categories, topics, replies and moderation")
    forum_sub = forum.add_subparsers(dest="forum_command", required=True)
    cat = forum_sub.add_parser("category", help="forum categories")
    cat_sub = cat.add_subparsers(dest="category_command", required=True)
    create = cat_sub.add_parser("create", help="create a category (a Group actor @SLUG); prints its URL")
    create.add_argument("slug")
    create.add_argument("--name", required=True)
    create.add_argument("--description", default="")
    create.add_argument("--language", help="the language of the name (default: the association's)")
    create.add_argument("--members-only", action="store_true", help="only signed-in members read it; nothing federates")
    create.add_argument("--moderated", action="store_true", help="newcomers' first posts wait for a moderator's approval")
    create.add_argument("--start", default="members", choices=["members", "editors", "everyone"],
                        help="who may start topics (everyone: also accounts of other servers)")
    topic = forum_sub.add_parser("topic", help="start a topic; prints its URL")
    topic.add_argument("--category", required=True, metavar="SLUG")
    topic.add_argument("--as", dest="as_user", required=True, metavar="USER", help="the member who writes it")
    topic.add_argument("--language", help="language tag")
    topic.add_argument("title")
    topic.add_argument("body", help="Markdown text")
    rep = forum_sub.add_parser("reply", help="reply in a topic (or to one of its posts); prints the reply's URL")
    rep.add_argument("url", help="a topic's or a post's URL")
    rep.add_argument("--as", dest="as_user", required=True, metavar="USER")
    rep.add_argument("--language", help="language tag")
    rep.add_argument("body", help="Markdown text")
    lst = forum_sub.add_parser("list", help="list the categories, or a category's topics (pinned first)")
    lst.add_argument("--category", metavar="SLUG")
    _moderation_commands(forum_sub)
    forum.set_defaults(func=cmd_forum)
