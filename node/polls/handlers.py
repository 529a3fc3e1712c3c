"""Inbound activities of polls: votes for our polls (stage FIRST: a vote Note answers a post, and must
never become a reply of a thread or a comment), and other servers' questions and their counts (stage
OWN, after the forum, which takes questions posted into its threads)."""

from __future__ import annotations

import logging

from federation import polls as wire
from federation import vocab
from node.activitypub.registry import FIRST, Doc, handles_object
from node.core.models import Actor, Post
from node.core.runtime import Node
from node.polls import polls, remote
from node.polls.models import Poll
from node.social import notes
from node.social.groups import relay_to_group

log = logging.getLogger("agora.inbox")


@handles_object("Create", stage=FIRST)
async def on_vote(node: Node, actor: Actor, doc: Doc, obj: Doc) -> bool:
    """Mastodon's reading (create.rb, poll_vote?): a Note answering one of our polls whose name is an
    option is a vote, whatever else it says. A Note with a name and no content answering it is a vote
    for an unknown option, dropped. Anything else goes on to be a reply."""
    vote = wire.vote_of(obj)
    if vote is None or vote.actor != actor.uri or not node.urls.is_local(vote.question):
        return False
    post = await Post.get_or_none(uri=vote.question, local=True, deleted_at=None)
    poll = await Poll.get_or_none(post_id=post.id) if post is not None else None
    if post is None or poll is None:
        return False
    if polls.question_of(poll).index(vote.name) is None:
        return not wire.has_content(obj)
    await polls.receive_vote(node, actor, vote, poll, post)
    return True


@handles_object("Create", "Update")
async def on_question(node: Node, actor: Actor, doc: Doc, obj: Doc) -> bool:
    """A Question from another server: stored as a post (node/social/notes.py) with its poll."""
    if not wire.is_question(obj):
        return False
    try:
        post = await notes.store_note(node, actor, obj)
    except vocab.VocabError as exc:
        log.info("%s from %s ignored: %s", vocab.type_of(doc), actor.uri, exc)
        return True
    if post is None:
        return True
    await remote.store_question(post, obj)
    if vocab.type_of(doc) == "Create" and not post.held:
        await relay_to_group(node, actor, post)
    return True


@handles_object("Update", stage=FIRST)
async def on_question_update(node: Node, actor: Actor, doc: Doc, obj: Doc) -> bool:
    """New counts of a question stored already: its poll row follows them, whichever feature then
    applies the edit to the post (the timeline, a followed forum category). Never claims the Update."""
    if wire.is_question(obj):
        post = await Post.get_or_none(uri=vocab.id_of(obj), local=False, author_id=actor.id, deleted_at=None)
        if post is not None:
            await remote.store_question(post, obj)
    return False
