"""Fixtures for the interop lane (run through tests/interop/run.sh).

run.sh starts the peers and exports where they are; the tests start their own
Agora node per test module (fresh data dir and port, log in the run dir).
Without that environment (e.g. during `make test`) every test here is skipped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterator

import pytest

from .harness import AgoraNode, FedifyPeer, SnacPeer, wait_for

_REQUIRED = ("INTEROP_RUN_DIR", "FEDIFY_URL", "SNAC_BIN", "SNAC_DATA", "SNAC_USER", "SNAC_PASSWORD", "SNAC_URL")


def _missing() -> list[str]:
    return [k for k in _REQUIRED if not os.environ.get(k)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    missing = _missing()
    if not missing:
        return
    skip = pytest.mark.skip(reason=f"interop lane only (run `make interop`); missing env {', '.join(missing)}")
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def run_dir() -> Path:
    return Path(os.environ["INTEROP_RUN_DIR"])


@pytest.fixture(scope="session")
def fedify(run_dir: Path) -> FedifyPeer:
    peer = FedifyPeer(url=os.environ["FEDIFY_URL"], log_path=run_dir / "fedify.log")
    assert peer.control("GET", "health").status == 200, "fedify peer is not running"
    return peer


@pytest.fixture(scope="session")
def snac(run_dir: Path) -> SnacPeer:
    return SnacPeer(
        bin=os.environ["SNAC_BIN"],
        data=Path(os.environ["SNAC_DATA"]),
        user=os.environ["SNAC_USER"],
        password=os.environ["SNAC_PASSWORD"],
        url=os.environ["SNAC_URL"],
        log_path=run_dir / "snac.log",
    )


@pytest.fixture(scope="module")
def agora(request: pytest.FixtureRequest, run_dir: Path) -> Iterator[AgoraNode]:
    """A fresh Agora node for the test module (named after the module)."""
    agora_bin = os.environ.get("AGORA_BIN", "")
    if not agora_bin or not Path(agora_bin).exists():
        pytest.fail(f"agora executable not found: {agora_bin!r}")
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    node = AgoraNode(bin=agora_bin, run_dir=run_dir, name=name)
    node.start()
    yield node
    node.stop()


@pytest.fixture(scope="module")
def state() -> dict:
    """Shared state between the ordered steps of one test module."""
    return {}


# Helpers the ordered step modules share (imported from here: ``from .conftest import need, ...``).

def need(state: dict, *keys: str) -> None:
    """Skip this step when a step it builds on failed (did not leave ``keys`` in ``state``)."""
    missing = [k for k in keys if k not in state]
    if missing:
        pytest.skip(f"prerequisite step failed (no {', '.join(missing)})")


def everyone(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer) -> Callable[[], str]:
    """What ``wait_for`` prints when it gives up: the state and logs of the node and both peers."""
    return lambda: "\n".join((agora.diagnose(), fedify.diagnose(), snac.diagnose()))


def follow_the_association(agora: AgoraNode, fedify: FedifyPeer, snac: SnacPeer) -> None:
    """Fedify and snac follow the association and both follows are accepted (2 followers)."""
    fedify.call("POST", "follow", {"target": agora.actor})
    snac.cli("follow", snac.user, f"@{agora.acct}")
    wait_for(lambda: next((r for r in fedify.received("Accept") if r["actor"] == agora.actor), None),
             "the Fedify peer to receive the association's Accept", diagnose=everyone(agora, fedify, snac))
    wait_for(lambda: (snac.following(agora.actor) or {}).get("type") == "Accept",
             "snac to confirm it follows the association", diagnose=everyone(agora, fedify, snac))
    wait_for(lambda: agora.followers()[0] == 2 or None, "the association to have 2 followers",
             diagnose=everyone(agora, fedify, snac))
