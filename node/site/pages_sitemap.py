"""`/sitemap.xml` for search engines, and `/robots.txt` pointing to it: the public pages (home, about,
the forum), the association's public posts, events and initiatives, the public forum categories and
their topics. Nothing of a members-only category, no draft, held, removed or deleted content."""

from __future__ import annotations

from datetime import datetime
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from federation import vocab
from node.core.runtime import Node
from node.forum.categories import category_url
from node.forum.models import Category, Topic
from node.forum.threads import topic_url
from node.site.public_content import public_events, public_initiatives, public_posts
from node.web.pages import node_of

MAX_URLS = 50_000  # what one sitemap file may list
PER_KIND = 10_000


def _url(location: str, modified: datetime | None = None) -> str:
    moment = f"<lastmod>{vocab.iso(modified)}</lastmod>" if modified is not None else ""
    return f"<url><loc>{escape(location)}</loc>{moment}</url>"


async def sitemap_urls(node: Node) -> list[str]:
    base = node.urls.base
    urls = [_url(f"{base}/"), _url(f"{base}/about"), _url(f"{base}/forum")]
    for category in await Category.filter(read_access="public").order_by("position", "id"):
        urls.append(_url(category_url(node, category.slug), category.last_activity_at))
    topics = await (Topic.filter(category__read_access="public", held=False, removed_at=None, post__draft=False,
                                 post__deleted_at=None, post__visibility="public")
                    .order_by("-last_activity_at", "-id").limit(PER_KIND).values_list("slug", "last_activity_at"))
    urls += [_url(topic_url(node, slug), moment) for slug, moment in topics]
    posts = await (public_posts().filter(entry__id__isnull=True).order_by("-published", "-id").limit(PER_KIND)
                   .values_list("uri", "url", "published", "updated"))
    urls += [_url(url or uri, updated or published) for uri, url, published, updated in posts if node.urls.is_local(url or uri)]
    events = await public_events().order_by("-start", "-id").limit(PER_KIND).values_list("uri", "url", "updated")
    urls += [_url(url or uri, updated) for uri, url, updated in events if node.urls.is_local(url or uri)]
    initiatives = await public_initiatives().order_by("-published", "-id").limit(PER_KIND).values_list("uri", "published")
    urls += [_url(f"{base}/initiatives/" + uri.rsplit("/", 1)[-1], published) for uri, published in initiatives]
    return urls[:MAX_URLS]


async def sitemap(request: Request) -> Response:
    urls = await sitemap_urls(node_of(request))
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "\n".join(urls) + "\n</urlset>\n")
    return Response(body, media_type="application/xml; charset=utf-8", headers={"Cache-Control": "public, max-age=3600"})


async def robots(request: Request) -> Response:
    base = node_of(request).urls.base
    return PlainTextResponse(f"User-agent: *\nDisallow: /admin/\nDisallow: /search\nSitemap: {base}/sitemap.xml\n")


def routes() -> list[BaseRoute]:
    return [Route("/sitemap.xml", sitemap, methods=["GET"]), Route("/robots.txt", robots, methods=["GET"])]
