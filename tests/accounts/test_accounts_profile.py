"""Profile editing at /account: name, bio, avatar (alt required), language; the change federates."""

from __future__ import annotations

import io
import re

from PIL import Image

from node.accounts.actors import fetch_actor
from node.core.models import Actor, Media, User
from node.social.social import follow
from tests.conftest import Federation, client_for, member

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
AS2 = {"Accept": "application/activity+json"}


def photo() -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (800, 800), (250, 200, 0))
    exif = Image.Exif()
    exif.get_ifd(0x8825)[1] = "N"
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


async def test_profile_change_reaches_followers_with_the_new_icon(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    amal, password = await member(a, "amal")
    bob, _ = await member(b, "bob")
    with b.ctx:
        await follow(b, bob, await fetch_actor(b, amal.uri))
    await federation.settle()
    async with client_for(a, follow_redirects=False) as http:
        token = CSRF.search((await http.get("/login")).text).group(1)  # type: ignore[union-attr]
        await http.post("/login", data={"csrf": token, "login": "amal", "password": password})
        page = await http.get("/account")
        csrf = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        no_alt = await http.post("/account", data={"csrf": csrf, "display_name": "Amal B.", "bio": "x", "avatar_alt": ""},
                                 files={"avatar": ("me.jpg", photo(), "image/jpeg")})
        assert no_alt.status_code == 400 and "alt text" in no_alt.text
        assert 'value="Amal B."' in no_alt.text  # what was typed is kept
        with a.ctx:
            assert (await Actor.get(id=amal.id)).name == "amal" and await Media.all().count() == 0
        saved = await http.post("/account", data={
            "csrf": csrf, "display_name": "Amal B.", "bio": "Choir **leader** <script>x()</script>",
            "avatar_alt": "Amal smiling"}, files={"avatar": ("me.jpg", photo(), "image/jpeg")})
        assert saved.status_code == 303, saved.text
        page = await http.get(saved.headers["location"])
        assert "Your profile was saved" in page.text and "Choir **leader**" in page.text  # the Markdown source
        doc = (await http.get(amal.uri, headers=AS2)).json()
    assert doc["name"] == "Amal B."
    assert "<strong>leader</strong>" in doc["summary"] and "<script" not in doc["summary"]
    assert doc["icon"]["type"] == "Image" and re.fullmatch(r"http://a\.test/media/[\w-]+-\d+\.jpg", doc["icon"]["url"])
    await federation.settle()
    with b.ctx:  # bob's node received the Update of the Person
        copy = await Actor.get(uri=amal.uri)
        assert copy.name == "Amal B." and copy.icon_url == doc["icon"]["url"] and "leader" in copy.summary
    async with client_for(a) as http:
        icon = await http.get(doc["icon"]["url"].replace("http://a.test", ""))
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/jpeg"
        assert len(Image.open(io.BytesIO(icon.content)).getexif()) == 0


async def test_language_preference(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    _, password = await member(a, "amal")
    async with client_for(a, follow_redirects=False) as http:
        token = CSRF.search((await http.get("/login")).text).group(1)  # type: ignore[union-attr]
        await http.post("/login", data={"csrf": token, "login": "amal", "password": password})
        csrf = CSRF.search((await http.get("/account")).text).group(1)  # type: ignore[union-attr]
        assert (await http.post("/account/language", data={"csrf": csrf, "locale": "ar"})).status_code == 303
        with a.ctx:
            assert (await User.get(username="amal")).locale == "ar"
        bad = await http.post("/account/language", data={"csrf": csrf, "locale": "xx"})
        assert bad.status_code == 400
        assert (await http.post("/account/language", data={"csrf": csrf, "locale": ""})).status_code == 303
        with a.ctx:
            assert (await User.get(username="amal")).locale is None
    async with client_for(a, follow_redirects=False) as http:
        assert (await http.get("/account")).headers["location"] == "/login"
