"""The inputs a judge chooses, and keeps its own copy of, for the checks it recomputes.

Everything in the student's process is the student's (``numpy``, ``mxnet``, the probe's module), so a probe never
draws its own input: the judge draws it here (seeded NumPy on the judge's side) and sends it as plain data, or names
MNIST images by their rows and reads those images itself (:mod:`autograder.mnist`, outside the student's process).
The recomputation then uses the judge's copy, never what the probe says it fed.
"""
from __future__ import annotations

import numpy as np

from .. import mnist


class Sent(dict):
    """A probe's reply together with what the judge sent for it (:attr:`sent`): the input and the parameters the
    judge chose. A reply decoded from the student's process is a plain ``dict``, so only the judge makes these."""

    sent: dict


def with_sent(reply: dict, **sent) -> Sent:
    """``reply`` carrying what the judge sent (``input``, ``layers``), for the judgements that recompute it."""
    carrying = Sent(reply)
    carrying.sent = sent
    return carrying


def sent_of(reply) -> dict:
    """What the judge sent for ``reply`` (empty when the reply is not one the judge wrapped)."""
    return reply.sent if isinstance(reply, Sent) else {}


def uniform_rows(rows: int, width: int, seed: int) -> np.ndarray:
    """``rows`` rows of ``width`` values from U(-1, 1), float32: a batch of features the judge chose."""
    return np.random.RandomState(seed).uniform(-1, 1, size=(rows, width)).astype(np.float32)


def mnist_rows(subject, rows: int) -> np.ndarray:
    """The judge's own copy of the first ``rows`` MNIST test images, as the probe's batch array (N, 1, 28, 28).

    The probe feeds the same rows from its copy; an answer computed on other images does not match this one.
    """
    images, _ = mnist.load_mnist("test", mnist_dir_of(subject))
    return mnist.to_batch_array(images[:rows])


def mnist_dir_of(subject):
    """The MNIST folder the grading run uses (the worker's, or the in-process subject's), else None: the usual
    search (``GLUON_GRADER_MNIST``, MXNet's cache)."""
    for owner in (getattr(subject, "worker", None), getattr(subject, "context", None)):
        folder = getattr(owner, "mnist_dir", None)
        if isinstance(folder, str) or hasattr(folder, "__fspath__"):
            return folder
    return None


def batch_input(subject, batch: dict) -> tuple[dict, np.ndarray]:
    """``(what to send the probe, the judge's copy of the input)`` for a batch spec: ``{"mnist": True, "rows": n}``
    (the probe feeds its copy of those rows) or ``{"rows": n, "in_units": w, "seed": s}`` (drawn here, sent as
    values)."""
    if batch.get("mnist"):
        return {"mnist": True, "rows": int(batch["rows"])}, mnist_rows(subject, int(batch["rows"]))
    values = uniform_rows(int(batch["rows"]), int(batch["in_units"]), int(batch.get("seed", 0)))
    return {"values": values}, values


def dense_parameters(shapes, seed: int, scale: float = 0.3) -> list[np.ndarray]:
    """Weights and biases for Dense layers of weight ``shapes`` ``[(units, inputs)]``, in ``collect_params()``
    order (``W0, b0, W1, b1, ...``), drawn by the judge: float32, U(-scale, scale), biases non-zero so that a
    forward pass that drops them is seen."""
    rng = np.random.RandomState(seed)
    arrays = []
    for units, inputs in shapes:
        arrays.append(rng.uniform(-scale, scale, size=(units, inputs)).astype(np.float32))
        arrays.append(rng.uniform(-scale, scale, size=(units,)).astype(np.float32))
    return arrays


def pairs(arrays: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(W, b)]`` per layer from :func:`dense_parameters`' flat list."""
    return list(zip(arrays[0::2], arrays[1::2], strict=True))
