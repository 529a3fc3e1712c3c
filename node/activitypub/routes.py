"""GET routes that serve actors, objects, collections, WebFinger, host-meta and NodeInfo, and the inbox
endpoints: the one table of them (the views are in routes_discovery, routes_actors and routes_objects)."""

from __future__ import annotations

from starlette.routing import Route

from node.activitypub.inbox import inbox_endpoint
from node.activitypub.responses import HtmlView
from node.activitypub.routes_actors import (
    actor_view, featured_view, followers_view, following_view, instance_actor_view, instance_outbox_view,
    outbox_view,
)
from node.activitypub.routes_discovery import host_meta_view, nodeinfo_links_view, nodeinfo_view, webfinger_view
from node.activitypub.routes_objects import (
    counter_view, event_view, initiative_view, post_activity_view, post_view, replies_view,
)


def routes(html_post_view: HtmlView, html_event_view: HtmlView, html_initiative_view: HtmlView) -> list[Route]:
    return [
        Route("/.well-known/webfinger", webfinger_view),
        Route("/.well-known/host-meta", host_meta_view),
        Route("/.well-known/host-meta.json", host_meta_view),
        Route("/.well-known/nodeinfo", nodeinfo_links_view),
        Route("/nodeinfo/{version}", nodeinfo_view),
        Route("/actor", instance_actor_view),
        Route("/actor/outbox", instance_outbox_view),
        Route("/actor/inbox", inbox_endpoint, methods=["POST"]),
        Route("/inbox", inbox_endpoint, methods=["POST"]),
        Route("/users/{username}", actor_view),
        Route("/users/{username}/inbox", inbox_endpoint, methods=["POST"]),
        Route("/users/{username}/outbox", outbox_view),
        Route("/users/{username}/followers", followers_view),
        Route("/users/{username}/following", following_view),
        Route("/users/{username}/featured", featured_view),
        Route("/posts/{slug}", post_view(html_post_view)),
        Route("/events/{slug}", event_view(html_event_view)),
        Route("/initiatives/{slug}", initiative_view(html_initiative_view)),
        Route("/posts/{slug}/activity", post_activity_view),
        Route("/posts/{slug}/replies", replies_view),
        Route("/posts/{slug}/likes", counter_view("Like", "likes")),
        Route("/posts/{slug}/shares", counter_view("Announce", "shares")),
    ]
