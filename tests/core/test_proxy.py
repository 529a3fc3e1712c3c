"""Behind a TLS reverse proxy: forwarded headers are believed only from trusted proxy addresses, so a
signature over the public host verifies when the proxy rewrote Host."""

from __future__ import annotations

import base64
import json

import httpx2

from federation import vocab
from federation.signatures import cavage_signing_string, sign_bytes, sign_cavage
from node.core.models import Actor
from tests.conftest import Federation, member


async def signed_like(federation: Federation, client_ip: str, forwarded_host: str | None) -> int:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    bob, _ = await member(b, "bob")
    with b.ctx:
        key = await Actor.get(id=bob.id)
    body = json.dumps(vocab.activity("Like", f"{bob.uri}#likes/1", bob.uri, "http://a.test/posts/x")).encode()
    headers = {"Content-Type": "application/activity+json"}
    headers.update(sign_cavage("POST", "http://a.test/inbox", headers, body, key.key_id or "", key.private_key_pem or ""))
    headers["Host"] = "127.0.0.1:8000"  # what the proxy sends to the node
    if forwarded_host:
        headers["X-Forwarded-Host"] = forwarded_host
        headers["X-Forwarded-Proto"] = "http"
    transport = httpx2.ASGITransport(app=a.extra["app"], client=(client_ip, 40000))
    async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        return (await http.post("/inbox", content=body, headers=headers)).status_code


async def test_forwarded_host_from_a_trusted_proxy_lets_the_signature_verify(federation: Federation) -> None:
    assert await signed_like(federation, "127.0.0.1", "a.test") == 202


async def test_forwarded_host_from_anyone_else_is_ignored(federation: Federation) -> None:
    assert await signed_like(federation, "203.0.113.9", "a.test") == 401


async def test_rewritten_host_without_forwarding_header_fails(federation: Federation) -> None:
    assert await signed_like(federation, "127.0.0.1", None) == 401


async def test_percent_encoded_path_and_repeated_headers_verify(federation: Federation) -> None:
    """The signer covered the raw (encoded) target and a header sent twice, joined with ", "."""
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    bob, _ = await member(b, "bob")
    with b.ctx:
        key = await Actor.get(id=bob.id)
    body = json.dumps(vocab.activity("Like", f"{bob.uri}#likes/2", bob.uri, "http://a.test/posts/x")).encode()
    url = "http://a.test/inbox?x=%C3%A9"
    base = sign_cavage("POST", url, {"Content-Type": "application/activity+json"}, body,
                       key.key_id or "", key.private_key_pem or "")
    covered = ["(request-target)", "host", "date", "digest", "content-type", "x-extra"]
    as_signed = {"Host": "a.test", "Date": base["Date"], "Digest": base["Digest"],
                 "Content-Type": "application/activity+json", "X-Extra": "one, two"}
    text = cavage_signing_string("POST", url, as_signed, covered)
    signature = base64.b64encode(sign_bytes(key.private_key_pem or "", text.encode())).decode()
    header = f'keyId="{key.key_id}",algorithm="rsa-sha256",headers="{" ".join(covered)}",signature="{signature}"'
    headers = [("Content-Type", "application/activity+json"), ("X-Extra", "one"), ("X-Extra", "two"),
               ("Host", "a.test"), ("Date", base["Date"]), ("Digest", base["Digest"]), ("Signature", header)]
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=a.extra["app"])) as http:
        response = await http.post(url, content=body, headers=headers)
    assert response.status_code == 202, response.text
