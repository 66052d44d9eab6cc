"""``evaluate_accuracy``: the fraction of samples whose arg-max output equals the label, over all batches.

The judge chooses the net's values and the MNIST batches, sends them, and recounts in NumPy from what it sent:
nothing the student's process computed (outputs, gathered labels) enters the expected value.
"""
from __future__ import annotations

import itertools

import numpy as np

from autograder.checks.base import CheckFailed, check
from autograder.checks.nets import mlp_activations, mlp_forward

from .inputs import digest, mlp_shapes, mnist_batches, xavier_values
from .shared import answer, finished, returned_float

EXERCISE = "evaluate_accuracy"
#: Uneven batches on purpose: a mean of per-batch accuracies is not the accuracy over samples.
SIZES = [32, 32, 16]
#: The kit net the accuracy is counted on: one hidden layer of 16 units, of the judge's values.
HIDDEN = [16]
STATE_HINT = ("a metric made once, outside the function, keeps counting across calls: create it inside "
              "evaluate_accuracy, or call metric.reset() before counting")
FLOAT_HINT = "count the correct predictions over all batches and return correct / number of samples as a float"


def judge_accuracy(subject, label_dtype: str, sizes=SIZES, seed: int = 7) -> None:
    """The returned accuracy equals the judge's recount from the kit's own outputs and labels."""
    values = xavier_values(mlp_shapes(HIDDEN), seed)
    batches = mnist_batches(subject, sizes, seed, label_dtype)
    reply = subject.probe("evaluate_accuracy", hidden=HIDDEN, values=values,
                          batches=[list(batch) for batch in batches],
                          key=digest(*values, *(a for batch in batches for a in batch)))
    reply = finished(answer(reply, EXERCISE), EXERCISE)
    found = returned_float(reply["returned"], "evaluate_accuracy", FLOAT_HINT)
    images = np.concatenate([batch[0] for batch in batches])
    labels = np.concatenate([batch[1] for batch in batches])
    outputs = mlp_forward(images, list(zip(values[::2], values[1::2], strict=True)), mlp_activations(len(HIDDEN)))
    correct = outputs.argmax(axis=1) == labels.astype(np.int64)
    expected = float(correct.mean())
    again = reply["again"]
    if again["kind"] in ("float", "int") and not np.isclose(float(again["value"]), found, rtol=0, atol=1e-9):
        raise CheckFailed("the same accuracy each time evaluate_accuracy is called on the same batches",
                          f"{found:.4f}, then {float(again['value']):.4f}", STATE_HINT,
                          where=f"MNIST batches of {list(sizes)} samples, labels as {label_dtype}")
    if np.isclose(found, expected, rtol=0, atol=1e-6):
        return
    raise CheckFailed(f"the fraction of the {len(correct)} samples whose arg-max output equals the label: "
                      f"{expected:.4f}", f"{found:.4f}", diagnose(found, correct, sizes),
                      where=f"MNIST batches of {list(sizes)} samples, labels as {label_dtype}")


def diagnose(found: float, correct: np.ndarray, sizes) -> str:
    """Name the classic mistake behind a wrong accuracy, by recomputing it with that mistake."""
    edges = np.cumsum([0, *sizes])
    per_batch = [correct[a:b].mean() for a, b in itertools.pairwise(edges)]
    mistakes = {
        "that is the mean of the batches' accuracies: the batches differ in size (the last one is smaller), so "
        "count correct predictions over all batches and divide by the number of samples": float(np.mean(per_batch)),
        "that is the number of correct predictions: divide it by the number of samples": float(correct.sum()),
        "that is the last batch's accuracy alone: count over every batch": float(per_batch[-1]),
    }
    for hint, value in mistakes.items():
        if np.isclose(found, value, rtol=0, atol=1e-6):
            return hint
    if found == 0 and correct.any():
        return ("no sample was counted as correct: count (output.argmax(axis=1).astype(label.dtype) == label).sum() "
                "over every batch and divide by the number of samples at the end; with int32 labels the comparison "
                "is int32 too, and its .mean() rounds down to 0")
    # Nothing the answer did is known here: say how the count goes, not which part of it is wrong (issue 26).
    return ("recount it by hand on one batch: the samples whose output.argmax(axis=1), in the labels' dtype, equals "
            "the label, over every batch, divided by the number of samples")


@check(EXERCISE, 2, "Equals a NumPy recount over all samples (int32 labels, as mnist_batches gives them)")
def accuracy(subject):
    judge_accuracy(subject, "int32")


@check(EXERCISE, 1, "Equals a NumPy recount with float32 labels too")
def float_labels(subject):
    judge_accuracy(subject, "float32")
