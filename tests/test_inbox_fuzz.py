"""Property-based fuzzing of the inbox (hypothesis): generated bodies, unsigned and signed by a real
remote actor, never get a 500, and the worker handles every stored activity without crashing."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.models import Job
from tests.conftest import Federation
from tests.test_inbox import post, remote_b, signed

EXAMPLES = 1000
ACTIVITY_TYPES = ["Create", "Update", "Delete", "Follow", "Accept", "Reject", "Undo", "Like", "Announce",
                  "Join", "Leave", "EmojiReact", "Flag", "Move", "Block", "Add", "Remove", "Question"]
OBJECT_TYPES = ["Note", "Article", "Event", "Question", "Page", "Person", "Group", "Tombstone", "Follow",
                "Join", "Like", "Image", ""]

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


def test_inbox_answers_no_500_and_the_worker_survives(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    fed = Federation(tmp_path)
    try:
        a = loop.run_until_complete(fed.add_node("a.test"))
        remote = loop.run_until_complete(remote_b(fed))
        bob = remote.bob
        statuses: Counter[int] = Counter()

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(doc=st.one_of(activities(bob.uri), json_values), sign=st.booleans(), raw=st.binary(max_size=64))
        def attempt(doc: Any, sign: bool, raw: bytes) -> None:
            body = json.dumps(doc).encode() if not isinstance(doc, bytes) else doc
            if doc is None and raw:
                body = raw  # not JSON at all
            headers = signed(bob, body) if sign else {"Content-Type": "application/activity+json"}
            status = loop.run_until_complete(post(a, body, headers)).status_code
            statuses[status] += 1
            assert status < 500, (status, body[:300])

        attempt()
        ran = loop.run_until_complete(a.extra["worker"].drain(max_rounds=1000))
        with a.ctx:
            jobs = loop.run_until_complete(Job.filter(kind="inbox").values_list("status", "last_error"))
        print(f"fuzz: {sum(statuses.values())} bodies, statuses {dict(sorted(statuses.items()))}, "
              f"{ran} jobs run, inbox job states {Counter(s for s, _ in jobs)}")
        crashes = [error for _, error in jobs if error and "FetchError" not in error and "NetworkFailure" not in error]
        assert not crashes, crashes[:5]
        assert statuses[202] > 0 and sum(v for k, v in statuses.items() if 400 <= k < 500) > 0
    finally:
        loop.run_until_complete(fed.close())
        loop.close()
