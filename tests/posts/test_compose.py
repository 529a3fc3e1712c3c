"""Writing posts from the web: several languages (contentMap/summaryMap kept whole across two nodes,
pages in the reader's language), drafts (never federated or served until published), the preview
(nothing saved) and images (alt text required, federated as attachments, shown with srcset)."""

from __future__ import annotations

import io
import re
from datetime import datetime, timezone
from typing import Any

import httpx2
from PIL import Image

from federation import vocab
from node.core import media as media_service
from node.accounts.actors import local_actor
from node.posts.content import Draft, create_post, note_document, update_post
from node.social.delivery import publish
from node.core.models import Activity, Job, Media, Post
from node.core.runtime import Node
from tests.conftest import Federation, client_for, member
from tests.helpers import CSRF, csrf_of, follow_association, logged_in

AS2 = {"Accept": "application/activity+json"}
ARABIC = "مرحبا بكم في *المهرجان*"


def compose_form(token: str, **changes: str) -> dict[str, str]:
    values = {
        "csrf": token, "language": "en", "text": "Welcome to the *festival*", "summary": "", "visibility": "public",
        "tr_count": "2", "tr0_language": "fr", "tr0_text": "Bienvenue au *festival*", "tr0_summary": "",
        "tr1_language": "ar", "tr1_text": ARABIC, "tr1_summary": "", "action": "publish",
    }
    values.update(changes)
    return values


def png(width: int = 800, height: int = 600) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def content_of(page: httpx2.Response) -> re.Match[str]:
    """The post's content element on its page."""
    found = re.search(r'<div class="content" lang="([^"]+)"[^>]*>(.*?)</div>', page.text, re.S)
    assert found is not None, page.text
    return found


async def quiet(node: Node) -> tuple[int, int]:
    """Activities stored and jobs queued on a node: what a preview must not add to."""
    with node.ctx:
        return await Activity.all().count(), await Job.all().count()


async def test_three_languages_reach_the_follower_whole_and_each_reader_gets_theirs(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await follow_association(federation, a, b)
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/compose")
        response = await http.post("/compose", data=compose_form(token, summary="Loud music", tr0_summary="Musique forte"))
        assert response.status_code == 303, response.text
        url = response.headers["location"]
    await federation.settle()

    with b.ctx:
        copy = await Post.get(uri=url)
        assert set(copy.content_map or {}) == {"en", "fr", "ar"}  # kept whole
        assert "<em>festival</em>" in copy.content_map["fr"] and "Bienvenue" in copy.content_map["fr"]
        assert "المهرجان" in copy.content_map["ar"]
        assert copy.language == "en" and "Welcome" in copy.content
        assert copy.summary == "Loud music" and copy.summary_map == {"en": "Loud music", "fr": "Musique forte"}

    async with client_for(a) as http:
        doc = (await http.get(url, headers=AS2)).json()
        assert list(doc["contentMap"]) == ["en", "ar", "fr"] and "Welcome" in doc["content"]  # default first
        assert doc["summary"] == "Loud music" and doc["summaryMap"] == {"en": "Loud music", "fr": "Musique forte"}

        french = await http.get(url, headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
        lang, html = content_of(french).groups()
        assert lang == "fr" and "Bienvenue au <em>festival</em>" in html and "Welcome" not in html
        assert "<summary>Musique forte</summary>" in html

        arabic = await http.get(url, headers={"Accept-Language": "ar"})
        lang, html = content_of(arabic).groups()
        assert lang == "ar" and "المهرجان" in html and "Bienvenue" not in html
        assert "<summary>Loud music</summary>" in html  # no warning written in Arabic: the default one stays

        english = await http.get(url, headers={"Accept-Language": "de"})
        lang, html = content_of(english).groups()
        assert lang == "en" and "Welcome to the <em>festival</em>" in html
        assert f'href="{url}?lang=fr"' in english.text and f'href="{url}?lang=ar"' in english.text
        assert 'hreflang="ar"' in english.text

        chosen = await http.get(f"{url}?lang=fr", headers={"Accept-Language": "ar"})
        assert content_of(chosen).group(1) == "fr"  # a link to a version wins over the browser


async def test_editing_keeps_every_language_and_the_update_carries_them(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await follow_association(federation, a, b)
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/compose")
        url = (await http.post("/compose", data=compose_form(token))).headers["location"]
        edit = await http.get(f"/posts/{url.rsplit('/', 1)[-1]}/edit")
        assert edit.status_code == 200
        assert 'value="fr"' in edit.text and "Bienvenue au *festival*" in edit.text and "المهرجان" in edit.text
        response = await http.post(f"/posts/{url.rsplit('/', 1)[-1]}/edit", data=compose_form(
            token, text="Welcome to the *new* festival", tr0_text="Bienvenue au *nouveau* festival"))
        assert response.status_code == 303, response.text
    await federation.settle()
    with a.ctx:
        update = await Activity.get(kind="Update", outgoing=True)
        assert set(update.data["object"]["contentMap"]) == {"en", "fr", "ar"}
    with b.ctx:
        copy = await Post.get(uri=url)
        assert "<em>nouveau</em>" in copy.content_map["fr"] and "<em>new</em>" in copy.content
        assert "المهرجان" in copy.content_map["ar"] and copy.updated is not None

    # an edit that gives no translations (the CLI's) keeps them
    with a.ctx:
        post = await Post.get(uri=url)
        await update_post(a, post, Draft(text="Welcome, *everyone*"))
        post = await Post.get(uri=url)
        assert set(post.content_map or {}) == {"en", "fr", "ar"} and "<em>everyone</em>" in post.content_map["en"]


async def test_translation_mistakes_are_refused_with_the_reason(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/compose")
        twice = await http.post("/compose", data=compose_form(token, tr1_language="fr"))
        assert twice.status_code == 400 and "written twice" in twice.text
        nameless = await http.post("/compose", data=compose_form(token, tr1_language=""))
        assert nameless.status_code == 400 and "give its language" in nameless.text
        assert ARABIC in nameless.text  # what was written comes back
        empty = await http.post("/compose", data=compose_form(token, tr0_text="", tr0_summary="Attention"))
        assert empty.status_code == 400 and "write the text in that language" in empty.text
    with a.ctx:
        assert not await Post.filter(local=True).exists()


async def test_add_a_language_shows_one_more_block_and_keeps_what_was_written(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/compose")
        page = await http.post("/compose", data=compose_form(token, action="add_language"))
        assert page.status_code == 200
        assert 'name="tr2_language"' in page.text and 'name="tr3_language"' not in page.text
        assert "Bienvenue au *festival*" in page.text and 'value="3"' in page.text
    with a.ctx:
        assert not await Post.filter(local=True).exists()


async def test_preview_shows_each_language_and_saves_nothing(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/compose")
        before = await quiet(a)
        page = await http.post("/compose", data=compose_form(token, action="preview", summary="Loud"))
        assert page.status_code == 200
        preview = page.text.split('class="preview"', 1)[1].split("</section>", 1)[0]
        assert '<div class="content" lang="fr">' in preview and "Bienvenue au <em>festival</em>" in preview
        assert 'lang="ar" dir="rtl"' in preview and "المهرجان</em>" in preview
        assert "<summary>Loud</summary>" in preview
        assert "Welcome to the *festival*" in page.text  # the form is there again, filled in
        assert await quiet(a) == before
        empty = await http.post("/compose", data=compose_form(token, action="preview", text=" "))
        assert empty.status_code == 400 and "empty" in empty.text
    with a.ctx:
        assert not await Post.filter(local=True).exists()


async def test_drafts_stay_home_until_published(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await follow_association(federation, a, b)
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/compose")
        response = await http.post("/compose", data=compose_form(token, action="draft", text="Draft *agenda*"))
        assert response.status_code == 303
        url = response.headers["location"]
        mine = await http.get(url)
        assert mine.status_code == 200 and "Draft: not published" in mine.text and "<em>agenda</em>" in mine.text
        drafts = await http.get("/drafts")
        assert drafts.status_code == 200 and "Draft agenda" in drafts.text and f'href="{url.split("a.test", 1)[1]}/edit"' in drafts.text
        home = await http.get("/")
        assert "agenda" not in home.text
    await federation.settle()
    with a.ctx:
        draft = await Post.get(uri=url)
        assert draft.draft and not await Activity.filter(kind="Create", outgoing=True).exists()
        saved_at = draft.published
    with b.ctx:
        assert not await Post.filter(uri=url).exists()
    async with client_for(a) as visitor:
        assert (await visitor.get(url)).status_code == 404
        assert (await visitor.get(url, headers=AS2)).status_code == 404
        assert (await visitor.get(f"{url}/activity", headers=AS2)).status_code == 404
        assert (await visitor.get(f"{url}/replies", headers=AS2)).status_code == 404
        outbox = (await visitor.get("/users/asso/outbox", headers=AS2)).json()
        assert outbox["totalItems"] == 0
        for feed in ("/feed.rss", "/feed.atom", "/tags/festival", "/@asso"):
            page = await visitor.get(feed)
            assert "agenda" not in page.text, feed
    async with logged_in(a, "dan", "member") as dan:
        assert (await dan.get(url)).status_code == 404
        assert (await dan.get("/drafts")).status_code == 403

    async with logged_in(a, "erin", "editor") as http:
        token = await csrf_of(http, "/drafts")
        with a.ctx:
            post_id = (await Post.get(uri=url)).id
        response = await http.post("/drafts", data={"csrf": token, "kind": "post", "id": str(post_id), "do": "publish"})
        assert response.status_code == 303
        again = await http.post("/drafts", data={"csrf": token, "kind": "post", "id": str(post_id), "do": "publish"})
        assert again.status_code == 400
    await federation.settle()
    with a.ctx:
        published = await Post.get(uri=url)
        assert not published.draft and published.published > saved_at
    with b.ctx:
        copy = await Post.get(uri=url)
        assert "<em>agenda</em>" in copy.content and abs((copy.published - published.published).total_seconds()) < 1
    async with client_for(a) as visitor:
        assert (await visitor.get(url, headers=AS2)).status_code == 200


async def test_a_draft_is_edited_then_published_from_its_form(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await follow_association(federation, a, b)
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/compose")
        url = (await http.post("/compose", data=compose_form(token, action="draft"))).headers["location"]
        edit_path = f"/posts/{url.rsplit('/', 1)[-1]}/edit"
        form = await http.get(edit_path)
        assert "Save as draft" in form.text and "Publish" in form.text
        await http.post(edit_path, data=compose_form(token, action="draft", text="Second *draft*", visibility="unlisted"))
        await federation.settle()
        with b.ctx:
            assert not await Post.filter(uri=url).exists()
        with a.ctx:
            post = await Post.get(uri=url)
            assert post.draft and post.visibility == "unlisted" and "<em>draft</em>" in post.content
        response = await http.post(edit_path, data=compose_form(token, action="publish", text="Final *text*", visibility="public"))
        assert response.status_code == 303
    await federation.settle()
    with b.ctx:
        copy = await Post.get(uri=url)
        assert "<em>text</em>" in copy.content and copy.visibility == "public" and set(copy.content_map or {}) == {"en", "fr", "ar"}


async def test_an_image_federates_with_its_alt_text_and_shows_in_every_size(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await follow_association(federation, a, b)
    async with logged_in(a, "carla", "editor") as http:
        page = await http.get("/compose")
        assert 'enctype="multipart/form-data"' in page.text and 'name="image1"' in page.text
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        response = await http.post("/compose", data=compose_form(token, alt1="A red banner over the stage"),
                                   files={"image1": ("stage.png", png(), "image/png")})
        assert response.status_code == 303, response.text
        url = response.headers["location"]
        page = await http.get(url)
    await federation.settle()
    with a.ctx:
        media = await Media.get()
        assert media.alt == "A red banner over the stage" and (media.width, media.height) == (800, 600)
    with b.ctx:
        copy = await Post.get(uri=url)
        [attachment] = copy.attachments
        assert attachment["name"] == "A red banner over the stage" and attachment["mediaType"].startswith("image/")
        assert attachment["url"].startswith("http://a.test/media/") and attachment["width"] == 800
    image = re.search(r"<img [^>]*>", page.text.split('class="content"', 1)[1])
    assert image is not None
    tag = image.group(0)
    assert 'alt="A red banner over the stage"' in tag and 'loading="lazy"' in tag
    assert 'width="800"' in tag and 'height="600"' in tag and 'sizes="' in tag
    assert re.search(r'srcset="[^"]*320w[^"]*800w"', tag), tag
    async with client_for(a) as http:
        src = re.search(r'src="([^"]+)"', tag).group(1)  # type: ignore[union-attr]
        served = await http.get(src)
        assert served.status_code == 200 and served.headers["content-type"].startswith("image/")
        doc = (await http.get(url, headers=AS2)).json()
        assert doc["attachment"][0]["name"] == "A red banner over the stage"

    # the edit form keeps the image; a better description goes out in the Update
    async with logged_in(a, "erin", "editor") as http:
        edit_path = f"/posts/{url.rsplit('/', 1)[-1]}/edit"
        edit = await http.get(edit_path)
        key = re.search(r'name="media1" value="([^"]+)"', edit.text).group(1)  # type: ignore[union-attr]
        assert 'class="thumb"' in edit.text and "A red banner over the stage" in edit.text
        token = CSRF.search(edit.text).group(1)  # type: ignore[union-attr]
        response = await http.post(edit_path, data=compose_form(token, media1=key, alt1="A red banner, stage left"))
        assert response.status_code == 303, response.text
    await federation.settle()
    with b.ctx:
        copy = await Post.get(uri=url)
        assert [att["name"] for att in copy.attachments] == ["A red banner, stage left"]


async def test_an_image_without_alt_text_is_refused_and_nothing_is_kept(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/compose")
        response = await http.post("/compose", data=compose_form(token, alt1="  "),
                                   files={"image1": ("stage.png", png(), "image/png")})
        assert response.status_code == 400
        assert "image 1 has no description: write its alt text" in response.text
        assert "Welcome to the *festival*" in response.text
        broken = await http.post("/compose", data=compose_form(token, alt1="A picture"),
                                 files={"image1": ("stage.png", b"not an image at all", "image/png")})
        assert broken.status_code == 400 and "image 1" in broken.text
    with a.ctx:
        assert not await Post.filter(local=True).exists()
        assert not await Media.all().exists()


async def test_an_image_chosen_before_a_preview_is_kept_for_publishing(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with logged_in(a, "carla", "editor") as http:
        token = await csrf_of(http, "/compose")
        page = await http.post("/compose", data=compose_form(token, action="preview", alt1="Stage"),
                               files={"image1": ("stage.png", png(), "image/png")})
        assert page.status_code == 200
        key = re.search(r'name="media1" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        assert 'alt="Stage"' in page.text.split('class="preview"', 1)[1]
        with a.ctx:
            assert not await Post.filter(local=True).exists()
        response = await http.post("/compose", data=compose_form(token, media1=key, alt1="The stage at night"))
        assert response.status_code == 303
    with a.ctx:
        post = await Post.get(local=True)
        assert [att["name"] for att in post.attachments] == ["The stage at night"]
        assert post.data and post.data["images"][0]["key"] == key
    # someone else's media key is not taken
    async with logged_in(a, "erin", "editor") as http:
        with a.ctx:
            stranger, _ = await member(a, "frank")
            other = await media_service.store_upload(a, stranger, png(40, 40), "Frank's cat")
        token = await csrf_of(http, "/compose")
        refused = await http.post("/compose", data=compose_form(token, media1=other.key, alt1="Mine now"))
        assert refused.status_code == 400 and "not available" in refused.text


async def test_remote_images_show_as_links_never_loaded_from_their_server(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    bob = await follow_association(federation, a, b)
    with a.ctx:
        post = await create_post(a, await local_actor("asso"), Draft(text="Photos of the day?"))
    picture: dict[str, Any] = {"type": "Document", "mediaType": "image/jpeg", "url": "http://b.test/media/photo.jpg",
                               "name": "Children singing on the stage"}
    with b.ctx:
        await create_post(b, bob, Draft(text="Here is one", in_reply_to=post.uri, attachments=(picture,)))
    await federation.settle()
    with a.ctx:
        reply = await Post.get(in_reply_to_uri=post.uri)
        assert reply.attachments[0]["name"] == "Children singing on the stage"
    async with client_for(a) as http:
        page = await http.get(post.uri)
        assert 'href="http://b.test/media/photo.jpg"' in page.text and "Children singing on the stage" in page.text
        assert 'src="http://b.test' not in page.text


async def test_incoming_language_maps_are_kept_whole_and_sanitized(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    bob = await follow_association(federation, a, b)
    with a.ctx:
        post = await create_post(a, await local_actor("asso"), Draft(text="Question for everyone"))
    with b.ctx:
        reply = await create_post(b, bob, Draft(text="Answer", in_reply_to=post.uri))
    # another server's Update with maps of its own (one value carrying a script)
    with b.ctx:
        note = note_document(b, reply, bob)
        note["contentMap"] = {"en": "<p>Answer</p>", "fr": "<p>Réponse<script>alert(1)</script></p>", "ti": "<p>መልሲ</p>"}
        note["summaryMap"] = {"en": "Long", "fr": "Long aussi"}
        note["updated"] = vocab.iso(datetime.now(timezone.utc), precise=True)
        note.pop("@context")
        await publish(b, bob, vocab.activity("Update", f"{reply.uri}#u1", bob.uri, note, to=reply.to, cc=reply.cc),
                      recipients=[a.urls.actor("asso")])
    await federation.settle()
    with a.ctx:
        copy = await Post.get(uri=reply.uri)
        assert list(copy.content_map or {}) == ["en", "fr", "ti"]
        assert "<script>" not in copy.content_map["fr"] and "Réponse" in copy.content_map["fr"]
        assert copy.summary_map == {"en": "Long", "fr": "Long aussi"}
    async with client_for(a) as http:
        page = await http.get(post.uri, headers={"Accept-Language": "ti"})
        assert 'lang="ti"' in page.text and "መልሲ" in page.text
