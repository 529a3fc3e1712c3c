"""What README.md tells an admin to deploy agrees with what the node does, and the packaging is current."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from node.core.settings import load_settings
from node.posts.content import MAX_ATTACHMENTS
from node.web.forms import FORM_MARGIN

REPO = Path(__file__).resolve().parents[2]
NGINX_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}


def nginx_block() -> str:
    blocks = re.findall(r"```nginx\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    assert len(blocks) == 1, "README.md has one nginx example"
    return str(blocks[0])


def nginx_size(value: str) -> int:
    """An nginx size ("2m", "512k", "1000"), in bytes."""
    match = re.fullmatch(r"(\d+)([kKmMgG]?)", value)
    assert match, f"not an nginx size: {value!r}"
    return int(match.group(1)) * NGINX_UNITS[match.group(2).lower()]


def test_nginx_size_reading() -> None:
    assert nginx_size("2m") == 2 * 1024 * 1024
    assert nginx_size("512K") == 512 * 1024
    assert nginx_size("1000") == 1000


def test_the_readme_proxy_lets_the_largest_form_through() -> None:
    """A body the node accepts but nginx refuses loses a member's post (413 from the proxy): the
    example's client_max_body_size must hold the largest form (MAX_ATTACHMENTS images of
    [media] max_upload_bytes and the text around them) and the largest inbox body."""
    settings = load_settings(env={})  # config/default.toml
    largest = max(settings.media.max_upload_bytes * MAX_ATTACHMENTS + FORM_MARGIN,
                  settings.federation.max_body_bytes)
    sizes = re.findall(r"client_max_body_size\s+(\S+?);", nginx_block())
    assert sizes, "the nginx example sets client_max_body_size"
    assert all(nginx_size(size) >= largest for size in sizes), (sizes, largest)


def test_the_readme_proxy_passes_what_the_node_needs() -> None:
    block = nginx_block()
    for header in ("Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"):
        assert f"proxy_set_header {header} " in block


def test_packaging_metadata_uses_an_spdx_license() -> None:
    """setuptools deprecates the license table (and the license classifiers): `pip install -e .` warned."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert isinstance(project["project"]["license"], str)
    assert not any(c.startswith("License ::") for c in project["project"].get("classifiers", []))
    requires = project["build-system"]["requires"]
    assert any(re.fullmatch(r"setuptools>=(7[7-9]|[89]\d)(\.\d+)*", r) for r in requires), requires
