"""What several convolutions exercises judge alike: the judge's own NumPy model of cross-correlation, convolution,
pooling and LeNet; the inputs the judge draws and the MNIST images it reads itself; replies that stop at some step;
MXNet's errors turned into the mistake behind them; the graph a hybridized block exported.

Kept here, not in one exercise's module, so that no exercise's checks depend on another exercise's module. Nothing
here runs in the student's process: the expected values come from these functions alone.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np

from autograder import mnist
from autograder.checks.base import CheckFailed, expect_implemented, expect_ok
from autograder.checks.nets import ACTIVATIONS
from autograder.contract import Status

HYBRID_BLOCK = "mxnet.gluon.block.HybridBlock"
HYBRID_SEQUENTIAL = "mxnet.gluon.nn.basic_layers.HybridSequential"

#: Names whose presence in an answer's code means MXNet's own operator or layer does the exercise's work.
BUILT_INS = {"Convolution": "nd.Convolution", "Pooling": "nd.Pooling", "Conv2D": "nn.Conv2D",
             "MaxPool2D": "nn.MaxPool2D", "AvgPool2D": "nn.AvgPool2D", "Deconvolution": "nd.Deconvolution"}


# --- the judge's inputs -------------------------------------------------------------------------------------

def judge_array(shape, seed: int, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    """Values of the given shape drawn on the judge's side (float32, exactly representable as sent)."""
    return np.random.RandomState(seed).uniform(low, high, size=tuple(shape)).astype(np.float32)


def mnist_dir_of(subject):
    """The MNIST folder the grading was told about, where the subject knows it (else the usual lookup)."""
    for holder in (subject, getattr(subject, "context", None), getattr(subject, "worker", None)):
        folder = getattr(holder, "mnist_dir", None) if holder is not None else None
        if isinstance(folder, str) and folder:
            return folder
    return None


def judge_images(subject, rows: int, start: int = 0) -> np.ndarray:
    """MNIST test images ``start`` to ``start + rows`` as float32 (rows, 1, 28, 28), read by the judge itself."""
    images, _ = mnist.load_mnist("test", mnist_dir_of(subject))
    return mnist.to_batch_array(images[start:start + rows])


def ask(subject, probe: str, **args) -> dict:
    """The probe's reply for the judge's ``args``, which carry a digest of every array among them.

    Why the digest: the pipeline remembers replies by the request's JSON, in which NumPy prints a large array with
    "..." in the middle; two MNIST batches alike at their edges would be one request without it.
    """
    digest = hashlib.sha1(usedforsecurity=False)  # telling inputs apart, not security
    for key in sorted(args):
        if isinstance(args[key], np.ndarray):
            digest.update(key.encode() + str(args[key].shape).encode() + np.ascontiguousarray(args[key]).tobytes())
    return subject.probe(probe, digest=digest.hexdigest(), **args)


# --- the judge's model ---------------------------------------------------------------------------------------

def pair(value) -> tuple[int, int]:
    """An int or a pair, as a pair."""
    return (int(value), int(value)) if isinstance(value, int) else (int(value[0]), int(value[1]))


def corr2d(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Two-dimensional cross-correlation (the kernel not flipped), in float64."""
    x, k = x.astype(np.float64), k.astype(np.float64)
    h, w = x.shape[0] - k.shape[0] + 1, x.shape[1] - k.shape[1] + 1
    out = np.zeros((h, w))
    for i in range(k.shape[0]):
        for j in range(k.shape[1]):
            out += k[i, j] * x[i:i + h, j:j + w]
    return out


def pool2d(x: np.ndarray, size, mode: str, stride=(1, 1)) -> np.ndarray:
    """Max or mean of each window, with the given stride (1 for the exercise), in float64."""
    (ph, pw), (sh, sw) = pair(size), pair(stride)
    h, w = (x.shape[0] - ph) // sh + 1, (x.shape[1] - pw) // sw + 1
    windows = np.array([[x[i * sh:i * sh + ph, j * sw:j * sw + pw] for j in range(w)] for i in range(h)],
                       dtype=np.float64).reshape(h, w, -1)
    return windows.max(axis=2) if mode == "max" else windows.mean(axis=2)


def out_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Gluon's output length along one axis: floor((n + 2p - d(k - 1) - 1) / s) + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, strides=1, padding=0,
           dilation=1) -> np.ndarray:
    """What ``Convolution`` computes on an NCHW batch, in float64."""
    (sh, sw), (ph, pw), (dh, dw) = pair(strides), pair(padding), pair(dilation)
    x = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out_c, _, kh, kw = weight.shape
    h = (x.shape[2] - dh * (kh - 1) - 1) // sh + 1
    w = (x.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((x.shape[0], out_c, h, w))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i * dh:i * dh + sh * (h - 1) + 1:sh, j * dw:j * dw + sw * (w - 1) + 1:sw]
            out += np.einsum("nchw,oc->nohw", patch, weight[:, :, i, j].astype(np.float64))
    if bias is not None:
        out += bias.astype(np.float64)[None, :, None, None]
    return out


def batch_pool(x: np.ndarray, size: int, stride: int, mode: str) -> np.ndarray:
    """Pooling of an NCHW batch with a square window and stride, no padding."""
    h, w = (x.shape[2] - size) // stride + 1, (x.shape[3] - size) // stride + 1
    windows = np.stack([x[:, :, i:i + stride * (h - 1) + 1:stride, j:j + stride * (w - 1) + 1:stride]
                        for i in range(size) for j in range(size)])
    return windows.max(axis=0) if mode == "max" else windows.mean(axis=0)


def lenet_forward(x: np.ndarray, layers, act: str = "sigmoid", pool: str = "avg", first_padding: int = 2):
    """LeNet over (W, b) pairs of its two convolutions and three dense layers, in float64."""
    (w1, b1), (w2, b2), (w3, b3), (w4, b4), (w5, b5) = layers
    f = ACTIVATIONS[act]
    out = batch_pool(f(conv2d(x, w1, b1, padding=first_padding)), 2, 2, pool)
    out = batch_pool(f(conv2d(out, w2, b2)), 2, 2, pool)
    out = out.reshape(len(out), -1)
    out = f(out @ w3.T.astype(np.float64) + b3)
    out = f(out @ w4.T.astype(np.float64) + b4)
    return out @ w5.T.astype(np.float64) + b5


def close(found: np.ndarray, expected: np.ndarray, tolerance: float = 1e-4) -> bool:
    """Whether two arrays of the same shape agree to float32 precision."""
    return found.shape == expected.shape and bool(np.allclose(found, expected, rtol=tolerance, atol=tolerance))


def shape_text(shape) -> str:
    """A shape as Python prints it."""
    return str(tuple(shape))


# --- replies ---------------------------------------------------------------------------------------------------

#: MXNet's error messages, the mistake that causes them in this unit, and what to do instead.
ERROR_HINTS = (
    ("must have NDArray type, but got <Symbol",
     "hybrid_forward called an nd.* function: it also runs on symbols (for deferred shapes and once hybridized), "
     "where F is mx.sym. Call every operator through F: F.Convolution"),
    ("because it has invalid shape",
     "a deferred parameter needs allow_deferred_init=True in self.params.get(...), so that initialize() waits for "
     "the first batch"),
    ("has no attribute 'export'",
     "nn.Sequential has no export: build LeNet as an nn.HybridSequential, which hybridizes as one graph and exports"),
    ("not iterable", "an int means the same value for height and width: accept an int or a pair, e.g. "
                     "`(k, k) if isinstance(k, int) else tuple(k)`"),
    ("not subscriptable", "an int means the same value for height and width: accept an int or a pair, e.g. "
                          "`(k, k) if isinstance(k, int) else tuple(k)`"),
    ("cannot unpack non-iterable int", "an int means the same value for height and width: accept an int or a "
                                       "pair, e.g. `(k, k) if isinstance(k, int) else tuple(k)`"),
    ("Input data should be 3D",
     "F.Convolution read an int kernel as a one-dimensional convolution: pass kernel=(kh, kw) as a pair (an int "
     "kernel_size means (k, k)), and stride and pad as pairs too"),
    ("must have the same number of dimensions with kernel",
     "stride and pad must be pairs like the kernel: stride=(sh, sw), pad=(ph, pw) (an int means the same for both)"),
    ("Shape inconsistent",
     "the weight must have shape (channels, in_channels, kh, kw): one filter per output channel, each over every "
     "input channel"),
    ("shape cannot be inferred",
     "the first batch could not fix the deferred shapes: compute with F.Convolution, which infers in_channels"),
)


def error_hint(message: str) -> str:
    """The hint for an error message, or the general one."""
    for marker, hint in ERROR_HINTS:
        if marker in message:
            return hint
    return "read the error above; run the cell that defines this exercise and try the same call yourself."


def ran_until(reply: dict, key: str, name: str) -> dict:
    """The probe's data as far as ``key``, or feedback on the step that failed before it (with this unit's hints).

    A check about the shapes before the first batch keeps its points when only a later step fails: that failure
    belongs to the checks about that step.
    """
    data = reply if reply.get("status") == Status.OK else reply.get("partial") or {}
    if key in data:
        return data
    if reply.get("status") == Status.RAISED and reply.get("error_type") != "NotImplementedError":
        raise CheckFailed(f"{reply['stage']} to run without an error",
                          f"it raised {reply['error_type']}: {reply['message']}", error_hint(reply["message"]))
    expect_ok(reply, name)
    raise CheckFailed("an answer the grader can read", f"a reply without {key!r}")


def judge_own_code(names: list[str], exercise: str, what: str) -> None:
    """The answer's code must not hand the exercise's work to MXNet's own operator or layer."""
    used = [shown for name, shown in BUILT_INS.items() if name in names]
    if used:
        raise CheckFailed(f"`{exercise}` to compute {what} with your own slicing and sums",
                          f"its code uses {used[0]}",
                          f"the exercise is to write it yourself: loop over the output positions and take each "
                          f"window with slicing, e.g. X[i:i + kh, j:j + kw]; {used[0]} is for later")


def array_of(value: dict, what: str, hint: str) -> np.ndarray:
    """An NDArray the student's code returned, as NumPy, or CheckFailed when it returned something else."""
    if value["kind"] != "NDArray":
        raise CheckFailed(f"{what} to return an NDArray", f"it returned a {value['kind']}", hint)
    return value["value"]


def relative_name(name: str, prefix: str) -> str | None:
    """``name`` without the block's prefix, or None when it is not under the prefix."""
    return name[len(prefix):] if name.startswith(prefix) else None


def gated(reply: dict, exercise: str) -> dict:
    """The reply, after the stub's "not implemented yet" and the built-in-in-place gate (names of the code)."""
    expect_implemented(reply, exercise)
    return reply


def graph_ops(text: str | None, what: str) -> list[dict]:
    """The operator nodes of a graph's JSON (``Symbol.tojson()`` or an exported ``-symbol.json``), read here."""
    try:
        nodes = json.loads(text)["nodes"] if isinstance(text, str) else None
        ops = [node for node in nodes if isinstance(node, dict) and node.get("op") not in (None, "null")]
    except (ValueError, KeyError, TypeError):
        ops = None
    if ops is None:
        raise CheckFailed(f"{what} to give a graph of MXNet operators", "no graph",
                          "hybrid_forward must return what F's operators give, without converting it")
    return ops


def op_attrs(node: dict) -> dict:
    """The attributes of a graph node (``attrs`` in MXNet 1.x JSON, ``param`` in older files)."""
    attrs = node.get("attrs") or node.get("param") or {}
    return attrs if isinstance(attrs, dict) else {}


def tuple_attr(attrs: dict, key: str, default: tuple) -> tuple:
    """An attribute such as ``kernel='(3, 3)'`` as a tuple of ints; ``default`` where it is not set."""
    text = str(attrs.get(key, "")).strip("()[] ")
    if not text:
        return default
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        return default
