"""The LD canonicalization worker: a child process (``python -m federation.ldworker``) that computes
what embedded RsaSignature2017 signatures sign, so that the URDNA2015 canonicalization (pure Python,
super-linear in the document's size) never runs in the node's own process. See federation/ldguard.py,
which starts it, feeds it, times it and kills it.

Frames on stdin and stdout: a 4-byte big-endian length, then the payload. The worker writes ``r`` once
ready; then, for each request (a JSON document), it answers ``o`` + the signed data
(:func:`federation.ldsig.ld_signed_data`) or ``e`` + the reason it has none. It runs at a lower
priority than the node, ignores Ctrl-C (its parent stops it) and ends when its stdin closes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from typing import BinaryIO, Final

from federation.jsonld import JsonLdError
from federation.ldframe import HEADER, READY
from federation.ldsig import ld_signed_data

__all__ = ["HEADER", "READY", "answer", "read_frame", "serve", "write_frame"]

NICENESS: Final = 10


def read_frame(stream: BinaryIO) -> bytes | None:
    """One frame, or None at the end of the stream."""
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        return None
    (size,) = HEADER.unpack(head)
    payload = stream.read(size)
    return payload if len(payload) == size else None


def write_frame(stream: BinaryIO, payload: bytes) -> None:
    stream.write(HEADER.pack(len(payload)) + payload)
    stream.flush()


def answer(frame: bytes) -> bytes:
    """The answer to one request: ``o`` + signed data, or ``e`` + a short reason."""
    try:
        return b"o" + ld_signed_data(json.loads(frame))
    except JsonLdError as exc:
        return b"e" + f"JSON-LD: {exc}".encode()
    except Exception as exc:  # anything else a hostile document provokes is a refusal, not a crash
        return b"e" + f"cannot canonicalize: {type(exc).__name__}".encode()


def serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    write_frame(stdout, READY)
    while (frame := read_frame(stdin)) is not None:
        write_frame(stdout, answer(frame))


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.nice(NICENESS)  # the node's requests come first when both want the CPU
    serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
