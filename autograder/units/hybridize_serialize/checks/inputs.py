"""What the judge chooses and sends to the probes: MNIST batches it reads itself, and parameter values it draws.

Every input of this unit's probes is made here, on the judge's side, from fixed seeds, and sent as plain arrays;
the probes only hand them to the student's code. The judge keeps them to recompute the expected values, so no
grade depends on anything the student's process drew, read or computed for the kit.
"""
from __future__ import annotations

import functools
import hashlib
import itertools

import numpy as np

from autograder import mnist

#: The MNIST test images the judge draws batches from (the first ones, as the probes used to).
POOL = 1000


def mnist_dir_of(subject):
    """The MNIST folder the grading run was given, as the subject knows it (None: MNIST's usual places)."""
    for holder in (subject, getattr(subject, "subject", None)):
        for owner in (getattr(holder, "worker", None), getattr(holder, "context", None)):
            folder = getattr(owner, "mnist_dir", None)
            if folder is not None and (isinstance(folder, str) or hasattr(folder, "__fspath__")):
                return folder
    return None


def mnist_pool(subject) -> tuple[np.ndarray, np.ndarray]:
    """The judge's own MNIST test images, float32 (n, 1, 28, 28) in [0, 1], and their labels as int32."""
    folder = mnist_dir_of(subject)
    return _pool(None if folder is None else str(folder))


@functools.lru_cache(maxsize=4)
def _pool(folder: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Read (and checked against MXNet's checksums) once per folder per judge process; read-only, as it is shared."""
    images, labels = mnist.load_mnist("test", folder, download=False)
    pool = mnist.to_batch_array(images[:POOL]), labels[:POOL].astype(np.int32)
    for array in pool:
        array.flags.writeable = False
    return pool


def mnist_batches(subject, sizes, seed: int, label_dtype: str = "int32") -> list[tuple[np.ndarray, np.ndarray]]:
    """Batches of the given sizes, of MNIST test images the judge picks with ``seed`` (no image twice)."""
    images, labels = mnist_pool(subject)
    picked = np.random.RandomState(seed).choice(len(images), size=sum(sizes), replace=False)
    edges = np.cumsum([0, *sizes])
    return [(np.ascontiguousarray(images[picked[a:b]]), labels[picked[a:b]].astype(label_dtype))
            for a, b in itertools.pairwise(edges)]


def mnist_rows(subject, rows: int, seed: int) -> np.ndarray:
    """``rows`` MNIST test images the judge picks with ``seed``."""
    return mnist_batches(subject, [rows], seed)[0][0]


def mlp_shapes(hidden, num_outputs: int = 10, in_units: int = 784) -> list[tuple]:
    """The parameter shapes of an MLP, in collect_params() order: (W, b) per layer."""
    shapes, width = [], in_units
    for units in [*hidden, num_outputs]:
        shapes += [(units, width), (units,)]
        width = units
    return shapes


def xavier_values(shapes, seed: int) -> list[np.ndarray]:
    """Values for parameters of these shapes: weights Xavier-uniform (magnitude 2.24), biases small and non-zero,
    so that every unit is used, outputs differ and a few steps of training move them visibly."""
    rng = np.random.RandomState(seed)
    values = []
    for shape in shapes:
        if len(shape) == 2:
            scale = np.sqrt(2.24 / ((shape[0] + shape[1]) / 2))
            values.append(rng.uniform(-scale, scale, size=shape).astype(np.float32))
        else:
            values.append(rng.uniform(-0.1, 0.1, size=shape).astype(np.float32))
    return values


def digest(*arrays) -> str:
    """A short fingerprint of the arrays a request carries (so that the remembered replies of two requests with
    different arrays can never be confused)."""
    hasher = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        hasher.update(f"{array.dtype}{array.shape}".encode())
        hasher.update(array.tobytes())
    return hasher.hexdigest()[:16]
