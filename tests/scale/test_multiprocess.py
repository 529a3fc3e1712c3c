"""One node as four processes, as on several machines: two `agora serve` (each its own port and data
directory, the node's one base_url, as behind a load balancer) and two `agora worker`, on PostgreSQL (a
private database), Redis (the shared counters) and an S3-protocol server (moto's server mode, the
pictures). Remote servers are played by tests/scale/sink.py, which verifies every delivery's signature.

It checks that:
- signed inbox traffic sent to both servers is taken by either: remote follows arrive through both and
  every follower gets its Accept;
- posts published through each server reach every follower exactly once: delivery is at least once
  only across a crash (README, "Health and faults"); nothing is killed here, so any repeat is a bug;
- the per-host inbox limit holds for the node as a whole: 2 x LIMIT signed POSTs from one host, spread
  over both servers, get exactly LIMIT 202s, and both servers answer 429 once it is spent;
- a picture uploaded through one server is served by the other (from the bucket).

PostgreSQL or Redis not answering fails the test with a message saying so: nothing is skipped."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import pytest
import redis

from federation import vocab
from federation.signatures import generate_key_pair, sign_cavage
from tests.core.test_media_service import jpeg_with_gps
from tests.scale.cluster import HANDLE, Cluster, ClusterError, check_postgres, create_database, drop_database, start_sink
from tests.scale.services import (
    ACCESS_KEY, REDIS_URL, REGION, SECRET_KEY, bucket_objects, clear_redis_prefix, free_port, new_bucket, s3_server,
)

LIMIT = 30  # inbox POSTs per remote host per minute, for the node as a whole
FOLLOWERS = 8
SETTINGS = """[worker]
in_process = false
concurrency = 4
poll_interval = 0.1

[limits]
storage_url = "{redis}"
key_prefix = "{prefix}"
inbox_per_host_per_minute = {limit}
inbox_per_ip_per_minute = 100000
login_per_ip_per_minute = 100000
forms_per_ip_per_minute = 100000

[media]
storage = "s3"
s3_endpoint = "{endpoint}"
s3_bucket = "{bucket}"
s3_region = "{region}"
s3_access_key = "{access_key}"
s3_secret_key = "{secret_key}"
s3_prefix = "media/"
"""


def require_services() -> None:
    try:
        asyncio.run(check_postgres())
    except ClusterError as exc:
        pytest.fail(str(exc))
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=5).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({exc}): the multi-process test needs it "
                    "(.ci/run starts redis-server when it is not running)")


class Remote:
    """Remote actors living on the sink, all with one key; they sign what they send to the node."""

    def __init__(self, cluster: Cluster, sink_port: int, private_pem: str) -> None:
        self.cluster = cluster
        self.sink_port = sink_port
        self.private_pem = private_pem
        self.node_actor = f"{cluster.base_url}/users/{HANDLE}"

    def actor(self, host: str, name: str) -> str:
        return f"http://{host}:{self.sink_port}/users/{name}"

    def post(self, server_port: int, path: str, doc: dict[str, Any]) -> int:
        """POST a signed activity to one server, as a load balancer would pass it (the node's Host)."""
        body = json.dumps(doc).encode()
        headers = {"Content-Type": "application/activity+json", "Host": self.cluster.base_url.removeprefix("http://")}
        headers.update(sign_cavage("POST", self.cluster.base_url + path, headers, body, f"{doc['actor']}#main-key",
                                   self.private_pem))
        return httpx2.post(f"http://127.0.0.1:{server_port}{path}", content=body, headers=headers, timeout=30).status_code

    def follow(self, server_port: int, name: str) -> int:
        actor = self.actor("127.0.0.1", name)
        doc = vocab.activity("Follow", f"{actor}/follows/{uuid.uuid4().hex}", actor, self.node_actor)
        return self.post(server_port, "/inbox", doc)

    def like(self, server_port: int, name: str, post_uri: str) -> int:
        actor = self.actor("localhost", name)  # another host than the followers: its own inbox budget
        doc = {"@context": vocab.AS2, "id": f"{actor}/likes/{uuid.uuid4().hex}", "type": "Like", "actor": actor,
               "object": post_uri}
        return self.post(server_port, f"/users/{HANDLE}/inbox", doc)


def wait_for(what: str, check: Any, cluster: Cluster, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        cluster.check_alive()
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {p.name}\n{p.tail(15)}" for p in cluster.procs)
            raise AssertionError(f"{what}: not within {timeout:.0f} s\n{logs}")
        time.sleep(0.2)


def csrf_of(page: httpx2.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def logged_in(cluster: Cluster, port: int) -> httpx2.Client:
    http = httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    token = csrf_of(http.get("/login"))
    answer = http.post("/login", data={"csrf": token, "login": "admin", "password": cluster.admin_password})
    assert answer.status_code == 303, answer.text[:500]
    return http


def publish(http: httpx2.Client, text: str) -> None:
    token = csrf_of(http.get("/compose"))
    answer = http.post("/compose", data={"csrf": token, "text": text, "language": "en", "visibility": "public",
                                         "action": "publish"})
    assert answer.status_code == 303, answer.text[:500]


def received(sink_port: int) -> dict[str, dict[str, int]]:
    stats = httpx2.get(f"http://127.0.0.1:{sink_port}/stats", timeout=10).json()
    assert stats["failed"] == 0, stats["reasons"]  # every delivery carried a valid signature
    return dict(stats["received"])


def inbox_burst(remote: Remote, ports: tuple[int, int], post_uri: str) -> dict[int, Counter[int]]:
    """2 x LIMIT Likes from one remote host, alternately to each server, inside one minute's window."""
    if time.time() % 60 > 20:  # the burst stays inside one window of the limit (windows turn on the minute)
        time.sleep(60.5 - time.time() % 60)
    window = int(time.time() // 60)
    with ThreadPoolExecutor(8) as pool:  # at once, so that it lasts seconds even on a busy machine
        answers = list(pool.map(lambda n: (ports[n % 2], remote.like(ports[n % 2], f"l{n % 4}", post_uri)),
                                range(2 * LIMIT)))
    assert int(time.time() // 60) == window, "the burst lasted over 40 s: the limit's window turned meanwhile"
    statuses: dict[int, Counter[int]] = {port: Counter() for port in ports}
    for port, status in answers:
        statuses[port][status] += 1
    return statuses


def run_node(cluster: Cluster, endpoint: str, bucket: str, tmp_path: Path) -> None:
    private_pem, public_pem = generate_key_pair()
    (tmp_path / "remote.pem").write_text(public_pem)
    sink_port = free_port()
    start_sink(cluster, tmp_path / "remote.pem", sink_port)
    a, b = cluster.serve("serve-a", cluster.base_port), cluster.serve("serve-b")
    cluster.worker("worker-1")
    cluster.worker("worker-2")
    cluster.wait_ready(a)
    cluster.wait_ready(b)
    assert a.port is not None and b.port is not None
    remote = Remote(cluster, sink_port, private_pem)
    inboxes = [f"/inbox/f{i}" for i in range(FOLLOWERS)]

    # signed inbox traffic through both servers: the follows, and their Accepts through the workers
    assert [remote.follow((a.port, b.port)[i % 2], f"f{i}") for i in range(FOLLOWERS)] == [202] * FOLLOWERS
    wait_for("every follower's Accept", lambda: all(received(sink_port).get(i) for i in inboxes), cluster)

    # one post published through each server: each follower gets each Create once
    first, second = logged_in(cluster, a.port), logged_in(cluster, b.port)
    publish(first, "Published through the first server")
    publish(second, "Published through the second server")

    wait_for("both posts at every follower", lambda: len(set().union(*[received(sink_port).get(i, {}) for i in inboxes]))
             >= 3 and all(len(received(sink_port).get(i, {})) >= 3 for i in inboxes), cluster)
    time.sleep(3)  # room for a repeat to show, were a job taken by both workers
    got = received(sink_port)
    repeated = {inbox: {k: n for k, n in ids.items() if n > 1} for inbox, ids in got.items()}
    assert all(not r for r in repeated.values()), repeated
    ids = [set(got[i]) for i in inboxes]
    assert all(len(s) == 3 for s in ids), got  # the Accept and the two Creates, nothing else, nothing twice
    shared = set.intersection(*[{k for k in s if "follows" not in k} for s in ids])
    assert len(shared) == 2, got  # the same two posts everywhere

    # the inbox limit per remote host holds across both servers
    post_uri = next(iter(sorted(shared))).removesuffix("/activity")
    statuses = inbox_burst(remote, (a.port, b.port), post_uri)
    total = sum(statuses.values(), Counter())
    assert total[202] == LIMIT and total[429] == LIMIT, statuses
    assert all(s[429] > 0 and s[202] > 0 for s in statuses.values()), statuses

    # a picture uploaded through the first server is served by the second, from the bucket
    token = csrf_of(first.get("/compose"))
    picture = jpeg_with_gps((900, 600))
    upload = first.post("/media", data={"csrf": token, "alt": "A red flag"},
                        files={"file": ("flag.jpg", picture, "image/jpeg")})
    assert upload.status_code == 201, upload.text[:500]
    name = re.search(r"/media/([A-Za-z0-9_-]{16,64}-[0-9]+\.jpg)", upload.text)
    assert name, upload.text[:500]
    served = httpx2.get(f"http://127.0.0.1:{b.port}/media/{name.group(1)}", timeout=30)
    assert served.status_code == 302 and served.headers["location"].startswith(endpoint)
    fetched = httpx2.get(served.headers["location"], timeout=30)
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "image/jpeg"
    assert fetched.content == bucket_objects(endpoint, bucket)[f"media/{name.group(1)}"]
    assert not any((cluster.workdir / p / "media").exists() for p in ("serve-a", "serve-b"))
    first.close()
    second.close()


def test_two_servers_and_two_workers_share_limits_deliveries_and_media(tmp_path: Path) -> None:
    require_services()
    prefix = f"agora-scale-{uuid.uuid4().hex[:10]}"
    with s3_server() as endpoint:
        bucket = new_bucket(endpoint)
        database = asyncio.run(create_database())
        cluster = Cluster(tmp_path, database, free_port())
        try:
            cluster.init(SETTINGS.format(redis=REDIS_URL, prefix=prefix, limit=LIMIT, endpoint=endpoint, bucket=bucket,
                                         region=REGION, access_key=ACCESS_KEY, secret_key=SECRET_KEY))
            run_node(cluster, endpoint, bucket, tmp_path)
        finally:
            cluster.stop_all()
            asyncio.run(drop_database(database))
            clear_redis_prefix(prefix)
