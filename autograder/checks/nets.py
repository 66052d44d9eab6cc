"""The judge's own model of an MLP: expected shapes and names, and a NumPy forward pass to compare against."""
from __future__ import annotations

import numpy as np

from .base import CheckFailed, completed
from .inputs import sent_of

#: What each activation computes, by MXNet's name (None: no activation): the one table of the judge's NumPy models.
ACTIVATIONS = {
    None: lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "softrelu": lambda z: np.logaddexp(0, z),
    "softsign": lambda z: z / (1 + np.abs(z)),
}
#: Their derivatives at the pre-activation, for the judge's backward passes.
DERIVATIVES = {
    None: lambda z: np.ones_like(z),
    "relu": lambda z: (z > 0).astype(np.float64),
    "sigmoid": lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2,
    "tanh": lambda z: 1 - np.tanh(z) ** 2,
}


def weight_shapes(in_units: int, hidden, num_outputs: int) -> list[tuple[int, int]]:
    """The weight shapes of an MLP with ``in_units`` inputs (0 while deferred)."""
    sizes = [*hidden, num_outputs]
    inputs = [in_units, *hidden]
    if in_units == 0:
        inputs = [0] * len(sizes)
    return list(zip(sizes, inputs, strict=True))


def layer_names(hidden, suffixes=("weight", "bias")) -> list[str]:
    """``dense0_weight, dense0_bias, dense1_weight, ...`` for an MLP with these hidden layers."""
    return [f"dense{i}_{suffix}" for i in range(len(hidden) + 1) for suffix in suffixes]


def weights_of(params: list[dict]) -> list[dict]:
    """The weight parameters, in order."""
    return [param for param in params if param["name"].endswith("weight")]


def shape_text(shape) -> str:
    """A shape as Python prints it."""
    return str(tuple(shape))


def relative_name(name: str, prefix: str) -> str | None:
    """``name`` without the net's prefix, or None when it is not under the prefix."""
    return name[len(prefix):] if name.startswith(prefix) else None


def mlp_forward(x: np.ndarray, layers: list[tuple[np.ndarray, np.ndarray]], activations) -> np.ndarray:
    """What Dense layers compute: flatten, then ``act(x @ W.T + b)`` layer by layer."""
    return mlp_trace(x, layers, activations)[0]


def mlp_trace(x: np.ndarray, layers, activations) -> tuple[np.ndarray, list, list]:
    """The forward pass of :func:`mlp_forward` in float64, with each layer's input and pre-activation (what
    :func:`mlp_backward` needs)."""
    out, inputs, pre = x.reshape(len(x), -1).astype(np.float64), [], []
    for (weight, bias), activation in zip(layers, activations, strict=False):
        inputs.append(out)
        pre.append(out @ weight.T.astype(np.float64) + bias)
        out = ACTIVATIONS[activation](pre[-1])
    return out, inputs, pre


def mlp_backward(trace: tuple, layers, activations, upstream: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(dL/dW, dL/db)`` of each layer, from the forward ``trace`` and ``upstream`` = dL/d(output)."""
    _, inputs, pre = trace
    grads, upstream = [], upstream.astype(np.float64)
    for index in reversed(range(len(layers))):
        delta = upstream * DERIVATIVES[activations[index]](pre[index])
        grads.insert(0, (delta.T @ inputs[index], delta.sum(axis=0)))
        upstream = delta @ layers[index][0].astype(np.float64)
    return grads


def mlp_activations(depth: int) -> list:
    """ReLU on every hidden layer, none on the output layer."""
    return ["relu"] * depth + [None]


def weight_bias_pairs(params: list[dict]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) per layer from parameter states in collect_params() order."""
    weights = [p["value"] for p in params if p["name"].endswith("weight")]
    biases = [p["value"] for p in params if p["name"].endswith("bias")]
    unused = [p["name"] for p in params if p["value"] is None and p.get("data_error") == "DeferredInitializationError"]
    if unused:  # shapes are inferred on a layer's first use: still deferred after the batch means never used
        raise CheckFailed("every layer to be used by the forward pass (its shapes are inferred from the batch)",
                          f"{unused[0]} still has no value after a batch: the forward pass never ran its layer",
                          "forward must run every layer the net registers, the hidden ones in order, then the "
                          "output layer")
    if len(weights) != len(biases) or any(v is None for v in weights + biases):
        raise CheckFailed("one weight and one initialized bias per Dense layer",
                          f"{len(weights)} weights and {len(biases)} biases",
                          "keep use_bias=True and register every layer")
    return list(zip(weights, biases, strict=True))


def close(found: np.ndarray, expected: np.ndarray) -> bool:
    """Whether two outputs agree to float32 precision."""
    return found.shape == expected.shape and bool(np.allclose(found, expected, rtol=1e-4, atol=1e-4))


def output_array(reply: dict, what: str) -> np.ndarray:
    """The forward pass output, or CheckFailed when it is not an NDArray."""
    output = reply["output"]
    if output["kind"] != "NDArray":
        raise CheckFailed(f"{what} to return an NDArray", f"it returned a {output['kind']}",
                          "forward must return the output of the last layer")
    return output["value"]


def diagnose_output(found: np.ndarray, x: np.ndarray, layers, depth: int) -> str:
    """Name the classic mistake behind a wrong output, by recomputing it with that mistake."""
    mistakes = {
        "the output layer applies ReLU: the output layer must have no activation (it gives raw scores)":
            ["relu"] * (depth + 1),
        "the hidden layers have no ReLU: use activation='relu' on each hidden Dense layer":
            [None] * (depth + 1),
    }
    for hint, activations in mistakes.items():
        if close(found, mlp_forward(x, layers, activations)):
            return hint
    return "recompute one layer by hand: relu(x @ W.T + b) for hidden layers, x @ W.T + b for the output layer."


def judge_forward(reply: dict, depth: int, what: str) -> None:
    """The net's output on the batch must equal the NumPy MLP over its parameters.

    Where the judge sent the input and the parameters (a reply wrapped by :func:`~.inputs.with_sent`: the probe set
    the judge's parameters into the net and ran it again on the judge's input, ``judged_output``), the NumPy MLP is
    the judge's own, over its own copies; nothing the student's process reports enters the expected value.
    Otherwise (units whose probes do not take them yet) it is computed from what the probe reported.
    """
    sent = sent_of(reply)
    reply = completed(reply, what)
    own = weight_bias_pairs(reply["after_forward"])
    judge_layer_count(reply, len(own), depth, what)
    x = sent["input"] if "input" in sent else reply["input"]
    judge_chain(weights_of(reply["after_forward"]), own, x, what)
    if "layers" in sent:
        layers = sent["layers"]
        if not isinstance(reply.get("judged_output"), dict):
            raise CheckFailed(f"weights of shapes {[shape_text(w.shape) for w, _ in layers]}, in that order",
                              f"weights of shapes {[shape_text(w.shape) for w, _ in own]}",
                              "one Dense layer per entry of hidden, then the output layer", where=what)
        found = output_array({"output": reply["judged_output"]}, what)
    else:
        layers = own
        found = output_array(reply, what)
    expected = mlp_forward(x, layers, mlp_activations(depth))
    if found.shape != expected.shape:
        raise CheckFailed(f"an output of shape {expected.shape}", f"shape {found.shape}",
                          "the output layer has num_outputs units, one row per example")
    if not close(found, expected):
        raise CheckFailed(
            "the output to equal relu(x W^T + b) through the hidden layers and x W^T + b at the output, "
            "computed from your net's own parameters",
            f"outputs that differ by up to {np.abs(found - expected).max():.3g}",
            diagnose_output(found, x, layers, depth),
            where=what,
        )


def judge_layer_count(reply: dict, count: int, depth: int, what: str) -> None:
    """The net must have one Dense layer per hidden width plus the output layer, or no forward model applies."""
    if count == depth + 1:
        return
    hint = (UNREGISTERED_HINT if reply.get("unregistered") else
            "one Dense layer per entry of hidden, then the output layer; all registered")
    raise CheckFailed(f"{depth + 1} Dense layers ({depth} hidden, then the output layer)",
                      f"{count} Dense layer{'s' * (count != 1)} with parameters in collect_params()", hint, where=what)


#: Why parameters are missing when the net keeps layers in a plain list, dict or tuple.
UNREGISTERED_HINT = ("layers kept in a plain Python list are not registered: collect_params() and initialize() do "
                     "not see them. Assign each layer to an attribute or use self.register_child(layer)")


def judge_chain(weights: list[dict], layers, x: np.ndarray, what: str) -> None:
    """Each weight, in collect_params() order, must be 2-D and take what the layer before it gives."""
    width = int(np.prod(x.shape[1:]))
    previous = "the flattened input"
    for param, (weight, bias) in zip(weights, layers, strict=False):
        if weight.ndim != 2 or bias.shape != weight.shape[:1]:
            raise CheckFailed("Dense layers only: a 2-D weight (units, inputs) and a bias of (units,) each",
                              f"{param['name']} has shape {shape_text(weight.shape)} and its bias "
                              f"{shape_text(bias.shape)}", "build the net from nn.Dense layers", where=what)
        if weight.shape[1] != width:
            raise CheckFailed(
                "each layer, in the order collect_params() lists them, to take what the layer before it gives",
                f"{param['name']} takes {weight.shape[1]} inputs, but {previous} gives {width}",
                "create the layers in the order forward runs them: the hidden layers first, the output layer last",
                where=what)
        width, previous = weight.shape[0], f"the layer before it ({param['name']})"


def judge_shapes(params: list[dict], expected: list[tuple[int, int]], when: str, hint: str) -> None:
    """Weights must have the expected shapes; feedback names the first that does not."""
    weights = weights_of(params)
    if len(weights) != len(expected):
        raise CheckFailed(f"{len(expected)} Dense layer{'s' * (len(expected) != 1)} {when}",
                          f"{len(weights)} weight parameter{'s' * (len(weights) != 1)}",
                          "one Dense layer per entry of hidden, then the output layer; all registered")
    for index, (param, shape) in enumerate(zip(weights, expected, strict=True)):
        if tuple(param["shape"]) != tuple(shape):
            detail = f"{param['name']} has shape {shape_text(param['shape'])}"
            if index and shape[1] and len(param["shape"]) > 1 and param["shape"][1] != shape[1]:
                detail += f" but the layer before it outputs {shape[1]} units"
            raise CheckFailed(f"shape {shape_text(shape)} for {param['name']} {when}", detail, hint)
