"""Reading, on the judge's side, the files a student's code wrote: MXNet's parameter files and a Trainer's states.

The bytes come from the student's process, so they are read here by hand, strictly, never by MXNet's loaders and
never by ``pickle`` as such: a ``.params`` file is MXNet's NDArray list format (a header, the arrays, their names),
and a ``.states`` file is a pickle whose only objects may be NDArrays (raw bytes in the same array format), a
``bytearray`` and the optimizer; :class:`StatesReader` builds stand-ins for those and refuses every other class, so
nothing in the file runs. Anything else is :class:`Unreadable`, which the checks turn into feedback.
"""
from __future__ import annotations

import io
import math
import pickle
import struct

import numpy as np

LIST_MAGIC = 0x112
ARRAY_MAGICS = (0xF993FAC9, 0xF993FACA)  # MXNet's NDArray formats 2 (classic) and 3 (NumPy shape semantics)
#: MXNet's type flags of the dtypes a saved net can hold.
DTYPES = {0: np.float32, 1: np.float64, 2: np.float16, 3: np.uint8, 4: np.int32, 5: np.int8, 6: np.int64}
MAX_ARRAYS = 10_000
MAX_DIMS = 8


class Unreadable(ValueError):
    """Bytes that are not the file MXNet writes (the message says what is wrong, in a student's words)."""


class _Bytes:
    """A cursor over bytes that never reads past their end."""

    def __init__(self, data: bytes):
        self.data, self.offset = memoryview(data), 0

    def take(self, count: int) -> memoryview:
        if count < 0 or self.offset + count > len(self.data):
            raise Unreadable("the file ends too early")
        self.offset += count
        return self.data[self.offset - count:self.offset]

    def unpack(self, fmt: str):
        size = struct.calcsize(fmt)
        return struct.unpack(fmt, self.take(size))

    def at_end(self) -> bool:
        return self.offset == len(self.data)


def _read_array(cursor: _Bytes) -> np.ndarray:
    """One NDArray as MXNet's ``NDArray::Save`` writes it: magic, storage type, shape, context, dtype, data."""
    magic, stype = cursor.unpack("<Ii")
    if magic not in ARRAY_MAGICS:
        raise Unreadable("an array in it is not in MXNet's format")
    if stype != 0:
        raise Unreadable("an array in it is sparse; a net's parameters are dense")
    (ndim,) = cursor.unpack("<i")
    if not 0 < ndim <= MAX_DIMS:
        raise Unreadable("an array in it has no shape")
    shape = cursor.unpack(f"<{ndim}q")
    if any(n < 0 for n in shape):
        raise Unreadable("an array in it has an unknown shape")
    cursor.unpack("<ii")  # the context (device type and id): any device reads back on the CPU
    (flag,) = cursor.unpack("<i")
    if flag not in DTYPES:
        raise Unreadable("an array in it has a type MXNet's nets do not use")
    dtype = np.dtype(DTYPES[flag]).newbyteorder("<")
    raw = cursor.take(dtype.itemsize * math.prod(shape))
    return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(DTYPES[flag])


def read_params(data: bytes) -> dict[str, np.ndarray]:
    """``{name: array}`` of a file ``nd.save`` (``save_parameters``, ``export``) writes; :class:`Unreadable` else."""
    cursor = _Bytes(data)
    header, _reserved, count = cursor.unpack("<QQQ")
    if header != LIST_MAGIC:
        raise Unreadable("it is not a parameter file MXNet writes")
    if count > MAX_ARRAYS:
        raise Unreadable("it holds too many arrays")
    arrays = [_read_array(cursor) for _ in range(count)]
    (names,) = cursor.unpack("<Q")
    if names != count:
        raise Unreadable("its arrays have no names")
    keys = []
    for _ in range(names):
        (length,) = cursor.unpack("<Q")
        try:
            keys.append(bytes(cursor.take(length)).decode("utf-8"))
        except UnicodeDecodeError:
            raise Unreadable("a name in it is not text") from None
    if not cursor.at_end() or len(set(keys)) != len(keys):
        raise Unreadable("it has bytes or names that belong to no array")
    return dict(zip(keys, arrays, strict=True))


def read_raw_array(data: bytes) -> np.ndarray:
    """One array as ``NDArray.__getstate__`` keeps it (``MXNDArraySaveRawBytes``)."""
    cursor = _Bytes(data)
    array = _read_array(cursor)
    if not cursor.at_end():
        raise Unreadable("an array in it has bytes that belong to nothing")
    return array


# --- a Trainer's states, without unpickling anything that could run -----------------------------------------

class PickledArray:
    """Stands for an NDArray in a states file: its raw bytes, read as an array when the pickle is complete."""

    def __init__(self, *args):
        self.handle = None

    def __setstate__(self, state):
        self.handle = state.get("handle") if isinstance(state, dict) else None

    def array(self) -> np.ndarray:
        if not isinstance(self.handle, (bytes, bytearray)):
            raise Unreadable("an array in it has no data")
        return read_raw_array(bytes(self.handle))


class PickledOptimizer:
    """Stands for the optimizer a states file carries: its attributes as plain data, its methods gone."""

    def __setstate__(self, state):
        self.state = state if isinstance(state, dict) else {}


def _bytearray(value=b""):
    """``bytearray`` for the pickle, of bytes only (``bytearray(10**12)`` would be a memory bomb)."""
    if not isinstance(value, (bytes, bytearray)):
        raise Unreadable("it holds something other than arrays")
    return bytearray(value)


#: The only classes a states file may name, and what stands for them here.
ALLOWED = {("mxnet.ndarray.ndarray", "NDArray"): PickledArray, ("builtins", "bytearray"): _bytearray}
OPTIMIZER_MODULE = "mxnet.optimizer.optimizer"


class StatesReader(pickle.Unpickler):
    """Reads a ``Trainer.save_states`` file: every class it names is a stand-in above, or it is refused."""

    def find_class(self, module, name):
        if (module, name) in ALLOWED:
            return ALLOWED[(module, name)]
        if module == OPTIMIZER_MODULE and name.isidentifier():
            return type(name, (PickledOptimizer,), {})
        raise Unreadable(f"it names {module}.{name}, which no trainer state holds")

    def persistent_load(self, pid):
        raise Unreadable("it refers to objects outside the file")


def read_states(data: bytes) -> tuple[dict[int, list[np.ndarray]], dict]:
    """``({parameter index: [state arrays]}, optimizer attributes)`` of a ``Trainer.save_states`` file."""
    try:
        loaded = StatesReader(io.BytesIO(data)).load()
    except Unreadable:
        raise
    except Exception:  # noqa: BLE001  (any malformed pickle: what the student's file is, not the judge's error)
        raise Unreadable("it is not a file trainer.save_states writes") from None
    if isinstance(loaded, tuple) and len(loaded) == 2 and isinstance(loaded[1], PickledOptimizer):
        states, optimizer = loaded[0], getattr(loaded[1], "state", {})
    else:
        states, optimizer = loaded, {}
    if not isinstance(states, dict) or not all(isinstance(key, int) for key in states):
        raise Unreadable("it is not a file trainer.save_states writes")
    return {index: _state_arrays(state) for index, state in states.items()}, optimizer


def _state_arrays(state) -> list[np.ndarray]:
    """A parameter's state (an array, a tuple of arrays, or None) as a list of arrays."""
    if state is None:
        return []
    items = state if isinstance(state, (tuple, list)) else [state]
    if not all(isinstance(item, PickledArray) for item in items):
        raise Unreadable("a parameter's state in it is not made of arrays")
    return [item.array() for item in items]


def update_counts(optimizer: dict) -> dict[int, int]:
    """How many steps the saved optimizer took per parameter (Adam's bias correction depends on it)."""
    counts = optimizer.get("_index_update_count")
    if not isinstance(counts, dict):
        return {}
    return {key: value for key, value in counts.items() if isinstance(key, int) and isinstance(value, int)}
