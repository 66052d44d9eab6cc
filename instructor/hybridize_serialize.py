"""Hidden checks of the hybridize_serialize unit: graded by ``nbgrader autograde`` only, invisible in the release and
feedback (see ``instructor/plumbing.py`` for how hidden checks are found and run).

They ask the same questions in settings the visible checks do not show: no hidden layer, another batch split and
learning rate, one batch, and checkpoints of SGD with momentum instead of Adam. As the visible checks, they judge
only what the judge chose and recomputed itself.
"""
from __future__ import annotations

from autograder.checks.base import check
from autograder.units.hybridize_serialize.checks import evaluate_accuracy, hybrid_mlp, train_epoch
from autograder.units.hybridize_serialize.checks.checkpoints import (
    judge_resumed,
    judge_saved,
    probe_load,
    probe_save,
)
from autograder.units.hybridize_serialize.checks.shared import finished

MOMENTUM = {"name": "sgd", "options": {"learning_rate": 0.05, "momentum": 0.9}}


@check("HybridMLP", 1, "No hidden layer: HybridMLP(hidden=()) is the output layer alone, hybridized", hidden=True)
def no_hidden_layer(subject):
    data = finished(hybrid_mlp.probe_net(subject, "params", {"hidden": [], "num_outputs": 3}, rows=8), "HybridMLP")
    hybrid_mlp.judge_hybridized(data, 0, "HybridMLP(hidden=(), num_outputs=3), hybridized")


@check("train_epoch", 1, "Another split of the batches and another learning rate", hidden=True)
def other_batches(subject):
    sizes, rate = [8, 24], 0.05
    reply = train_epoch.probe_epoch(subject, sizes=sizes, learning_rate=rate, seed=11)
    train_epoch.judge_step(reply, sizes, rate, f"one epoch over batches of {sizes}, learning_rate={rate}")


@check("evaluate_accuracy", 1, "A single batch", hidden=True)
def single_batch(subject):
    evaluate_accuracy.judge_accuracy(subject, "int32", sizes=[50], seed=12)


@check("save_checkpoint", 1, "Resumed from it with SGD and momentum, the same steps", hidden=True)
def momentum_save(subject):
    reply, run = probe_save(subject, "save_checkpoint", MOMENTUM, seed=13)
    judge_saved(reply, run, "SGD with momentum; your save_checkpoint")


@check("load_checkpoint", 1, "Resumed with it with SGD and momentum, the same steps", hidden=True)
def momentum_load(subject):
    reply, run = probe_load(subject, "load_checkpoint", MOMENTUM, seed=13)
    judge_resumed(reply, run, MOMENTUM, "SGD with momentum; the judge's saver, your load_checkpoint")
