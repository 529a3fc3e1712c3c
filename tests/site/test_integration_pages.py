"""The pieces joined on the public pages: Open Graph tags and the follow box on post, event and
initiative pages, report links, the association's current name in the header, the unread badge,
handles isolated for right-to-left pages, the forgotten-password link."""

from __future__ import annotations

import re
from urllib.parse import quote

from node.core.models import Notification
from node.web.pages import association_actor
from tests.conftest import Federation, client_for
from tests.helpers import logged_in, publish
from tests.site.test_public_site import head_of, make_event, make_initiative


def report_link(uri: str) -> str:
    return f'href="/report?uri={quote(uri, safe="/")}"'  # Jinja's urlencode keeps slashes


async def test_post_event_initiative_pages_share_previews_follow_box_and_report_links(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    post = await publish(a, "Solidarity *dinner* on Friday")
    event = await make_event(a, "Diaspora festival", description="Music and food from everywhere")
    initiative = await make_initiative(a, "School in the village")
    with a.ctx:
        asso = await association_actor(a)
        assert asso is not None
        asso.name = "Renamed Association"  # as the admin console does
        await asso.save()
    async with client_for(a) as http:
        for url, kind, title, words in (
            (post.uri, "article", "Renamed Association", "Solidarity dinner on Friday"),
            (event.uri, "article", "Diaspora festival", "Europe/Paris"),  # the date line
            (initiative.uri, "article", "School in the village", "Rebuild the village school"),
        ):
            page = await http.get(url)
            assert page.status_code == 200, url
            head = head_of(page.text)
            assert head.meta["og:type"] == kind and head.meta["og:url"] == url, url
            assert head.meta["og:site_name"] == "Renamed Association", url
            assert head.meta["og:title"] == title, url
            assert words in head.meta["og:description"] and head.meta["description"] == head.meta["og:description"], url
            assert sum(1 for link in head.links if link.get("rel") == "canonical") == 1, url
            assert page.text.count('property="og:title"') == 1, url  # the hand-written tags are gone
            assert report_link(url) in page.text, url
            assert 'class="follow-box"' in page.text and 'action="/remote-follow"' in page.text, url
            assert '<input type="hidden" name="target" value="asso">' in page.text, url
            assert '<bdi dir="ltr">@asso@a.test</bdi>' in page.text, url
            ids = re.findall(r'\bid="([^"]+)"', page.text)
            assert len(ids) == len(set(ids)), f"duplicate ids on {url}"
            assert '<a class="brand" href="/">Renamed Association</a>' in page.text, url
        profile = await http.get("/@asso")
        assert report_link(a.urls.actor("asso")) in profile.text
        assert '<bdi dir="ltr">@asso@a.test</bdi>' in profile.text
        login = await http.get("/login")
        assert 'href="/password/forgot"' in login.text and "Forgot your password?" in login.text


async def test_header_counts_unread_notifications(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "nadia", "member") as http:
        page = await http.get("/about")
        assert 'class="badge"' not in page.text
        with a.ctx:
            from node.core.models import User
            user = await User.get(username="nadia")
            for n in range(3):
                await Notification.create(recipient_id=user.actor_id, kind="follow", text=f"n{n}", dedupe_key=f"t{n}")  # type: ignore[attr-defined]
        page = await http.get("/about")
        assert re.search(r'<a href="/notifications">Notifications <span class="badge">\(3'
                         r'<span class="visually-hidden"> unread</span>\)</span></a>', page.text), page.text[:3000]
        with a.ctx:
            await Notification.filter(recipient_id=user.actor_id).update(read_at=user.created_at)  # type: ignore[attr-defined]
        assert 'class="badge"' not in (await http.get("/about")).text
