"""The plain data that crosses from the subject (student code + probes) to the judge.

A probe's reply may hold only ``None``, booleans, ints, floats, strings, lists, string-keyed dicts and NumPy
arrays of numeric dtype. :func:`dumps` turns such a reply into JSON text (arrays as base64 with dtype and shape),
:func:`loads` turns it back. :func:`pack` and :func:`unpack` do the same in binary, for the pipes between the
processes: a JSON head whose arrays point, in order, into the raw little-endian bytes that follow it (replies
carry megabytes of weights, which base64 would make a third larger and slower). Nothing is ever unpickled or
executed, so a reply forged by student code can at worst be wrong data, which the judgement then rejects.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import struct

import numpy as np

ARRAY_TAG = "__ndarray__"
ALLOWED_DTYPES = {"bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"}
MAX_REPLY_BYTES = 64 * 1024 * 1024


class ProtocolError(ValueError):
    """A reply that is not plain data, is malformed, or is too large."""


def to_plain(value, _depth: int = 0, buffers: list | None = None):
    """Return ``value`` as JSON-ready plain data, or raise :class:`ProtocolError` for anything else.

    With ``buffers``, each array's bytes are appended there and the array becomes a reference to its index.
    """
    if _depth > 32:
        raise ProtocolError("reply nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return _array_to_plain(value, buffers)
    if isinstance(value, (list, tuple)):
        return [to_plain(item, _depth + 1, buffers) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise ProtocolError("reply dict keys must be strings")
        return {key: to_plain(item, _depth + 1, buffers) for key, item in value.items()}
    raise ProtocolError(f"not plain data: {type(value).__name__}")


def from_plain(value, blob: Blob | None = None):
    """Inverse of :func:`to_plain`: rebuild arrays and non-finite floats, validating as it goes."""
    if isinstance(value, list):
        return [from_plain(item, blob) for item in value]
    if isinstance(value, dict):
        if ARRAY_TAG in value:
            return _array_from_plain(value, blob)
        if set(value) == {"__float__"}:
            return float(value["__float__"]) if value["__float__"] in ("nan", "inf", "-inf") else math.nan
        return {key: from_plain(item, blob) for key, item in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ProtocolError(f"not plain data: {type(value).__name__}")


def dumps(value) -> str:
    """Encode a reply as JSON text."""
    return json.dumps(to_plain(value), allow_nan=False)


def loads(text: str | bytes):
    """Decode JSON text from :func:`dumps`, refusing oversized or malformed replies."""
    if len(text) > MAX_REPLY_BYTES:
        raise ProtocolError(f"reply of {len(text)} bytes is larger than {MAX_REPLY_BYTES}")
    try:
        return from_plain(json.loads(text))
    except (json.JSONDecodeError, RecursionError, TypeError, KeyError) as error:
        raise ProtocolError(f"malformed reply: {error}") from None


HEAD = struct.Struct("<I")


def pack(value) -> bytes:
    """Encode a reply in binary: the length of a JSON head, the head, then every array's raw bytes in order."""
    buffers: list[bytes] = []
    head = json.dumps(to_plain(value, buffers=buffers), allow_nan=False).encode("utf-8")
    return b"".join([HEAD.pack(len(head)), head, *buffers])


def unpack(data: bytes):
    """Decode :func:`pack`'s bytes, refusing oversized or malformed replies and arrays that do not add up."""
    if len(data) > MAX_REPLY_BYTES:
        raise ProtocolError(f"reply of {len(data)} bytes is larger than {MAX_REPLY_BYTES}")
    if len(data) < HEAD.size or HEAD.unpack_from(data)[0] > len(data) - HEAD.size:
        raise ProtocolError("malformed reply: its head is cut off")
    end = HEAD.size + HEAD.unpack_from(data)[0]
    blob = Blob(memoryview(data)[end:])
    try:
        value = from_plain(json.loads(bytes(data[HEAD.size:end])), blob)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError, TypeError, KeyError) as error:
        raise ProtocolError(f"malformed reply: {error}") from None
    blob.expect_end()
    return value


class Blob:
    """The raw bytes after a packed reply's head, handed out to its arrays strictly in order."""

    def __init__(self, data: memoryview):
        self.data, self.offset, self.index = data, 0, 0

    def take(self, index, nbytes: int) -> memoryview:
        """The next array's bytes; ``index`` must be the next one and the bytes must be there."""
        if index != self.index or self.offset + nbytes > len(self.data):
            raise ProtocolError("array data does not match its shape")
        self.index, self.offset = self.index + 1, self.offset + nbytes
        return self.data[self.offset - nbytes:self.offset]

    def expect_end(self) -> None:
        """Every byte after the head belongs to an array."""
        if self.offset != len(self.data):
            raise ProtocolError("reply has bytes that belong to no array")


def _array_to_plain(array: np.ndarray, buffers: list | None = None) -> dict:
    dtype = array.dtype.name
    if dtype not in ALLOWED_DTYPES:
        raise ProtocolError(f"array dtype {dtype} is not allowed")
    data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    if buffers is not None:
        buffers.append(data.tobytes())
        return {ARRAY_TAG: len(buffers) - 1, "dtype": dtype, "shape": list(array.shape)}
    return {ARRAY_TAG: base64.b64encode(data.tobytes()).decode("ascii"), "dtype": dtype, "shape": list(array.shape)}


def _array_from_plain(value: dict, blob: Blob | None = None) -> np.ndarray:
    dtype, shape = value.get("dtype"), value.get("shape")
    if dtype not in ALLOWED_DTYPES or not isinstance(shape, list) or not all(
        isinstance(n, int) and n >= 0 for n in shape
    ):
        raise ProtocolError("malformed array in reply")
    nbytes = np.dtype(dtype).itemsize * math.prod(shape)
    raw = _base64_bytes(value[ARRAY_TAG]) if blob is None else blob.take(value[ARRAY_TAG], nbytes)
    if len(raw) != nbytes:
        raise ProtocolError("array data does not match its shape")
    array = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"))
    return array.reshape(shape).astype(dtype)


def _base64_bytes(text) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise ProtocolError("array data is not base64") from None
