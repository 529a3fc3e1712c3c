"""Property-based fuzzing of the inbox (hypothesis): thousands of generated bodies, unsigned and signed by
a real remote actor, with odd headers and broken bytes, never get a 500, and the worker handles every
stored activity without crashing. The run prints the figures (bodies tried, statuses seen per strategy).

Three strategies, EXAMPLES in all (3,000): structured activities signed by bob (the signature verifies,
so the body reaches the handlers); unsigned or badly signed activities and arbitrary JSON with noisy
signature headers and content types; raw bytes (random, or a valid activity cut or spliced, sometimes
signed after the damage)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import string
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.app import create_app
from node.core.models import Job
from node.core.settings import LimitSettings
from tests.conftest import Federation
from tests.activitypub.test_inbox import remote_b, signed

SIGNED_EXAMPLES = 1300
UNSIGNED_EXAMPLES = 1000
RAW_EXAMPLES = 700
EXAMPLES = SIGNED_EXAMPLES + UNSIGNED_EXAMPLES + RAW_EXAMPLES
ACTIVITY_TYPES = ["Create", "Update", "Delete", "Follow", "Accept", "Reject", "Undo", "Like", "Announce",
                  "Join", "Leave", "EmojiReact", "Flag", "Move", "Block", "Add", "Remove", "Question"]
OBJECT_TYPES = ["Note", "Article", "Event", "Question", "Page", "Person", "Group", "Tombstone", "Follow",
                "Join", "Like", "Image", ""]
CONTENT_TYPES = ["application/activity+json", 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
                 "application/json", "application/activity+json; charset=latin-1", "text/plain", "", "*/*",
                 "application/x-www-form-urlencoded", "APPLICATION/ACTIVITY+JSON"]
PATHS = ["/inbox", "/users/asso/inbox", "/actor/inbox", "/users/nobody/inbox"]
ASCII = string.ascii_letters + string.digits + string.punctuation + " "

scalars = st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=20)


def urls(host: str) -> st.SearchStrategy[str]:
    return st.builds(lambda path: f"http://{host}/{path}", st.text("abcdefghij/#?=", min_size=1, max_size=20))


def objects(bob: str) -> st.SearchStrategy[Any]:
    note_like = st.fixed_dictionaries(
        {"id": urls("b.test"), "type": st.sampled_from(OBJECT_TYPES)},
        optional={
            "attributedTo": st.sampled_from([bob, "http://b.test/users/other", "http://a.test/users/asso"]) | json_values,
            "content": st.text(max_size=200) | json_values,
            "contentMap": st.dictionaries(st.text(max_size=5), st.text(max_size=50), max_size=3) | json_values,
            "inReplyTo": urls("a.test") | json_values,
            "to": st.lists(st.sampled_from(["https://www.w3.org/ns/activitystreams#Public", "http://a.test/users/asso"]), max_size=2) | json_values,
            "tag": st.lists(json_values, max_size=3),
            "published": st.sampled_from(["2026-01-01T00:00:00Z", "yesterday", ""]) | json_values,
            "startTime": st.sampled_from(["2026-07-11T18:00:00+02:00", "nope"]) | json_values,
            "name": st.text(max_size=30) | json_values,
            "object": urls("a.test") | json_values,
            "actor": st.just(bob) | json_values,
        },
    )
    return st.one_of(urls("a.test"), urls("b.test"), note_like, json_values)


def activities(bob: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"id": urls("b.test"), "type": st.sampled_from(ACTIVITY_TYPES), "actor": st.just(bob)},
        optional={"object": objects(bob), "to": json_values, "cc": json_values, "@context": json_values,
                  "participationMessage": json_values, "signature": json_values},
    )


def noisy_headers(key_id: str) -> st.SearchStrategy[dict[str, str]]:
    """Signature-related headers that do not verify: garbage, or plausible with a wrong value."""
    plausible = st.builds(
        lambda kid, sig: f'keyId="{kid}",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="{sig}"',
        st.sampled_from([key_id, "http://b.test/users/nobody#main-key", "http://c.test/k", "", "not a url"]),
        st.text(string.ascii_letters + "+/=", max_size=40),
    )
    return st.fixed_dictionaries({}, optional={
        "Signature": plausible | st.text(ASCII, max_size=120),
        "Signature-Input": st.text(ASCII, max_size=120),
        "Digest": st.sampled_from(["SHA-256=AAAA", "sha-512=", "nonsense"]) | st.text(ASCII, max_size=40),
        "Content-Digest": st.text(ASCII, max_size=60),
        "Date": st.sampled_from(["Thu, 01 Jan 1970 00:00:00 GMT", "tomorrow", ""]),
    })


def damaged(body: bytes, cut: int, splice: bytes) -> bytes:
    """A valid body cut somewhere, with a few random bytes put in."""
    at = cut % (len(body) + 1)
    return body[:at] + splice + body[at + len(splice):]


def test_inbox_answers_no_500_and_the_worker_survives(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    fed = Federation(tmp_path)
    try:
        a = loop.run_until_complete(fed.add_node("a.test"))
        remote = loop.run_until_complete(remote_b(fed))
        bob = remote.bob
        assert bob.key_id
        # The rate limits would (rightly) stop one address sending thousands of bodies a minute.
        generous = LimitSettings(inbox_per_ip_per_minute=0, inbox_per_host_per_minute=0)
        app = create_app(dataclasses.replace(a.settings, limits=generous), node=a)
        http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=a.settings.base_url)
        statuses: dict[str, Counter[int]] = {"signed": Counter(), "unsigned": Counter(), "raw": Counter()}

        def send(strategy: str, body: bytes, headers: dict[str, str], path: str = "/inbox") -> None:
            status = loop.run_until_complete(http.post(path, content=body, headers=headers)).status_code
            statuses[strategy][status] += 1
            assert status < 500, (strategy, status, headers, body[:300])

        common = dict(deadline=None, derandomize=True, database=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

        @settings(max_examples=SIGNED_EXAMPLES, **common)  # type: ignore[arg-type]
        @given(doc=activities(bob.uri), path=st.sampled_from(PATHS), scheme=st.sampled_from(["cavage", "rfc9421"]))
        def signed_activities(doc: dict[str, Any], path: str, scheme: str) -> None:
            body = json.dumps(doc).encode()
            send("signed", body, signed(bob, body, url=f"http://a.test{path}", scheme=scheme), path)

        @settings(max_examples=UNSIGNED_EXAMPLES, **common)  # type: ignore[arg-type]
        @given(doc=st.one_of(activities(bob.uri), json_values), noise=noisy_headers(bob.key_id),
               content_type=st.sampled_from(CONTENT_TYPES), path=st.sampled_from(PATHS))
        def unsigned_bodies(doc: Any, noise: dict[str, str], content_type: str, path: str) -> None:
            headers = {"Content-Type": content_type, **noise} if content_type else dict(noise)
            send("unsigned", json.dumps(doc).encode(), headers, path)

        @settings(max_examples=RAW_EXAMPLES, **common)  # type: ignore[arg-type]
        @given(doc=activities(bob.uri), raw=st.binary(max_size=200), cut=st.integers(0, 10_000),
               splice=st.binary(max_size=8), mode=st.sampled_from(["random", "damaged", "damaged-signed"]),
               content_type=st.sampled_from(CONTENT_TYPES[:3]))
        def raw_bytes(doc: dict[str, Any], raw: bytes, cut: int, splice: bytes, mode: str, content_type: str) -> None:
            body = raw if mode == "random" else damaged(json.dumps(doc).encode(), cut, splice)
            headers = signed(bob, body, content_type=content_type) if mode == "damaged-signed" else {"Content-Type": content_type}
            send("raw", body, headers)

        started = time.monotonic()
        signed_activities()
        unsigned_bodies()
        raw_bytes()
        elapsed = time.monotonic() - started
        loop.run_until_complete(http.aclose())
        ran = loop.run_until_complete(a.extra["worker"].drain(max_rounds=2000))
        with a.ctx:
            jobs = loop.run_until_complete(Job.filter(kind="inbox").values_list("status", "last_error"))
        total = Counter[int]()
        for counter in statuses.values():
            total.update(counter)
        print(f"\nfuzz: {sum(total.values())} bodies in {elapsed:.1f} s, statuses {dict(sorted(total.items()))}")
        for name, counter in statuses.items():
            print(f"fuzz {name}: {sum(counter.values())} bodies, statuses {dict(sorted(counter.items()))}")
        print(f"fuzz worker: {ran} jobs run, inbox job states {dict(Counter(s for s, _ in jobs))}")
        crashes = [error for _, error in jobs if error and "FetchError" not in error and "NetworkFailure" not in error]
        assert not crashes, crashes[:5]
        assert sum(total.values()) == EXAMPLES
        assert statuses["signed"][202] > 100  # the signed strategy really reaches the handlers
        assert sum(v for k, v in total.items() if 400 <= k < 500) > 1000
    finally:
        loop.run_until_complete(fed.close())
        loop.close()
