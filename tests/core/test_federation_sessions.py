"""Federation requests skip the session machinery (node/web/auth.Sessions); pages keep it."""

from __future__ import annotations

from node.web.auth import federation_request
from tests.conftest import Federation, client_for

AS2 = {"Accept": "application/activity+json"}


def scope(path: str, method: str = "GET", accept: bytes | None = None) -> dict[str, object]:
    headers = [(b"accept", accept)] if accept is not None else []
    return {"type": "http", "path": path, "method": method, "headers": headers}


def test_which_requests_are_federation_requests() -> None:
    for path in ("/.well-known/webfinger", "/nodeinfo/2.0", "/inbox", "/actor", "/actor/inbox",
                 "/users/asso/inbox", "/users/asso/outbox", "/users/asso/followers", "/posts/x/activity"):
        assert federation_request(scope(path, "POST" if "inbox" in path else "GET")), path
    assert federation_request(scope("/users/asso", accept=b"application/activity+json"))
    assert federation_request(scope("/posts/x", accept=b'application/ld+json; profile="..."'))
    for path in ("/", "/users/asso", "/posts/x", "/login", "/@asso", "/admin", "/actors"):
        assert not federation_request(scope(path, accept=b"text/html")), path
    assert not federation_request(scope("/login", "POST", accept=b"application/activity+json"))


async def test_federation_answers_set_no_cookie_and_pages_still_do(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    async with client_for(a) as http:
        page = await http.get("/login")
        assert page.status_code == 200 and "agora_session" in page.headers.get("set-cookie", "")
        cookie = http.cookies.get("agora_session")
        assert cookie
        for path, headers in (("/users/asso", AS2), ("/.well-known/nodeinfo", {}), ("/actor", AS2),
                              ("/users/asso/outbox", AS2), ("/.well-known/no-such-thing", {})):
            response = await http.get(path, headers=headers)
            assert response.status_code < 500, path
            assert "set-cookie" not in response.headers, path
        assert http.cookies.get("agora_session") == cookie  # the browser's session was left as it was
