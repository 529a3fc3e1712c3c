"""Fixtures for the interop lane (run through tests/interop/run.sh).

run.sh starts the peers and exports where they are; the tests start their own
Agora node per test module (fresh data dir and port, log in the run dir).
Without that environment (e.g. during `make test`) every test here is skipped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from .harness import AgoraNode, FedifyPeer, SnacPeer

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
