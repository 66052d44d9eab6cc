"""The plain data that crosses from the subject (student code + probes) to the judge.

A probe's reply may hold only ``None``, booleans, ints, floats, strings, lists, string-keyed dicts and NumPy
arrays of numeric dtype. :func:`dumps` turns such a reply into JSON text (arrays as base64 with dtype and shape),
:func:`loads` turns it back. Nothing is ever unpickled or executed, so a reply forged by student code can at worst
be wrong data, which the judgement then rejects.
"""
from __future__ import annotations

import base64
import binascii
import json
import math

import numpy as np

ARRAY_TAG = "__ndarray__"
ALLOWED_DTYPES = {"bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"}
MAX_REPLY_BYTES = 64 * 1024 * 1024


class ProtocolError(ValueError):
    """A reply that is not plain data, is malformed, or is too large."""


def to_plain(value, _depth: int = 0):
    """Return ``value`` as JSON-ready plain data, or raise :class:`ProtocolError` for anything else."""
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
        return _array_to_plain(value)
    if isinstance(value, (list, tuple)):
        return [to_plain(item, _depth + 1) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise ProtocolError("reply dict keys must be strings")
        return {key: to_plain(item, _depth + 1) for key, item in value.items()}
    raise ProtocolError(f"not plain data: {type(value).__name__}")


def from_plain(value):
    """Inverse of :func:`to_plain`: rebuild arrays and non-finite floats, validating as it goes."""
    if isinstance(value, list):
        return [from_plain(item) for item in value]
    if isinstance(value, dict):
        if ARRAY_TAG in value:
            return _array_from_plain(value)
        if set(value) == {"__float__"}:
            return float(value["__float__"]) if value["__float__"] in ("nan", "inf", "-inf") else math.nan
        return {key: from_plain(item) for key, item in value.items()}
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


def _array_to_plain(array: np.ndarray) -> dict:
    dtype = array.dtype.name
    if dtype not in ALLOWED_DTYPES:
        raise ProtocolError(f"array dtype {dtype} is not allowed")
    data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    return {ARRAY_TAG: base64.b64encode(data.tobytes()).decode("ascii"), "dtype": dtype, "shape": list(array.shape)}


def _array_from_plain(value: dict) -> np.ndarray:
    dtype, shape = value.get("dtype"), value.get("shape")
    if dtype not in ALLOWED_DTYPES or not isinstance(shape, list) or not all(
        isinstance(n, int) and n >= 0 for n in shape
    ):
        raise ProtocolError("malformed array in reply")
    try:
        raw = base64.b64decode(value[ARRAY_TAG], validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise ProtocolError("array data is not base64") from None
    if len(raw) != np.dtype(dtype).itemsize * math.prod(shape):
        raise ProtocolError("array data does not match its shape")
    array = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"))
    return array.reshape(shape).astype(dtype)
