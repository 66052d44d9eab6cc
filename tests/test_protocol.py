"""autograder/protocol.py: the plain data that crosses from the subject to the judge, and nothing else."""
from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest

from autograder import protocol
from autograder.protocol import ProtocolError


def round_trip(value):
    text = protocol.dumps(value)
    assert isinstance(text, str)
    json.loads(text)  # valid JSON (no bare NaN/Infinity: dumps uses allow_nan=False)
    return protocol.loads(text)


def encoded(data: bytes, dtype="int32", shape=(1,)) -> str:
    return json.dumps({protocol.ARRAY_TAG: base64.b64encode(data).decode("ascii"), "dtype": dtype,
                       "shape": list(shape)})


# --- round trips -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", sorted(protocol.ALLOWED_DTYPES))
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (5,), (2, 3), (2, 1, 4)],
                         ids=["0-d", "empty", "empty-3d", "1d", "2d", "3d"])
def test_arrays_round_trip_with_dtype_shape_and_values(dtype, shape):
    rng = np.random.RandomState(0)
    array = (rng.uniform(-100, 100, size=shape) if shape else np.array(rng.uniform(-100, 100))).astype(dtype)
    back = round_trip(array)
    assert isinstance(back, np.ndarray)
    assert back.dtype == np.dtype(dtype) and back.shape == shape
    np.testing.assert_array_equal(back, array)


def test_nested_reply_round_trips():
    reply = {
        "status": "ok",
        "layers": [{"name": "dense0", "units": 3, "activation": None,
                    "weight": np.arange(6, dtype=np.float32).reshape(2, 3)},
                   {"name": "dense1", "units": 1, "activation": "relu", "weight": np.zeros((0, 3), dtype=np.float64)}],
        "flags": [True, False, None],
        "nested": {"deeper": {"scalar": np.array(7, dtype=np.int64), "text": "ünïcode ✓", "empty": {}, "list": []}},
        "numbers": [0, -1, 2**40, 1.5, -0.0],
    }
    back = round_trip(reply)
    assert back["status"] == "ok" and back["flags"] == [True, False, None]
    assert back["numbers"] == [0, -1, 2**40, 1.5, -0.0]
    assert math.copysign(1, back["numbers"][-1]) == -1
    np.testing.assert_array_equal(back["layers"][0]["weight"], reply["layers"][0]["weight"])
    assert back["layers"][0]["weight"].dtype == np.float32
    assert back["layers"][1]["weight"].shape == (0, 3) and back["layers"][1]["activation"] == "relu"
    assert back["layers"][0]["activation"] is None
    scalar = back["nested"]["deeper"]["scalar"]
    assert scalar.shape == () and scalar.dtype == np.int64 and int(scalar) == 7
    assert back["nested"]["deeper"]["text"] == "ünïcode ✓"
    assert back["nested"]["deeper"]["empty"] == {} and back["nested"]["deeper"]["list"] == []


def test_tuples_become_lists():
    assert round_trip({"shape": (2, (3, 4))}) == {"shape": [2, [3, 4]]}


def test_non_finite_floats_round_trip():
    back = round_trip({"nan": math.nan, "values": [math.inf, -math.inf, 1.0], "np": np.float32("nan")})
    assert math.isnan(back["nan"]) and math.isnan(back["np"])
    assert back["values"] == [math.inf, -math.inf, 1.0]


def test_non_finite_values_inside_arrays_round_trip():
    array = np.array([np.nan, np.inf, -np.inf, 0.5], dtype=np.float16)
    back = round_trip(array)
    assert back.dtype == np.float16
    np.testing.assert_array_equal(back, array)  # assert_array_equal treats nan == nan


def test_numpy_scalars_become_python_scalars():
    back = round_trip([np.int8(-3), np.uint8(200), np.float64(0.25), np.bool_(True)])
    assert back == [-3, 200, 0.25, True]
    assert [type(value) for value in back] == [int, int, float, bool]


def test_non_contiguous_and_big_endian_arrays_round_trip():
    sliced = np.arange(24, dtype=np.int32).reshape(4, 6)[::2, 1::3]
    big = np.arange(5, dtype=">f8")
    np.testing.assert_array_equal(round_trip(sliced), sliced)
    back = round_trip(big)
    np.testing.assert_array_equal(back, big)
    assert back.dtype == np.float64


def test_decoded_arrays_are_writable_copies():
    back = round_trip(np.arange(3, dtype=np.uint8))
    back[0] = 9  # frombuffer would give a read-only view; the judge may modify what it gets
    assert back.tolist() == [9, 1, 2]


# --- refusing what is not plain data ----------------------------------------------------------------------

class Net:
    pass


@pytest.mark.parametrize("value", [
    Net(),
    {"net": Net()},
    {1, 2},
    b"bytes",
    bytearray(b"x"),
    {1: "int key"},
    {("a",): 1},
    np.array([Net(), 1], dtype=object),
    np.array(["a", "b"]),
    np.array([1 + 2j]),
    np.array([1], dtype=np.uint16),
    [1, [2, {"deep": {3}}]],
    print,
    1 + 2j,
], ids=["instance", "instance-in-dict", "set", "bytes", "bytearray", "int-keys", "tuple-keys", "object-array",
        "string-array", "complex-array", "uint16-array", "nested-set", "function", "complex"])
def test_non_plain_objects_are_refused(value):
    with pytest.raises(ProtocolError):
        protocol.dumps(value)


def test_refusals_say_what_was_wrong():
    with pytest.raises(ProtocolError, match="Net"):
        protocol.dumps(Net())
    with pytest.raises(ProtocolError, match="keys must be strings"):
        protocol.dumps({1: 2})
    with pytest.raises(ProtocolError, match="object"):
        protocol.dumps(np.array([None], dtype=object))


def test_too_deep_nesting_is_refused():
    value = []
    for _ in range(40):
        value = [value]
    with pytest.raises(ProtocolError, match="nested too deeply"):
        protocol.dumps(value)


# --- refusing malformed replies ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "{", "{'single': 'quotes'}", "[1, 2", "not json", '{"a": 1} trailing'])
def test_malformed_json_is_refused(text):
    with pytest.raises(ProtocolError, match="malformed"):
        protocol.loads(text)


def test_deeply_nested_json_is_refused_not_a_recursion_crash():
    with pytest.raises(ProtocolError):
        protocol.loads("[" * 100_000 + "]" * 100_000)


def test_array_data_that_does_not_match_its_shape_is_refused():
    with pytest.raises(ProtocolError, match="does not match its shape"):
        protocol.loads(encoded(np.arange(6, dtype="<i4").tobytes(), "int32", (2, 2)))
    with pytest.raises(ProtocolError, match="does not match its shape"):
        protocol.loads(encoded(b"", "float32", (1,)))


def test_array_data_of_a_partial_item_is_refused():
    with pytest.raises(ProtocolError):
        protocol.loads(encoded(b"abc", "int32", (1,)))


def test_array_data_that_is_not_base64_is_refused():
    with pytest.raises(ProtocolError):
        protocol.loads(json.dumps({protocol.ARRAY_TAG: "!!not base64!!", "dtype": "int32", "shape": [1]}))


@pytest.mark.parametrize("dtype", ["object", "uint16", "complex128", "<U1", "float128", None, 7])
def test_disallowed_dtypes_are_refused(dtype):
    with pytest.raises(ProtocolError, match="malformed array"):
        protocol.loads(encoded(bytes(16), dtype, (1,)))


@pytest.mark.parametrize("shape", [[-1], [1.5], "3", None, [True, "x"]])
def test_bad_shapes_are_refused(shape):
    text = json.dumps({protocol.ARRAY_TAG: base64.b64encode(bytes(4)).decode(), "dtype": "int32", "shape": shape})
    with pytest.raises(ProtocolError):
        protocol.loads(text)


def test_array_data_of_the_wrong_type_is_refused():
    with pytest.raises(ProtocolError):
        protocol.loads(json.dumps({protocol.ARRAY_TAG: 12, "dtype": "int32", "shape": [1]}))


def test_an_oversized_reply_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(protocol, "MAX_REPLY_BYTES", 1000)
    small = protocol.dumps({"data": np.zeros(10, dtype=np.uint8)})
    assert protocol.loads(small)["data"].shape == (10,)
    big = protocol.dumps({"data": np.zeros(2000, dtype=np.uint8)})
    with pytest.raises(ProtocolError, match="larger than 1000"):
        protocol.loads(big)
    with pytest.raises(ProtocolError, match="larger than"):
        protocol.loads(b"[" + b" " * 2000 + b"]")


def test_the_default_size_limit_is_generous_but_finite():
    assert 1024 * 1024 <= protocol.MAX_REPLY_BYTES < 1 << 31


def test_loads_accepts_bytes():
    assert protocol.loads(protocol.dumps({"a": [1, 2]}).encode()) == {"a": [1, 2]}


def test_protocol_error_is_a_value_error():
    assert issubclass(ProtocolError, ValueError)


# --- the binary form the pipes carry: pack / unpack ----------------------------------------------------------

def packed(head: dict, blob: bytes = b"") -> bytes:
    text = json.dumps(head).encode()
    return protocol.HEAD.pack(len(text)) + text + blob


def test_pack_round_trips_a_reply_with_several_arrays():
    rng = np.random.RandomState(1)
    reply = {"status": "ok", "weights": [rng.uniform(-1, 1, (3, 4)).astype("float32"), np.arange(5, dtype="int64")],
             "input": np.zeros((2, 0), dtype="uint8"), "loss": math.inf, "name": "dense0_weight"}
    back = protocol.unpack(protocol.pack(reply))
    assert back["status"] == "ok" and back["name"] == "dense0_weight" and back["loss"] == math.inf
    for got, sent in zip([*back["weights"], back["input"]], [*reply["weights"], reply["input"]], strict=True):
        assert got.dtype == sent.dtype and got.shape == sent.shape
        np.testing.assert_array_equal(got, sent)


def test_packed_arrays_carry_raw_bytes_not_base64():
    array = np.arange(1000, dtype="float32")
    assert len(protocol.pack({"a": array})) < array.nbytes + 200 < len(protocol.dumps({"a": array}))


def test_unpacked_arrays_do_not_hold_on_to_the_frame():
    back = protocol.unpack(protocol.pack({"a": np.arange(3, dtype="int32")}))["a"]
    assert back.flags.owndata and back.flags.writeable


@pytest.mark.parametrize("data, reason", [
    (b"\x01\x00", "cut off"),
    (protocol.HEAD.pack(99) + b"{}", "cut off"),
    (packed({"a": {protocol.ARRAY_TAG: 1, "dtype": "int32", "shape": [1]}}, b"\0" * 4), "does not match"),
    (packed({"a": {protocol.ARRAY_TAG: 0, "dtype": "int32", "shape": [2]}}, b"\0" * 4), "does not match"),
    (packed({"a": {protocol.ARRAY_TAG: 0, "dtype": "int32", "shape": [1]}}, b"\0" * 8), "no array"),
    (packed({"a": 1}, b"junk"), "no array"),
    (packed({"a": {protocol.ARRAY_TAG: 0, "dtype": "object", "shape": [1]}}, b"\0" * 8), "malformed array"),
    (protocol.HEAD.pack(3) + b"\xff\xfe{", "malformed"),
], ids=["no-head", "head-longer-than-frame", "array-index-skips", "array-past-the-end", "bytes-left-over",
        "bytes-without-arrays", "object-dtype", "head-not-utf8"])
def test_malformed_packed_replies_are_refused(data, reason):
    with pytest.raises(ProtocolError, match=reason):
        protocol.unpack(data)


def test_an_oversized_packed_reply_is_refused(monkeypatch):
    monkeypatch.setattr(protocol, "MAX_REPLY_BYTES", 100)
    with pytest.raises(ProtocolError, match="larger than"):
        protocol.unpack(protocol.pack({"a": np.zeros(100, dtype="float32")}))
