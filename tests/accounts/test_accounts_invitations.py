"""Invitations (single use, hashed token, 410 when gone) and member management with audit entries."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, timedelta, timezone

import pytest

from node.accounts import invitations, members
from node.core.models import Actor, AuditEntry, User
from node.accounts.models import Invitation
from node.core.runtime import Node
from node.accounts.passwords import check_password
from tests.conftest import client_for, member

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def admin(node: Node) -> User:
    await member(node, "root", "admin")
    with node.ctx:
        return await User.get(username="root")


def join_form(csrf: str, **over: str) -> dict[str, str]:
    form = {"csrf": csrf, "username": "nadia", "display_name": "Nadia K.", "email": "nadia@example.org",
            "password": "correct horse battery", "password2": "correct horse battery"}
    form.update(over)
    return form


async def test_invitation_creates_one_member_and_is_then_gone(node: Node, caplog: pytest.LogCaptureFixture) -> None:
    root = await admin(node)
    caplog.set_level(logging.WARNING, logger="agora.mail")
    with node.ctx:
        invitation, link = await invitations.create_invitation(node, root, "Nadia@Example.org", "editor")
        token = link.rsplit("/", 1)[1]
        assert link == f"http://a.test/invite/{token}" and len(token) >= 40
        stored = await Invitation.get(id=invitation.id)
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in stored.token_hash
        assert stored.email == "nadia@example.org"
        assert await AuditEntry.filter(action="invitation.create", user=root).count() == 1
    assert any(link in r.getMessage() for r in caplog.records if r.name == "agora.mail")  # emailed (logged)
    async with client_for(node, follow_redirects=False) as http:
        form = await http.get(f"/invite/{token}")
        assert form.status_code == 200 and 'value="nadia@example.org"' in form.text
        csrf = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
        mismatch = await http.post(f"/invite/{token}", data=join_form(csrf, password2="something else"))
        assert mismatch.status_code == 400 and "not the same" in mismatch.text
        reserved = await http.post(f"/invite/{token}", data=join_form(csrf, username="inbox"))
        assert reserved.status_code == 400 and "reserved" in reserved.text
        taken = await http.post(f"/invite/{token}", data=join_form(csrf, username="ROOT"))
        assert taken.status_code == 400 and "taken" in taken.text
        done = await http.post(f"/invite/{token}", data=join_form(csrf))
        assert done.status_code == 303 and done.headers["location"] == "/account?saved=welcome"
        assert "Welcome" in (await http.get(done.headers["location"])).text  # logged in
    with node.ctx:
        user = await User.get(username="nadia").prefetch_related("actor")
        assert user.role == "editor" and user.email == "nadia@example.org" and not user.must_change_password
        assert check_password(user, "correct horse battery")
        assert user.actor.local and user.actor.kind == "Person" and user.actor.name == "Nadia K."
        assert user.actor.uri == "http://a.test/users/nadia" and user.actor.private_key_pem
        used = await Invitation.get(id=invitation.id)
        assert used.used_at is not None and used.used_by_id == user.id  # type: ignore[attr-defined]
    async with client_for(node) as http:
        again = await http.get(f"/invite/{token}")
        assert again.status_code == 410 and "used already" in again.text
        csrf = CSRF.search((await http.get("/login")).text).group(1)  # type: ignore[union-attr]
        second = await http.post(f"/invite/{token}", data=join_form(csrf, username="other", email="o@example.org"))
        assert second.status_code == 410
        assert (await http.get("/invite/not-a-real-token")).status_code == 404
    with node.ctx:
        assert not await User.filter(username="other").exists()


async def test_expired_and_revoked_invitations_answer_410(node: Node) -> None:
    root = await admin(node)
    with node.ctx:
        expired, expired_link = await invitations.create_invitation(node, root, None)
        await Invitation.filter(id=expired.id).update(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1))
        revoked, revoked_link = await invitations.create_invitation(node, root, None, "member", days=1)
        await invitations.revoke_invitation(node, revoked, root)
        assert await AuditEntry.filter(action="invitation.revoke").count() == 1
        states = {i.id: invitations.invitation_state(i) for i in await invitations.list_invitations()}
        assert states == {expired.id: "expired", revoked.id: "revoked"}
        with pytest.raises(members.MemberError):
            await invitations.create_invitation(node, root, None, "emperor")
        with pytest.raises(members.MemberError):
            await invitations.create_invitation(node, root, "root@example.org")  # a member exists already
    async with client_for(node) as http:
        page = await http.get(expired_link.replace("http://a.test", ""))
        assert page.status_code == 410 and "expired" in page.text
        page = await http.get(revoked_link.replace("http://a.test", ""))
        assert page.status_code == 410 and "withdrawn" in page.text
        csrf = CSRF.search((await http.get("/login")).text).group(1)  # type: ignore[union-attr]
        post = await http.post(revoked_link.replace("http://a.test", ""), data=join_form(csrf))
        assert post.status_code == 410
    with node.ctx:
        assert not await User.filter(username="nadia").exists()


async def test_roles_and_disabling_are_audited_and_keep_an_admin(node: Node) -> None:
    root = await admin(node)
    await member(node, "amal")
    with node.ctx:
        amal = await User.get(username="amal")
        await members.set_role(node, amal, "moderator", root)
        assert (await User.get(id=amal.id)).role == "moderator"
        entry = await AuditEntry.get(action="user.role")
        assert entry.by == "root" and entry.target == "amal" and entry.details == {"previous": "member", "role": "moderator"}
        with pytest.raises(members.MemberError, match="last admin"):
            await members.set_role(node, root, "member", root)
        with pytest.raises(members.MemberError, match="own account"):
            await members.disable_member(node, root, root)
        with pytest.raises(members.MemberError):
            await members.set_role(node, amal, "king", root)
        await members.disable_member(node, amal, root)
        assert (await User.get(id=amal.id)).disabled
        assert await AuditEntry.filter(action="user.disable", target="amal").count() == 1
        await members.enable_member(node, amal, None, by="cli")
        assert not (await User.get(id=amal.id)).disabled
        assert (await AuditEntry.get(action="user.enable")).by == "cli"


async def test_create_member_refuses_duplicates(node: Node) -> None:
    with node.ctx:
        user, password = await members.create_member(node, "amal", "amal@example.org")
        assert user.must_change_password and len(password) >= 12
        for name, email in (("Amal", "x@example.org"), ("other", "AMAL@example.org"), ("bad name", "y@example.org"),
                            ("asso", "z@example.org")):
            with pytest.raises(members.MemberError):
                await members.create_member(node, name, email)
        with pytest.raises(members.MemberError):
            await members.create_member(node, "ok", "not-an-email")
        assert await User.all().count() == 1
        assert await Actor.filter(local=True, kind="Person").count() == 1
