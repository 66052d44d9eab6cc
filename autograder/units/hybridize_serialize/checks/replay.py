"""MXNet on the judge's side: what a symbol file computes, the kit's exported files, Adam's and momentum's steps.

The judge runs in a process the student's code never ran in (the sandboxed subject is another process), so its
MXNet is MXNet's, not a patched one. Everything here takes and returns plain NumPy data; a symbol file from the
student is checked by hand (its structure, an operator allow-list, its size) before MXNet sees it, and parameter
files are read by :mod:`.files`, never by MXNet's loaders. Classic array mode and fresh block names throughout,
whatever the process did before (in the kit's own in-process tests the notebook ran here too).
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

#: Operators an MLP's graph may hold: dense layers, activations, reshapes, elementwise arithmetic, copies.
ALLOWED_OPS = frozenset({
    "null", "FullyConnected", "Activation", "relu", "sigmoid", "tanh", "softrelu", "LeakyReLU", "Flatten", "flatten",
    "Reshape", "reshape", "_copy", "identity", "BlockGrad", "stop_gradient", "Dropout", "clip", "_maximum_scalar",
    "_minimum_scalar", "_plus_scalar", "_minus_scalar", "_rminus_scalar", "_mul_scalar", "_div_scalar",
    "_rdiv_scalar", "_plus", "_minus", "_mul", "_div", "elemwise_add", "elemwise_sub", "elemwise_mul",
    "elemwise_div", "broadcast_add", "broadcast_sub", "broadcast_mul", "broadcast_div", "broadcast_maximum",
    "broadcast_minimum", "_maximum", "_minimum", "maximum", "minimum", "_Plus", "_Minus", "_Mul", "_Div",
    "_npx_relu", "_npx_activation", "_npx_fully_connected", "_npx_reshape", "_np_reshape", "_npi_add",
    "_npi_multiply", "_npi_subtract", "_npi_maximum_scalar", "_npi_add_scalar", "_npi_multiply_scalar",
    "_np_copy", "dot", "_np_dot", "transpose", "_np_transpose", "expand_dims", "squeeze", "_np_squeeze",
})
MAX_NODES = 2_000
MAX_JSON_BYTES = 1 << 20


class BadSymbol(ValueError):
    """A symbol file the judge will not evaluate (the message says why, in a student's words)."""


@contextlib.contextmanager
def classic_mxnet():
    """MXNet in classic array mode with block names from 0, restoring the process's mode afterwards."""
    # Binding a symbol logs "Subgraph backend MKLDNN is activated" on stderr unless told not to; the judge is quiet.
    os.environ.setdefault("MXNET_SUBGRAPH_VERBOSE", "0")
    import mxnet as mx
    from mxnet import util

    before = bool(util.is_np_shape()), bool(util.is_np_array())
    util.set_np(shape=False, array=False)
    try:
        with mx.name.NameManager():
            yield mx
    finally:
        util.set_np(shape=before[0], array=before[1])


def symbol_structure(text: str) -> dict:
    """The graph of a symbol file, checked by hand: ``{"arguments": [...], "ops": [...], "outputs": n}``."""
    if not isinstance(text, str) or len(text) > MAX_JSON_BYTES:
        raise BadSymbol("the symbol file is missing or too large")
    try:
        graph = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise BadSymbol("the symbol file is not JSON") from None
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    heads = graph.get("heads") if isinstance(graph, dict) else None
    if not isinstance(nodes, list) or not 0 < len(nodes) <= MAX_NODES or not isinstance(heads, list) or not heads:
        raise BadSymbol("the symbol file has no graph of nodes")
    for index, node in enumerate(nodes):
        if not isinstance(node, dict) or not isinstance(node.get("op"), str) or not isinstance(node.get("name"), str):
            raise BadSymbol("a node of the symbol file has no operator or name")
        inputs = node.get("inputs", [])
        if not isinstance(inputs, list) or not all(_entry(entry, index) for entry in inputs):
            raise BadSymbol("a node of the symbol file takes inputs that come after it")
        attrs = node.get("attrs", node.get("param", {}))
        if not isinstance(attrs, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in attrs.items()):
            raise BadSymbol("a node of the symbol file has attributes that are not text")
        if node["op"] not in ALLOWED_OPS:
            raise BadSymbol(f"the graph uses the operator {node['op']}, which an MLP does not need")
        if node["op"] == "null" and inputs:
            raise BadSymbol("a variable of the symbol file has inputs")
    if not all(_entry(entry, len(nodes)) for entry in heads):
        raise BadSymbol("the symbol file's outputs are not nodes of it")
    arguments = [node["name"] for node in nodes if node["op"] == "null"]
    # The graph MXNet will see is written here from what was checked, never the student's text itself: no key,
    # attribute or subgraph of theirs reaches MXNet's parser unchecked.
    clean = {"nodes": [{"op": node["op"], "name": node["name"], "attrs": dict(node.get("attrs", node.get("param", {}))),
                        "inputs": [[*entry[:2], 0] for entry in node.get("inputs", [])]} for node in nodes],
             "arg_nodes": [index for index, node in enumerate(nodes) if node["op"] == "null"],
             "heads": [[*entry[:2], 0] for entry in heads], "attrs": {"mxnet_version": ["int", 10901]}}
    return {"arguments": arguments, "ops": [node["op"] for node in nodes if node["op"] != "null"],
            "outputs": len(heads), "json": json.dumps(clean)}


def _entry(entry, limit: int) -> bool:
    """Whether a node entry ``[node, output, version]`` points at a node before ``limit``."""
    return (isinstance(entry, list) and 2 <= len(entry) <= 3 and all(type(n) is int for n in entry)
            and 0 <= entry[0] < limit and 0 <= entry[1] < 16)


def evaluate_symbol(text: str, inputs: dict[str, np.ndarray]) -> np.ndarray:
    """What the symbol file computes on ``inputs`` (every argument by name), as MXNet runs it; BadSymbol else."""
    structure = symbol_structure(text)
    if structure["outputs"] != 1:
        raise BadSymbol(f"the symbol has {structure['outputs']} outputs, not one")
    missing = [name for name in structure["arguments"] if name not in inputs]
    if missing:
        raise BadSymbol(f"nothing is given for the symbol's argument {missing[0]}")
    with classic_mxnet() as mx:
        try:
            symbol = mx.sym.load_json(structure["json"])
            if symbol.list_auxiliary_states():
                raise BadSymbol("the symbol keeps auxiliary states (BatchNorm?), which an MLP does not have")
            args = {name: mx.nd.array(inputs[name], dtype=inputs[name].dtype) for name in symbol.list_arguments()}
            return symbol.eval(ctx=mx.cpu(), **args)[0].asnumpy()
        except BadSymbol:
            raise
        except Exception as error:  # noqa: BLE001  (MXNetError and friends: the graph does not run)
            raise BadSymbol(f"MXNet cannot run the symbol: {str(error).splitlines()[0][:200]}") from None


# --- the kit's nets, on the judge's side ------------------------------------------------------------------

def kit_net(mx, hidden, num_outputs: int = 10, in_units: int = 784):
    """The kit's MLP (ReLU hidden layers, a linear output), as the probes build it."""
    net = mx.gluon.nn.HybridSequential()
    with net.name_scope():
        for units in hidden:
            net.add(mx.gluon.nn.Dense(units, activation="relu", in_units=in_units))
            in_units = units
        net.add(mx.gluon.nn.Dense(num_outputs, in_units=in_units))
    net.initialize()
    return net


def set_values(mx, net, values: list[np.ndarray]) -> None:
    """The judge's parameter values into ``net``, in collect_params() order."""
    for param, value in zip(net.collect_params().values(), values, strict=True):
        param.set_data(mx.nd.array(value, dtype=value.dtype))


def exported_files(hidden, values: list[np.ndarray], batch: np.ndarray) -> tuple[str, bytes]:
    """The kit's net with these parameters, hybridized, run once and exported at epoch 0: (symbol JSON, params)."""
    with classic_mxnet() as mx, tempfile.TemporaryDirectory(prefix="gluon-grader-judge-") as folder:
        net = kit_net(mx, hidden)
        set_values(mx, net, values)
        net.hybridize()
        net(mx.nd.array(batch)).wait_to_read()
        path = str(Path(folder) / "model")
        net.export(path, epoch=0)
        return Path(f"{path}-symbol.json").read_text(), Path(f"{path}-0000.params").read_bytes()


def training(hidden, values: list[np.ndarray], batches: list, optimizer: dict, *, save_after: int) -> dict:
    """The kit's training of the kit's net, on the judge's side: every parameter after each step, the trainer's
    state arrays and step counts after ``save_after`` steps, and the files a checkpoint then holds."""
    with classic_mxnet() as mx, tempfile.TemporaryDirectory(prefix="gluon-grader-judge-") as folder:
        net = kit_net(mx, hidden)
        set_values(mx, net, values)
        trainer = mx.gluon.Trainer(net.collect_params(), optimizer["name"], dict(optimizer["options"]))
        loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
        after, saved = [], {}
        for step, (data, label) in enumerate(batches, start=1):
            x, y = mx.nd.array(data), mx.nd.array(label, dtype=label.dtype)
            with mx.autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(x.shape[0])
            after.append([param.data().asnumpy() for param in net.collect_params().values()])
            if step == save_after:
                path = Path(folder) / "checkpoint"
                net.save_parameters(f"{path}.params")
                trainer.save_states(f"{path}.states")
                updater = trainer._updaters[0]
                saved = {"params": Path(f"{path}.params").read_bytes(), "states": Path(f"{path}.states").read_bytes(),
                         "state_arrays": {index: [array.asnumpy() for array in _state_list(state)]
                                          for index, state in updater.states.items()},
                         "counts": dict(trainer._optimizer._index_update_count)}
        return {"after": after, **saved}


def _state_list(state) -> list:
    """An optimizer state (an NDArray, a tuple of them, or None) as a list."""
    if state is None:
        return []
    return list(state) if isinstance(state, (tuple, list)) else [state]
