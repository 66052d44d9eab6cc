"""Length-prefixed frames over pipes, each tagged with who sent it.

A frame is a 4-byte big-endian length, one tag byte and a payload packed by :func:`autograder.protocol.pack`.
The zygote writes every frame it relays from a subject with tag ``C`` and its own with tag ``Z``, so nothing a
student's code writes can pass for a message of the (trusted) zygote.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import select
import struct
import time

from .. import protocol

HEADER = struct.Struct(">IB")
CHILD, ZYGOTE = ord("C"), ord("Z")


class ChannelClosed(EOFError):
    """The other end closed the pipe (its process ended)."""


class ChannelTimeout(TimeoutError):
    """No whole frame arrived before the deadline."""


#: Pipe capacity asked for: a probe's reply (MB of weights) then crosses in a few reads, not hundreds of 64 KB ones.
PIPE_BYTES = 1 << 20


def pipe() -> tuple[int, int]:
    """``os.pipe()`` with a 1 MB buffer where the system allows it (fewer wake-ups per reply)."""
    read_fd, write_fd = os.pipe()
    # Above /proc/sys/fs/pipe-max-size, or not Linux: the default buffer works, only slower.
    with contextlib.suppress(OSError):
        fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    return read_fd, write_fd


def encode(tag: int, message) -> bytes:
    """One frame holding ``message`` (plain data)."""
    return frame(tag, protocol.pack(message))


def frame(tag: int, payload: bytes) -> bytes:
    """One frame holding an already packed ``payload`` (what the zygote relays under its own tag)."""
    return HEADER.pack(len(payload), tag) + payload


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd``."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def send(fd: int, tag: int, message) -> None:
    """Send ``message`` as one frame."""
    write_all(fd, encode(tag, message))


class FrameReader:
    """Reads whole frames from a pipe, refusing any larger than ``max_bytes`` before reading it."""

    def __init__(self, fd: int, max_bytes: int = protocol.MAX_REPLY_BYTES):
        self.fd = fd
        self.max_bytes = max_bytes
        self._buffer = bytearray()

    def raw(self, deadline: float | None = None) -> tuple[int, bytes]:
        """The next frame as ``(tag, payload bytes)``; raises ChannelClosed, ChannelTimeout or ProtocolError."""
        while True:
            frame = self.pop()
            if frame is not None:
                return frame
            self.fill(deadline)

    def read(self, deadline: float | None = None) -> tuple[int, object]:
        """The next frame as ``(tag, decoded message)``."""
        tag, payload = self.raw(deadline)
        return tag, protocol.unpack(payload)

    def pop(self) -> tuple[int, bytes] | None:
        """A whole frame already buffered, or None."""
        if len(self._buffer) < HEADER.size:
            return None
        size, tag = HEADER.unpack_from(self._buffer)
        if size > self.max_bytes:
            raise protocol.ProtocolError(f"a reply of {size} bytes is larger than the limit of {self.max_bytes}")
        if len(self._buffer) < HEADER.size + size:
            return None
        payload = bytes(self._buffer[HEADER.size:HEADER.size + size])
        del self._buffer[:HEADER.size + size]
        return tag, payload

    def fill(self, deadline: float | None) -> None:
        """Read what the pipe has, waiting at most until ``deadline`` (a ``time.monotonic()`` value)."""
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([self.fd], [], [], wait)
        if not ready:
            raise ChannelTimeout()
        chunk = os.read(self.fd, 1 << 20)
        if not chunk:
            raise ChannelClosed()
        self._buffer += chunk
