"""The signing worker: a child process (``python -m federation.signatures.worker``) that makes the RSA
(or Ed25519) signatures of outgoing requests, so that a fan-out signs on every core while the node's
own process sends (see federation/signatures/pool.py, which starts and feeds it).

Frames on stdin: ``HEAD`` (kind, request number, key number, payload length), then the payload. Kind
``k`` gives key number ``key`` its private key (PEM; no answer unless it cannot be loaded); kind ``s``
asks for the signature of the payload with key ``key``. Each ``s`` is answered on stdout with ``HEAD``
(``o`` and the signature, or ``e`` and a reason) under its request number. The worker writes ``r``
once ready, reads whatever has arrived, signs it all and writes the answers in one go, and ends when
its stdin closes. It ignores Ctrl-C (its parent stops it).
"""

from __future__ import annotations

import os
import signal
import struct
import sys
from typing import Final

from federation.signatures.keys import PrivateKeyObject, load_private_key, sign_with

__all__ = ["HEAD", "READY", "Signer", "main"]

HEAD: Final = struct.Struct(">cIII")  # kind, request number, key number, payload length
READY: Final = b"r"
MAX_FRAME: Final = 1 << 20  # a PEM or a signing string: far less


class Signer:
    """The worker's state: its keys and the bytes not yet parsed."""

    def __init__(self) -> None:
        self.keys: dict[int, PrivateKeyObject] = {}
        self.pending = bytearray()

    def feed(self, data: bytes) -> bytes:
        """Take bytes from the parent; the answers to every complete frame in them."""
        self.pending += data
        out = bytearray()
        pos = 0
        while len(self.pending) - pos >= HEAD.size:
            kind, number, key, size = HEAD.unpack_from(self.pending, pos)
            if size > MAX_FRAME:
                raise ValueError("frame too large")
            if len(self.pending) - pos - HEAD.size < size:
                break
            payload = bytes(self.pending[pos + HEAD.size : pos + HEAD.size + size])
            pos += HEAD.size + size
            out += self.answer(kind, number, key, payload)
        del self.pending[:pos]
        return bytes(out)

    def answer(self, kind: bytes, number: int, key: int, payload: bytes) -> bytes:
        if kind == b"k":
            try:
                self.keys[key] = load_private_key(payload.decode("ascii"))
            except (ValueError, TypeError, UnicodeDecodeError) as exc:
                return _frame(b"e", number, key, f"key {key} not loaded: {type(exc).__name__}".encode())
            return b""
        private = self.keys.get(key)
        if kind != b"s" or private is None:
            return _frame(b"e", number, key, b"unknown key or request")
        try:
            return _frame(b"o", number, key, sign_with(private, payload))
        except Exception as exc:  # an answer, never a dead worker
            return _frame(b"e", number, key, f"not signed: {type(exc).__name__}".encode())


def _frame(kind: bytes, number: int, key: int, payload: bytes) -> bytes:
    return HEAD.pack(kind, number, key, len(payload)) + payload


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signer = Signer()
    os.write(1, _frame(READY, 0, 0, b""))
    while data := os.read(0, 1 << 16):
        out = signer.feed(data)
        view = memoryview(out)
        while view:
            view = view[os.write(1, view) :]


if __name__ == "__main__":
    main()
