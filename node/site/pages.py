"""The public site: the home page (the association's identity, latest posts, upcoming events, active
initiatives, how to follow it), profiles, hashtag pages, the about page, search over local public
content, the remote-follow redirect, and (node/web/feeds.py) the RSS and Atom feeds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from tortoise.expressions import Q

from node.core import i18n, multilingual, site_settings
from node.policy import policy
from node.site.public_content import (
    association_posts, open_initiatives, public_events, public_initiatives, public_posts, upcoming_events,
)
from node.accounts.actors import deleted_local_actor, follower_count, local_actor
from node.core.models import Actor, User
from node.events.models import Event
from node.initiatives.models import Initiative, Need
from node.initiatives.pledges import need_progress
from node.core.runtime import VERSION, Node
from node.core.sanitize import plain_text
from node.forum.search import search_forum
from node.guides.search import search_guides
from node.opportunities.search import search_opportunities
from node.web import auth, meta
from node.site import pages_feeds as feeds, pages_sitemap as sitemap_pages
from node.events.pages_common import when_text
from node.initiatives.pages_common import initiative_path, kind_label, money_text, status_label
from node.web.pages import association_actor, message, node_of, render, send_home

HOME_POSTS = 10
HOME_EVENTS = 5
HOME_INITIATIVES = 5
PAGE_SIZE = 20
MAX_PAGE = 50
MAX_QUERY = 200
TAG_SCAN = 500


# ------------------------------------------------------------------ shared queries


async def reader_locale(request: Request) -> str:
    """The interface language of this request (what the i18n module picked for the page)."""
    node = node_of(request)
    context = i18n.template_context(request, node, await auth.current_user(request))
    locale = context.get("locale")
    return locale if isinstance(locale, str) and locale else node.settings.association.language


def handle_of(node: Node, actor: Actor) -> str:
    return f"@{actor.username}@{node.urls.host}"


def page_number(request: Request) -> int:
    text = request.query_params.get("page", "1")
    number = int(text) if text.isdigit() and len(text) < 4 else 1
    return min(max(number, 1), MAX_PAGE)


# ------------------------------------------------------------------ home


def event_item(event: Event) -> dict[str, Any]:
    place = next((p for p in event.places or [] if isinstance(p, dict)), None)
    where = str(place.get("name") or place.get("locality") or "") if place else ""
    return {"event": event, "when": when_text(event), "link": event.url or event.uri, "where": where,
            "online": bool(event.online_url) and not where}


async def initiative_item(initiative: Initiative, locale: str) -> dict[str, Any]:
    """An initiative with its progress: the first need that has a goal (money or a quantity)."""
    progress = None
    for need in await Need.filter(initiative=initiative).order_by("position", "id"):
        pledged, goal = await need_progress(need)
        if not goal:
            continue
        money = need.kind == "money"
        text_of = (lambda v: money_text(v, need.currency, locale)) if money else str
        progress = {
            "value": min(pledged, goal), "max": goal, "percent": min(100, round(100 * pledged / goal)),
            "pledged": text_of(pledged), "goal": text_of(goal), "title": need.title,
        }
        break
    return {"initiative": initiative, "link": initiative_path(initiative), "status": status_label(initiative.status),
            "kind": kind_label(initiative.kind), "progress": progress}


def feed_links(node: Node) -> dict[str, str]:
    return {"rss": f"{node.urls.base}/feed.rss", "atom": f"{node.urls.base}/feed.atom"}


async def home(request: Request) -> Response:
    node = node_of(request)
    actor = await association_actor(node)
    if actor is None:
        return await message(request, 404, "Not found", "The association account is missing; run agora init.")
    await i18n.activate_request(request, node)  # event dates below are formatted in the reader's language
    locale = await reader_locale(request)
    posts = await association_posts(node, actor).order_by("-published", "-id").limit(HOME_POSTS)
    events = await upcoming_events(datetime.now(timezone.utc)).limit(HOME_EVENTS)
    rows = await open_initiatives().order_by("-published", "-id").limit(HOME_INITIATIVES * 2)
    rows.sort(key=lambda i: (i.status != "active", -i.published.timestamp()))  # active ones first
    description = plain_text(actor.summary) or node.settings.association.summary
    return await render(
        request, "home.html", actor=actor, handle=handle_of(node, actor), posts=posts,
        more_posts=len(posts) == HOME_POSTS, followers=await follower_count(actor),
        events=[event_item(e) for e in events],
        initiatives=[await initiative_item(i, locale) for i in rows[:HOME_INITIATIVES]],
        feeds=feed_links(node),
        og=meta.tags(node, title=actor.name, description=description, url=node.urls.base + "/",
                     site_name=actor.name, kind="website", image=actor.icon_url),
    )


# ------------------------------------------------------------------ profiles and hashtags


async def profile(request: Request) -> Response:
    return await profile_page(request, request.path_params["username"])


async def profile_page(request: Request, username: str) -> Response:
    node = node_of(request)
    actor = await local_actor(username)
    if actor is None and await deleted_local_actor(username) is not None:
        return await message(request, 410, "Account deleted", "This account was deleted by its owner.")
    if actor is None or actor.kind == "Application":
        return await message(request, 404, "Not found", "There is no such account here.")
    page = page_number(request)
    rows = await (public_posts(actor).order_by("-published", "-id")
                  .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    description = plain_text(actor.summary)
    is_association = actor.username == node.settings.association.handle
    site = await association_actor(node)
    return await render(
        request, "profile.html", actor=actor, posts=rows[:PAGE_SIZE], followers=await follower_count(actor),
        handle=handle_of(node, actor), description=description, page=page,
        newer=page - 1 if page > 1 else None, older=page + 1 if len(rows) > PAGE_SIZE and page < MAX_PAGE else None,
        feeds=feed_links(node) if is_association else None,
        og=meta.tags(node, title=f"{actor.name} ({handle_of(node, actor)})", description=description,
                     url=actor.url or node.urls.profile(username), kind="profile", image=actor.icon_url,
                     site_name=site.name if site else node.settings.association.name),
    )


async def tag_page(request: Request) -> Response:
    """Recent public posts of this node carrying a hashtag."""
    node = node_of(request)
    tag = request.path_params["tag"].lower()[:100]
    name = f"#{tag}"
    recent = await public_posts().order_by("-published").limit(TAG_SCAN)
    posts = [p for p in recent if any(isinstance(t, dict) and t.get("type") == "Hashtag" and t.get("name") == name
                                      for t in p.tags or [])][:PAGE_SIZE * 2]
    return await render(request, "tag.html", tag=tag, posts=posts)


async def remote_follow(request: Request) -> Response:
    """Follow an account of this node from the visitor's own server."""
    node = node_of(request)
    target = request.query_params.get("target") or node.settings.association.handle
    actor = await local_actor(target[:64])
    if actor is None or actor.kind == "Application":
        return await message(request, 404, "Not found", "There is no such account here.")
    return await send_home(request, actor.uri, f"search for {actor.uri} in your app to follow it.")


# ------------------------------------------------------------------ about


async def about(request: Request) -> Response:
    node = node_of(request)
    actor = await association_actor(node)
    if actor is None:
        return await message(request, 404, "Not found", "The association account is missing; run agora init.")
    sections = await site_settings.about()
    admins = await User.filter(role="admin", disabled=False).order_by("username").prefetch_related("actor")
    mode = await policy.mode(node)
    mission = sections["mission"]["html"]
    description = plain_text(mission) if mission else plain_text(actor.summary) or node.settings.association.summary
    return await render(
        request, "about.html", actor=actor, handle=handle_of(node, actor), sections=sections,
        admins=[handle_of(node, a.actor) for a in admins], mode=mode,
        version=VERSION, registrations_open=await site_settings.flag(node, "registrations_open"),
        followers=await follower_count(actor),
        og=meta.tags(node, title=actor.name, description=description, url=f"{node.urls.base}/about",
                     site_name=actor.name, image=actor.icon_url),
    )


# ------------------------------------------------------------------ search


@dataclass(frozen=True)
class Hit:
    kind: str  # post | event | initiative | topic (a forum post) | guide
    title: str
    link: str
    snippet: Markup
    moment: datetime
    language: str


def snippet(text: str, query: str, before: int = 80, after: int = 160) -> Markup:
    """Escaped text around the first match of `query`, the match in <mark>."""
    text = " ".join(text.split())
    found = re.search(re.escape(query), text, re.IGNORECASE)
    if found is None:
        return escape(text[: before + after] + ("…" if len(text) > before + after else ""))
    start, end = found.span()
    head = text[max(0, start - before):start]
    tail = text[end:end + after]
    return Markup("{}{}<mark>{}</mark>{}{}").format(
        "…" if start > before else "", head, text[start:end], tail, "…" if end + after < len(text) else "",
    )


def _text_match(query: str, *fields: str) -> Q:
    """Case-insensitive match on any of `fields` (LIKE with the wildcards escaped, on SQLite and
    PostgreSQL alike); the HTML content only when there is no Markdown source."""
    condition = Q(**{f"{fields[0]}__icontains": query})
    for field in fields[1:]:
        condition |= Q(**{f"{field}__icontains": query})
    return condition | Q(source="", content__icontains=query)


async def search_hits(node: Node, query: str, page: int, wishes: list[str],
                      user: User | None = None) -> tuple[list[Hit], bool]:
    """One page of hits over posts, events, initiatives and the forum (the categories the reader may
    read: members-only ones for signed-in members), newest first, each shown in the reader's language
    when it has it; and whether more follow."""
    wanted = page * PAGE_SIZE + 1
    fallback = node.settings.association.language
    hits: list[Hit] = []
    posts = await (public_posts().filter(_text_match(query, "source", "summary"), entry__id__isnull=True)
                   .order_by("-published", "-id").limit(wanted))
    for post in posts:
        shown = multilingual.show_post(post, wishes, fallback)
        text = plain_text(shown.content, 5000)
        hits.append(Hit("post", shown.summary or plain_text(shown.content, 80), post.url or post.uri,
                        snippet(f"{shown.summary} {text}" if shown.summary else text, query), post.published,
                        shown.language))
    events = await public_events().filter(_text_match(query, "name", "source")).order_by("-start", "-id").limit(wanted)
    for event in events:
        shown = multilingual.show_event(event, wishes, fallback)
        hits.append(Hit("event", shown.title, event.url or event.uri,
                        snippet(plain_text(shown.content, 5000) or shown.title, query), event.start, shown.language))
    found = await (public_initiatives().filter(_text_match(query, "title", "summary", "source"))
                   .order_by("-published", "-id").limit(wanted))
    for initiative in found:
        shown = multilingual.show_initiative(initiative, wishes, fallback)
        text = f"{shown.summary} {plain_text(shown.content, 5000)}".strip()
        hits.append(Hit("initiative", shown.title, initiative_path(initiative), snippet(text or shown.title, query),
                        initiative.published, shown.language))
    for found_topic in await search_forum(node, query, user, wanted):
        hits.append(Hit("topic", found_topic.title, found_topic.link, snippet(found_topic.text or found_topic.title, query),
                        found_topic.moment, found_topic.language))
    for guide in await search_guides(query, wanted):
        hits.append(Hit("guide", guide.title, guide.link, snippet(guide.text or guide.title, query), guide.moment,
                        guide.language))
    for offer in await search_opportunities(query, wanted):
        hits.append(Hit("opportunity", offer.title, offer.link, snippet(offer.text or offer.title, query), offer.moment,
                        offer.language))
    hits.sort(key=lambda h: h.moment, reverse=True)
    start = (page - 1) * PAGE_SIZE
    return hits[start:start + PAGE_SIZE], len(hits) > page * PAGE_SIZE


async def search(request: Request) -> Response:
    node = node_of(request)
    query = " ".join(request.query_params.get("q", "").split())[:MAX_QUERY].replace("\x00", "")
    page = page_number(request)
    hits: list[Hit] = []
    more = False
    if query:
        user = await auth.current_user(request)
        wishes = multilingual.request_wishes(request, user) + [await reader_locale(request)]
        hits, more = await search_hits(node, query, page, wishes, user)
    return await render(request, "search.html", query=query, hits=hits, page=page, more=more and page < MAX_PAGE)


def routes() -> list[BaseRoute]:
    return [
        Route("/", home, methods=["GET"]),
        Route("/about", about, methods=["GET"]),
        Route("/search", search, methods=["GET"]),
        Route("/@{username}", profile, methods=["GET"]),
        Route("/tags/{tag}", tag_page, methods=["GET"]),
        Route("/remote-follow", remote_follow, methods=["GET"]),
        *feeds.routes(),
        *sitemap_pages.routes(),
    ]
