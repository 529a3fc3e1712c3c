"""The comment form under a post, an event or an initiative (templates/_comment_form.html) and the one
route it posts to, `POST /comments` (node/posts/comments.py does the work)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from node.core.models import Post, User
from node.posts import comments
from node.posts.content import MAX_SOURCE, ContentError
from node.web import auth
from node.web.errors import PageRefusal
from node.web.forms import checked_form, text_field
from node.web.pages import language_choices, node_of


async def comment_box(request: Request, target: comments.Commentable) -> dict[str, Any]:
    """What the comment form shows: the object, whether comments are open, moderated or closed,
    whether the reader is a signed-in member, and the notice after a held comment."""
    node = node_of(request)
    user = await auth.current_user(request)
    return {
        "uri": target.uri, "state": await comments.state_of(node, target), "member": user is not None,
        "languages": language_choices(node), "max": MAX_SOURCE,
        "held": request.query_params.get("comment") == "held",
    }


def visible_comments(uri: str, *, exclude_author: int | None = None) -> Any:
    """The shown comments of an object, oldest first, with their authors."""
    query = Post.filter(in_reply_to_uri=uri, deleted_at=None, held=False, draft=False, visibility__in=["public", "unlisted"])
    if exclude_author is not None:
        query = query.exclude(author_id=exclude_author)
    return query.order_by("published", "id").prefetch_related("author")


async def submit(request: Request) -> Response:
    """POST /comments: object (its URI), text (Markdown), language (optional)."""
    user: User | None = await auth.current_user(request)
    if user is None:
        raise PageRefusal.login()
    form = await checked_form(request)
    node = node_of(request)
    try:
        done = await comments.comment(node, user, text_field(form, "object"), text_field(form, "text"),
                                      text_field(form, "language") or None)
    except comments.CommentsClosed as exc:
        raise PageRefusal(403, "Comment not saved", str(exc)) from None
    except comments.CommentError as exc:
        raise PageRefusal(404, "Comment not saved", str(exc)) from None
    except ContentError as exc:
        raise PageRefusal(400, "Comment not saved", str(exc)) from None
    path = comments.path_of(done.target)
    if done.held:
        return RedirectResponse(f"{path}?comment=held#comment-form", status_code=303)
    return RedirectResponse(f"{path}#comments", status_code=303)


def routes() -> list[BaseRoute]:
    return [Route("/comments", submit, methods=["POST"])]
