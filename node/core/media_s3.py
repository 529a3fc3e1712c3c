"""The boto3 half of the S3 media store (node/core/media_store.py's `S3Store`).

boto3 and botocore cost about 20 MB of memory once imported, so nothing imports this module by name:
`S3Store` loads it with `importlib.import_module(S3_BACKEND)` when a node's `[media] storage = "s3"`
(or `agora backup`/`restore` reaches a bucket). A node that keeps its pictures on disk never loads it."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from node.core.settings import MediaSettings

ERRORS: tuple[type[Exception], ...] = (BotoCoreError, ClientError)  # the store refused or did not answer


def make_client(media: MediaSettings) -> Any:
    """A thread-safe S3 client for these settings (loading its service model takes a while)."""
    style = "path" if media.s3_endpoint else "virtual"  # custom stores rarely have wildcard DNS
    return boto3.session.Session().client(
        "s3", endpoint_url=media.s3_endpoint or None, region_name=media.s3_region or None,
        aws_access_key_id=media.s3_access_key or None, aws_secret_access_key=media.s3_secret_key or None,
        config=Config(signature_version="s3v4", s3={"addressing_style": style}, connect_timeout=10,
                      read_timeout=60, retries={"max_attempts": 3, "mode": "standard"}),
    )
