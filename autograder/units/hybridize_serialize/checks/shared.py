"""What several hybridize_serialize exercises judge alike: replies whose errors name a classic mistake of this unit,
parameters compared one by one, values returned as floats, and the judge's NumPy model of SGD on an MLP.

Kept here, not in one exercise's module, so that no exercise's checks depend on another exercise's module.
"""
from __future__ import annotations

import numpy as np

from autograder.checks.base import CheckFailed, expect_ok, recorded_until
from autograder.checks.nets import mlp_activations, mlp_backward, mlp_trace, weight_bias_pairs
from autograder.contract import Status

#: Errors whose message names a mistake of this unit: the exercises where it is that mistake, the step it happens in
#: (its start; "" for any), marks that all appear in the message, and the hint for that mistake. The exercise
#: chooses as much as the words do: the same words in another exercise are another mistake (issue 26).
NAMED_MISTAKES = (
    (("HybridMLP",), "", ("must have NDArray type, but got <Symbol",),
     "inside hybrid_forward call every operator through F (F.relu(x), not nd.relu(x)): once the net is hybridized, "
     "F is mx.sym and x is a Symbol, which nd functions cannot take"),
    (("export_model",), "", ("run forward with this block at least once before calling export",),
     "net.hybridize() alone builds nothing: run the batch through the hybridized net once (net(batch)), then "
     "net.export(path, epoch=0)"),
    (("train_epoch",), "", ("Cannot differentiate node because it is not in a computational graph",),
     "compute the output and the loss inside `with autograd.record():`, then call loss.backward() after the block"),
    (("evaluate_accuracy",), "", ("Incompatible attr", "expected float32, got int32"),
     "argmax gives float32 indices and the labels are int32: compare like with like, e.g. "
     "pred.astype(label.dtype) == label, or compare the two as NumPy arrays"),
    (("evaluate_accuracy",), "", ("Incompatible attr", "expected int32, got float32"),
     "the labels here are float32: convert the predictions to the labels' own dtype, "
     "pred.astype(label.dtype) == label, not to int32"),
    (("evaluate_accuracy",), "evaluate_accuracy(", ("could not be broadcast together with shapes",),
     "take the arg-max over the classes, output.argmax(axis=1): axis 0 runs over the samples, so argmax(axis=0) "
     "gives one index per class, not one per sample"),
    (("import_model",), "import_model(", ("",),
     "the .params file of an export belongs with its symbol file: read both with gluon.SymbolBlock.imports(path + "
     "'-symbol.json', ['data'], path + '-0000.params'). A net you build yourself has other names and may have "
     "another shape, so load_parameters into it fails"),
)


def named_hint(exercise: str, stage: str, message: str) -> str:
    """The hint for an error of ``exercise`` (in ``stage``) whose message names a mistake of it, or ``""``."""
    for exercises, where, marks, hint in NAMED_MISTAKES:
        if exercise in exercises and stage.startswith(where) and all(mark in message for mark in marks):
            return hint
    return ""


def raise_named(reply: dict, exercise: str) -> None:
    """Raise CheckFailed with the hint of ``exercise`` when ``reply`` is an error that names one of its mistakes."""
    if reply.get("status") == Status.RAISED and reply.get("error_type") != "NotImplementedError":
        hint = named_hint(exercise, reply.get("stage", ""), reply.get("message", ""))
        if hint:
            raise CheckFailed(f"{reply['stage']} to run without an error",
                              f"it raised {reply['error_type']}: {reply['message']}", hint)


def answer(reply: dict, name: str, needs: str | None = None) -> dict:
    """The probe's data (as far as ``needs`` when given), or feedback naming the mistake behind an error."""
    if needs and reply.get("status") != Status.OK and needs in (reply.get("partial") or {}):
        return recorded_until(reply, needs, name)
    raise_named(reply, name)
    return recorded_until(reply, needs, name) if needs else expect_ok(reply, name)


def finished(data: dict, name: str) -> dict:
    """``data`` when the probe ran to its end, else the feedback of the step that failed."""
    if "failure" in data:
        raise_named(data["failure"], name)
        expect_ok(data["failure"], name)
    return data


def returned_float(value: dict, what: str, hint: str) -> float:
    """The float a student's function returned, or CheckFailed saying what it returned instead."""
    if value["kind"] in ("float", "int"):
        return float(value["value"])
    found = f"a {value['kind']}"
    if value["kind"] == "NDArray":
        found += f" of shape {tuple(value['value'].shape)}"
    raise CheckFailed(f"{what} to return a Python float", found, hint)


def same_values(found: list[dict], expected: list[dict], atol: float = 1e-5, rtol: float = 1e-4) -> str:
    """``""`` when two parameter lists agree value by value, else the first parameter that differs, named."""
    if [state["shape"] for state in found] != [state["shape"] for state in expected]:
        return "the parameters have other shapes"
    for mine, theirs in zip(found, expected, strict=True):
        if mine["value"] is None or not np.allclose(mine["value"], theirs["value"], rtol=rtol, atol=atol):
            if mine["value"] is None:
                return f"{mine['name']} has no value"
            return f"{mine['name']} differs by up to {np.abs(mine['value'] - theirs['value']).max():.3g}"
    return ""


# --- the judge's own SGD ---------------------------------------------------------------------------------

def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample losses of SoftmaxCrossEntropyLoss, and their gradient with respect to the logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    grad = np.exp(log_p)
    grad[rows, labels] -= 1
    return -log_p[rows, labels], grad


def sgd_step(layers, x: np.ndarray, labels: np.ndarray, learning_rate: float, scale: float):
    """One step of plain SGD on an MLP (ReLU hidden layers): new layers and the per-sample losses before it.

    ``scale`` multiplies the summed gradient: what trainer.step(n) does with 1/n.
    """
    activations = mlp_activations(len(layers) - 1)
    trace = mlp_trace(x, layers, activations)
    losses, grad = softmax_cross_entropy(trace[0], labels.astype(np.int64))
    grads = mlp_backward(trace, layers, activations, grad)
    return [(weight - learning_rate * scale * grad_weight, bias - learning_rate * scale * grad_bias)
            for (weight, bias), (grad_weight, grad_bias) in zip(layers, grads, strict=True)], losses


def sgd_epoch(initial: list[dict], x: np.ndarray, labels: np.ndarray, sizes, learning_rate: float,
              scale=lambda size: 1 / size) -> tuple[list, list[np.ndarray]]:
    """The judge's epoch: one SGD step per batch; the layers after it and each batch's per-sample losses."""
    layers = [(w.astype(np.float64), b.astype(np.float64)) for w, b in weight_bias_pairs(initial)]
    losses, start = [], 0
    for size in sizes:
        layers, batch_losses = sgd_step(layers, x[start:start + size], labels[start:start + size], learning_rate,
                                        scale(size))
        losses.append(batch_losses)
        start += size
    return layers, losses


def as_states(layers, like: list[dict]) -> list[dict]:
    """Layers ``[(W, b), ...]`` as parameter states named like ``like``."""
    values = [value for pair in layers for value in pair]
    return [{**state, "value": value} for state, value in zip(like, values, strict=True)]

