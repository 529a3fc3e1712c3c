"""Password reset by a signed, single-use, one-hour link; password change from /account."""

from __future__ import annotations

import logging
import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from itsdangerous import TimestampSigner

from node.accounts import password_reset
from node.core.models import User
from node.core.runtime import Node
from node.accounts.passwords import check_password
from tests.conftest import client_for, member
from tests.helpers import CSRF, csrf_of

LINK = re.compile(r"http://a\.test/password/reset/(\S+)")


async def ask_reset(http, login: str) -> str:  # type: ignore[no-untyped-def]
    response = await http.post("/password/forgot", data={"csrf": await csrf_of(http, "/password/forgot"), "login": login})
    assert response.status_code == 200
    return str(response.text)


def mailed_links(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [m.group(1) for r in caplog.records if r.name == "agora.mail" for m in [LINK.search(r.getMessage())] if m]


async def test_forgot_answers_the_same_and_mails_a_working_link(node: Node, caplog: pytest.LogCaptureFixture) -> None:
    await member(node, "amal")
    with node.ctx:
        await User.filter(username="amal").update(failed_logins=7, locked_until=datetime.now(timezone.utc) + timedelta(hours=1))
    caplog.set_level(logging.WARNING, logger="agora.mail")
    async with client_for(node, follow_redirects=False) as http:
        unknown = await ask_reset(http, "nobody@example.org")
        assert mailed_links(caplog) == []
        known = await ask_reset(http, "AMAL@example.org")  # by email, any case
        strip = lambda text: re.sub(r'name="csrf" value="[^"]+"', "", text)  # noqa: E731
        assert strip(unknown) == strip(known)  # nothing tells whether the account exists
        [token] = mailed_links(caplog)
        await ask_reset(http, "amal")  # by username too
        assert len(mailed_links(caplog)) == 2

        form = await http.get(f"/password/reset/{token}")
        assert form.status_code == 200 and form.headers["cache-control"] == "no-store"
        csrf = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
        short = await http.post(f"/password/reset/{token}", data={"csrf": csrf, "password": "short", "password2": "short"})
        assert short.status_code == 400 and "at least 10" in short.text
        differ = await http.post(f"/password/reset/{token}", data={"csrf": csrf, "password": "0123456789a", "password2": "0123456789b"})
        assert differ.status_code == 400 and "not the same" in differ.text
        done = await http.post(f"/password/reset/{token}", data={"csrf": csrf, "password": "a long new secret", "password2": "a long new secret"})
        assert done.status_code == 303 and done.headers["location"].startswith("/account")
        assert (await http.get("/account")).status_code == 200  # logged in
        again = await http.get(f"/password/reset/{token}")
        assert again.status_code == 410  # single use: the password it was made for is gone
    with node.ctx:
        user = await User.get(username="amal")
        assert check_password(user, "a long new secret")
        assert user.failed_logins == 0 and user.locked_until is None and not user.must_change_password


async def test_tampered_expired_and_disabled_links_fail(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    await member(node, "amal")
    with node.ctx:
        user = await User.get(username="amal")
        token = password_reset.reset_token(node, user)
        assert (await password_reset.user_for_reset(node, token)).id == user.id  # type: ignore[union-attr]
        assert await password_reset.user_for_reset(node, token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
        other_secret = node.settings.__class__(**{**node.settings.__dict__, "secret_key": "another"})
        forged = password_reset.reset_token(node.__class__(**{**node.__dict__, "settings": other_secret}), user)
        assert await password_reset.user_for_reset(node, forged) is None
        real_time = time.time
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(real_time()) - 3601)
        old = password_reset.reset_token(node, user)
        monkeypatch.undo()
        assert await password_reset.user_for_reset(node, old) is None  # older than one hour
        user.disabled = True
        await user.save()
        assert await password_reset.user_for_reset(node, token) is None
    async with client_for(node) as http:
        for bad in (token, "x", "a" * 600, "..%2F..%2Fetc"):
            assert (await http.get(f"/password/reset/{bad}")).status_code in (404, 410)


async def test_change_password_needs_the_current_one(node: Node) -> None:
    _, password = await member(node, "amal")
    async with client_for(node, follow_redirects=False) as http:
        await http.post("/login", data={"csrf": await csrf_of(http, "/login"), "login": "amal", "password": password})
        page = await http.get("/account")
        assert page.status_code == 200 and "one-time password" in page.text
        csrf = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        wrong = await http.post("/account/password", data={"csrf": csrf, "current": "nope", "password": "0123456789ab", "password2": "0123456789ab"})
        assert wrong.status_code == 400 and "current password is wrong" in wrong.text
        no_csrf = await http.post("/account/password", data={"current": password, "password": "0123456789ab", "password2": "0123456789ab"})
        assert no_csrf.status_code == 403
        ok = await http.post("/account/password", data={"csrf": csrf, "current": password, "password": "0123456789ab", "password2": "0123456789ab"})
        assert ok.status_code == 303
    with node.ctx:
        user = await User.get(username="amal")
        assert check_password(user, "0123456789ab") and not user.must_change_password
