"""The polls pages: a poll with its post and the reader's own vote (GET /polls/<post id>), and voting
(POST /polls/<post id>/vote): in our polls, and in other servers' (the vote is sent to their author)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from node.core.models import Actor, Post
from node.forum.pages_thread import thread_location
from node.polls import polls, remote, view
from node.polls.inputs import PollError
from node.polls.models import Poll
from node.posts.content import MEMBERS
from node.web import auth
from node.web.errors import PageRefusal
from node.web.pages import member_post, node_of, render, templates

view.install(templates.env)


async def _poll(request: Request) -> tuple[Post, Poll]:
    raw = request.path_params["post_id"]
    post_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else 0  # a database bigint
    if post_id <= 0:
        raise PageRefusal(404, "Not found", "There is no such poll here.")
    post = await Post.get_or_none(id=post_id, deleted_at=None, draft=False)
    poll = None
    if post is not None:
        poll = await polls.poll_of(post) if post.local else await remote.current(post)
    if post is None or poll is None or post.held:
        raise PageRefusal(404, "Not found", "There is no such poll here.")
    if post.visibility not in ("public", "unlisted") and (post.visibility != MEMBERS or await auth.current_user(request) is None):
        raise PageRefusal(404, "Not found", "There is no such poll here.")
    return post, poll


async def poll_page(request: Request) -> Response:
    post, poll = await _poll(request)
    location = await thread_location(post) if post.local else None
    if location is not None:  # a forum topic's poll is shown in its thread
        return RedirectResponse(location, status_code=303)
    user = await auth.current_user(request)
    mine: list[int] = []
    if user is not None:
        mine = await polls.choices_of(poll, await Actor.get(id=user.actor_id))
    author = await Actor.get(id=post.author_id)
    return await render(request, "polls/poll.html", post=post, author=author, mine=mine,
                        chosen=[o.get("name") for i, o in enumerate(poll.options) if i in mine])


def _next(form_value: object, post: Post) -> str:
    target = form_value if isinstance(form_value, str) else ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"/polls/{post.id}"


async def vote(request: Request) -> Response:
    voter, form = await member_post(request)
    post, poll = await _poll(request)
    try:
        choices = [int(str(value)) for value in form.getlist("choice")]
    except ValueError:
        raise PageRefusal(400, "Not a choice", "Choose one of the poll's options.") from None
    try:
        if poll.local:
            await polls.vote_here(node_of(request), poll, post, voter, choices)
        else:
            await remote.vote_there(node_of(request), poll, post, voter, choices)
    except PollError as exc:
        raise PageRefusal(exc.status, "Not counted", str(exc)) from None
    return RedirectResponse(_next(form.get("next"), post), status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/polls/{post_id}", poll_page, methods=["GET"]),
        Route("/polls/{post_id}/vote", vote, methods=["POST"]),
    ]
