"""``train_epoch``: forward under autograd.record(), backward, trainer.step(batch_size) per batch; the mean loss.

The judge chooses the net's starting values and the MNIST batches, sends them, and recomputes the epoch in NumPy
from them: the parameters the probe sends back after the student's epoch are compared with that recomputation,
never with anything measured in the student's process.
"""
from __future__ import annotations

import numpy as np

from autograder.checks.base import CheckFailed, check

from .inputs import digest, mlp_shapes, mnist_batches, xavier_values
from .shared import answer, as_states, finished, returned_float, same_values, sgd_epoch

EXERCISE = "train_epoch"
#: Uneven batches on purpose: a mean of batch means is not the mean over samples.
SIZES = [32, 32, 16]
LEARNING_RATE = 0.1
STEP_HINT = ("for each batch: with autograd.record(): compute the loss; then loss.backward(); "
             "trainer.step(data.shape[0]), the batch's own size")


def probe_epoch(subject, sizes=SIZES, learning_rate=LEARNING_RATE, seed=6) -> dict:
    """One epoch of the student's train_epoch on a kit net with one hidden layer of 16 units, of the judge's
    values and batches; what the judge sent is added as ``initial`` (named as the net names its parameters),
    ``images`` and ``labels``."""
    values = xavier_values(mlp_shapes([16]), seed)
    batches = mnist_batches(subject, sizes, seed)
    reply = subject.probe("train_epoch", hidden=[16], values=values, batches=[list(batch) for batch in batches],
                          learning_rate=learning_rate, key=digest(*values, *(a for batch in batches for a in batch)))
    data = finished(answer(reply, EXERCISE), EXERCISE)
    names = [f"hybridsequential0_dense{index // 2}_{'weight' if index % 2 == 0 else 'bias'}"
             for index in range(len(values))]
    initial = [{"name": name, "shape": list(value.shape), "value": value, "data_error": None}
               for name, value in zip(names, values, strict=True)]
    return {**data, "initial": initial, "images": np.concatenate([batch[0] for batch in batches]),
            "labels": np.concatenate([batch[1] for batch in batches])}


def judge_step(reply: dict, sizes, learning_rate: float, what: str) -> None:
    """The parameters after the epoch equal the judge's own SGD from the same start, parameter by parameter."""
    initial, final = reply["initial"], reply["final"]
    x, labels = reply["images"], reply["labels"]
    layers, _ = sgd_epoch(initial, x, labels, sizes, learning_rate)
    differs = same_values(final, as_states(layers, initial))
    if not differs:
        return
    raise CheckFailed("the parameters after the epoch to be those of one SGD step per batch, each step "
                      "lr * (the gradient of the batch's mean loss), computed here from the same start",
                      differs, diagnose_step(reply, sizes, learning_rate), where=what)


#: Steps taken with a classic mistake: the hint naming it, and the scale of the summed gradient it gives.
STEP_MISTAKES = {
    "each step is batch_size times too large: trainer.step(1) after backward on the per-sample losses multiplies "
    "the learning rate by the batch size. Call trainer.step(data.shape[0]) with each batch's own size (it divides "
    "the summed gradient by it)":
        lambda size: 1.0,
    "each step is batch_size times too small: the loss is averaged (loss.mean()) and trainer.step(...) with the "
    "batch size divides again. Call loss.backward() on the per-sample losses, or trainer.step(1) after loss.mean()":
        lambda size: 1.0 / size ** 2,
}


#: Batch sizes a loop may fix once (the course texts' ``batch_size = 64``, or the first batch's size) and then pass
#: to every trainer.step: right for full batches, wrong for the smaller last one.
FIXED_SIZES = (64, 32, 128, 100, 256)


def step_mistakes(sizes) -> dict:
    """The classic step mistakes, and steps divided by a fixed batch size (issue 26: the hint must name that, not
    repeat ``trainer.step(batch_size)`` to a student who wrote it): hint -> the scale of the summed gradient."""
    mistakes = dict(STEP_MISTAKES)
    for fixed in dict.fromkeys((sizes[0], *FIXED_SIZES)):
        if any(size != fixed for size in sizes):
            hint = (f"each step divides by a fixed batch size ({fixed}), not by the batch's own size: the batches "
                    f"here have {list(sizes)} samples, so the smaller one takes a wrong step. Call "
                    "trainer.step(data.shape[0]) with each batch's own size")
            mistakes[hint] = lambda size, fixed=fixed: 1.0 / fixed
    return mistakes


#: How closely parameters must follow a recomputed trajectory for the judge to say which one the epoch took: a step
#: mistake's steps are batch_size times larger, and float32 (MXNet) drifts from float64 (here) along them.
MISTAKE_TOLERANCE = {"rtol": 1e-3, "atol": 1e-4}


def diagnose_step(reply: dict, sizes, learning_rate: float) -> str:
    """Name the classic mistake behind wrong parameters, by recomputing the epoch with that mistake."""
    initial, final, x, labels = reply["initial"], reply["final"], reply["images"], reply["labels"]
    if not same_values(final, initial, atol=0):
        return "the parameters did not change: " + STEP_HINT
    for hint, scale in step_mistakes(sizes).items():
        layers, _ = sgd_epoch(initial, x, labels, sizes, learning_rate, scale)
        if not same_values(final, as_states(layers, initial), **MISTAKE_TOLERANCE):
            return hint
    return STEP_HINT


def trajectory_losses(reply: dict, sizes, learning_rate: float) -> list:
    """Each batch's per-sample losses along the steps the student's epoch took: the right ones, or those of a
    step mistake the final parameters show (that mistake costs the step check, not this one)."""
    initial, final, x, labels = reply["initial"], reply["final"], reply["images"], reply["labels"]
    for scale in (lambda size: 1.0 / size, *step_mistakes(sizes).values()):
        layers, losses = sgd_epoch(initial, x, labels, sizes, learning_rate, scale)
        if not same_values(final, as_states(layers, initial), **MISTAKE_TOLERANCE):
            return losses
    return sgd_epoch(initial, x, labels, sizes, learning_rate)[1]


@check(EXERCISE, 2, "The parameters after one epoch equal the judge's own SGD steps from the same start")
def parameters_step(subject):
    judge_step(probe_epoch(subject), SIZES, LEARNING_RATE, f"one epoch over MNIST batches of {SIZES} samples, "
               f"sgd with learning_rate={LEARNING_RATE}")


@check(EXERCISE, 1, "Returns the mean loss over all samples, as a float")
def mean_loss(subject):
    reply = probe_epoch(subject)
    found = returned_float(reply["returned"], "train_epoch",
                           "add up loss.sum().asscalar() over the batches and return total / number of samples")
    losses = trajectory_losses(reply, SIZES, LEARNING_RATE)
    expected = float(np.concatenate(losses).mean())
    if np.isclose(found, expected, rtol=1e-4, atol=1e-6):
        return
    raise CheckFailed(f"the mean of the {sum(SIZES)} per-sample losses, each computed before its batch's step: "
                      f"{expected:.5f}", f"{found:.5f}", diagnose_loss(found, losses),
                      where=f"one epoch over MNIST batches of {SIZES} samples")


def diagnose_loss(found: float, losses: list[np.ndarray]) -> str:
    """Name the classic mistake behind a wrong mean loss, by recomputing it with that mistake."""
    mistakes = {
        "the losses are summed, not averaged: divide the total by the number of samples": sum(
            float(batch.sum()) for batch in losses),
        "that is the mean of the batches' means: batches differ in size (the last one is smaller), so add up every "
        "sample's loss and divide by the number of samples": float(np.mean([batch.mean() for batch in losses])),
        "that is the last batch's loss alone: add up the loss of every batch": float(losses[-1].mean()),
        "that is the sum of the batches' means: add up every sample's loss and divide by the number of samples":
            float(sum(batch.mean() for batch in losses)),
    }
    for hint, value in mistakes.items():
        if np.isclose(found, value, rtol=1e-4, atol=1e-6):
            return hint
    return "add up loss.sum().asscalar() over the batches (before each step) and return total / number of samples"
