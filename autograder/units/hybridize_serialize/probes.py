"""The hybridize_serialize unit's probes: hand the judge's inputs to the student's code and send back what it gave.

The judge owns every input and every expected value: it sends the images, labels, parameter values and (for
``import_model`` and ``load_checkpoint``) the files, as plain arrays; a probe only builds a net of those values,
calls the student's function on them and returns plain data: the student's outputs, the parameters the net holds
afterwards, the symbol as JSON text, the bytes of the files the student's code wrote, what an error said. It draws
nothing, compares nothing and keeps nothing of the kit's for the judge: everything in this process is the
student's (numpy, mxnet, this module), so the judge recomputes and reads all of it on its own side.

Nets that an exercise takes as *input* are built here by the kit from the judge's values, and the other half of a
pair (the loader of ``save_checkpoint``, the saver of ``load_checkpoint``, the exporter of ``import_model``) is the
judge's, so that one wrong answer never costs points in another exercise.
"""
from __future__ import annotations

import functools
import warnings
from pathlib import Path

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

from ...subject.describe import as_plain_value, call_text, type_names, written_methods
from ...subject.probing import ProbeContext, probe

HYBRID_BLOCK = "mxnet.gluon.block.HybridBlock"
#: The largest file of the student's whose bytes a probe sends back (a net of this unit's is far smaller).
MAX_FILE_BYTES = 8 * 2**20


# --- describing what the student made -------------------------------------------------------------------

def class_facts(obj) -> dict:
    """Whether ``obj`` is a class, its bases, and the methods written in the notebook."""
    if not isinstance(obj, type):
        return {"is_class": False, "type": type(obj).__name__, "bases": [], "written": []}
    return {"is_class": True, "type": "type", "bases": [f"{c.__module__}.{c.__qualname__}" for c in obj.__mro__],
            "written": written_methods(obj)}


def param_values(net) -> list[dict]:
    """Name and value of every parameter of ``net``, in collect_params() order (values as float32 arrays)."""
    states = []
    for param in net.collect_params().values():
        try:
            value = param.data().asnumpy()
        except Exception:  # noqa: BLE001  (DeferredInitializationError, RuntimeError: what is observed)
            value = None
        states.append({"name": str(param.name), "shape": [max(int(n), 0) for n in param.shape], "value": value,
                       "data_error": None if value is not None else "DeferredInitializationError"})
    return states


def names_text(value, path) -> dict:
    """What the student's export returned, with the scratch path shown as ``<path>`` (it exists only here)."""
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return {"kind": type(value).__name__, "names": [item.replace(str(path), "<path>") for item in value]}
    return {"kind": type(value).__name__, "names": None}


def files_beside(path) -> list[str]:
    """The files whose names start with ``path``'s, shown as ``<path>...``."""
    return sorted("<path>" + entry.name[len(path.name):] for entry in path.parent.iterdir()
                  if entry.name.startswith(path.name))


def file_bytes(path: Path, limit: int = MAX_FILE_BYTES):
    """The bytes of a file the student's code wrote, as a uint8 array (None when absent or too large)."""
    try:
        if not path.is_file() or path.stat().st_size > limit:
            return None
        return np.frombuffer(path.read_bytes(), dtype=np.uint8)
    except OSError:
        return None


# --- inputs and kit-made nets ----------------------------------------------------------------------------

def array_of(values: np.ndarray):
    """``values`` (sent by the judge) as an array of the same dtype for the kit's own use (a parameter's value, the
    kit's training): an ``mxnet.np`` array when the probe runs again in NumPy mode, else a classic NDArray."""
    if mx.util.is_np_array():
        return mx.np.array(values, dtype=values.dtype)
    return nd.array(values, dtype=values.dtype)


def input_of(ctx: ProbeContext, values: np.ndarray):
    """``values`` as the input the student's code is called with: an ``mxnet.np`` array in the NumPy-mode run of a
    notebook that turned NumPy mode on (d2l's ``float(l.sum())`` takes those only), else a classic NDArray, the
    arrays of the notebook's own mode (``F.npx.relu`` in a classic notebook fails there, and here)."""
    if ctx.numpy_mode and mx.util.is_np_array():
        return mx.np.array(values, dtype=values.dtype)
    return nd.array(values, dtype=values.dtype)


def batches_of(batches: list, ctx: ProbeContext | None = None) -> list:
    """The judge's ``[[images, labels], ...]`` as ``(data, label)`` array pairs, as mnist_batches gives them: for the
    student's code with ``ctx``, else for the kit's."""
    convert = (lambda values: input_of(ctx, values)) if ctx is not None else array_of
    return [(convert(data), convert(label)) for data, label in batches]


def kit_net(hidden, values: list, num_outputs: int = 10, in_units: int = 784) -> nn.HybridSequential:
    """The kit's MLP (ReLU hidden layers, a linear output) holding the judge's parameter values."""
    net = nn.HybridSequential()
    with net.name_scope():
        for units in hidden:
            net.add(nn.Dense(units, activation="relu", in_units=in_units))
            in_units = units
        net.add(nn.Dense(num_outputs, in_units=in_units))
    net.initialize()
    for param, value in zip(net.collect_params().values(), values, strict=True):
        param.set_data(array_of(value))
    return net


def kit_train(net, trainer, batches, loss_fn) -> None:
    """The kit's own training steps (checkpoint probes do not depend on the student's train_epoch)."""
    for data, label in batches:
        with autograd.record():
            loss = loss_fn(net(data), label)
        loss.backward()
        trainer.step(data.shape[0])


def make_trainer(net, optimizer: dict):
    """A Trainer over ``net``'s parameters: ``{"name": "adam", "options": {...}}``."""
    return gluon.Trainer(net.collect_params(), optimizer["name"], dict(optimizer["options"]))


# --- probes ----------------------------------------------------------------------------------------------

def quiet(function):
    """Run a probe with warnings off: MXNet warns on routine steps of this unit (``SymbolBlock.imports`` cannot
    decide the parameters' types, a trainer's states loaded, parameters re-initialized), which is no answer's fault
    and, where warnings are errors (the kit's own tests), must not become one."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function(*args, **kwargs)

    return run


def param_shapes(net) -> list[dict]:
    """Name and shape of every parameter of ``net``, in collect_params() order, and whether it has data."""
    return [{**state, "value": None} for state in param_values(net)]


@probe
@quiet
def hybrid_mlp(ctx: ProbeContext, kwargs: dict, x: np.ndarray, values: list | None = None, key: str = "") -> dict:
    """Build the student's HybridMLP and run the judge's batch ``x`` through it once (its parameters' names and
    shapes); with ``values``, give its parameters those values (in collect_params() order), run ``x`` again, then
    hybridize, run it hybridized and call it on ``mx.sym.var('data')``, returning that Symbol as JSON text."""
    cls = ctx.student("HybridMLP")
    reply = ctx.reply
    reply["class"] = class_facts(cls)
    call = call_text("HybridMLP", kwargs)
    with ctx.stage(f"calling {call}"):
        net = cls(**{name: tuple(value) if isinstance(value, list) else value for name, value in kwargs.items()})
    reply.update(call=call, types=type_names(net))
    if not isinstance(net, gluon.HybridBlock):
        return reply
    with ctx.stage(f"reading the prefix of the net {call} returned"):
        reply["prefix"] = str(net.prefix)
    with ctx.stage("net.initialize(mx.init.Xavier())"):
        net.initialize(mx.init.Xavier(magnitude=2.24))
    batch = input_of(ctx, x)
    with ctx.stage(f"the forward pass net(x) before hybridize(), with x of shape {batch.shape}"):
        net(batch)
    with ctx.stage("net.collect_params() after the first batch"):
        reply["shapes"] = param_shapes(net)
    if values is None:
        return reply
    with ctx.stage("net.collect_params() after the first batch"):
        params = list(net.collect_params().values())
    if [tuple(state["shape"]) for state in reply["shapes"]] != [tuple(value.shape) for value in values]:
        reply["assigned"] = False
        return reply
    with ctx.stage("giving the net's parameters new values with param.set_data(...)"):
        for param, value in zip(params, values, strict=True):
            param.set_data(array_of(value))
    reply["assigned"] = True
    with ctx.stage(f"the forward pass net(x) before hybridize(), with x of shape {batch.shape}"):
        reply["output"] = as_plain_value(net(batch))
    with ctx.stage("net.hybridize()"):
        net.hybridize()
    with ctx.stage("the forward pass net(x) after net.hybridize() (hybrid_forward then gets F = mx.sym)"):
        net(batch)
    with ctx.stage("net(mx.sym.var('data')): hybrid_forward called with a Symbol"):
        data = mx.sym.var("data")
        symbol = net(data.as_np_ndarray() if ctx.numpy_mode and mx.util.is_np_array() else data)
    reply["symbol"] = {"type": type(symbol).__name__, "is_symbol": isinstance(symbol, mx.sym.Symbol), "json": None}
    if isinstance(symbol, mx.sym.Symbol):
        with ctx.stage("symbol.tojson() of the Symbol net(mx.sym.var('data')) returned"):
            text = symbol.tojson()
        reply["symbol"]["json"] = text if isinstance(text, str) else None
    with ctx.stage("net.collect_params() after hybridize()"):
        reply["params"] = [str(name) for name in net.collect_params().keys()]  # noqa: SIM118  (a ParameterDict)
    return reply


@probe
@quiet
def export_model(ctx: ProbeContext, hidden: list, values: list, batch: np.ndarray, key: str = "") -> dict:
    """The student's export_model on a kit net of the judge's values and batch; the bytes of the files it wrote."""
    export = ctx.student("export_model")
    net = kit_net(hidden, values)
    path = ctx.scratch_file("")
    # The stage names the argument, not the scratch file: its folder exists only inside the grader.
    reply = ctx.reply
    with ctx.stage("export_model(net, path, batch)"):
        try:
            returned = export(net, str(path), input_of(ctx, batch))
        finally:
            # Evidence for the feedback only (no points): was the net hybridized when export ran or failed?
            reply["hybridized"] = bool(getattr(net, "_active", False))
    reply.update(returned=names_text(returned, path), files=files_beside(path))
    symbol = file_bytes(Path(f"{path}-symbol.json"))
    reply.update(symbol=symbol, params=file_bytes(Path(f"{path}-0000.params")))
    return reply


@probe
@quiet
def import_model(ctx: ProbeContext, symbol: str, params: np.ndarray, x: np.ndarray, key: str = "") -> dict:
    """Write the judge's exported files, import them with the student's import_model, run the judge's batch."""
    load = ctx.student("import_model")
    path = ctx.scratch_file("")
    Path(f"{path}-symbol.json").write_text(symbol)
    Path(f"{path}-0000.params").write_bytes(params.tobytes())
    with ctx.stage("import_model(path) after net.export(path, epoch=0)"):
        imported = load(str(path))
    reply = ctx.reply
    reply["types"] = type_names(imported)
    if not isinstance(imported, gluon.Block):
        return reply
    with ctx.stage("the block import_model returned, on a batch of MNIST images"):
        reply["imported"] = as_plain_value(imported(input_of(ctx, x)))
    return reply


@probe
@quiet
def train_epoch(ctx: ProbeContext, hidden: list, values: list, batches: list, learning_rate: float,
                key: str = "") -> dict:
    """One epoch of the student's train_epoch on a kit net of the judge's values, plain SGD, the judge's batches."""
    train = ctx.student("train_epoch")
    net = kit_net(hidden, values)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": learning_rate})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    reply = ctx.reply
    with ctx.stage("train_epoch(net, trainer, batches, loss_fn)"):
        returned = train(net, trainer, batches_of(batches, ctx), loss_fn)
    reply.update(returned=as_plain_value(returned), final=param_values(net))
    return reply


@probe
@quiet
def evaluate_accuracy(ctx: ProbeContext, hidden: list, values: list, batches: list, key: str = "") -> dict:
    """The student's evaluate_accuracy on a kit net of the judge's values and the judge's batches."""
    evaluate = ctx.student("evaluate_accuracy")
    net = kit_net(hidden, values)
    reply = ctx.reply
    with ctx.stage("evaluate_accuracy(net, batches)"):
        returned = evaluate(net, batches_of(batches, ctx))
    reply["returned"] = as_plain_value(returned)
    # The same call again: a right answer gives the same value twice (a metric never reset does not).
    with ctx.stage("evaluate_accuracy(net, batches) a second time, on the same batches"):
        again = evaluate(net, batches_of(batches, ctx))
    reply["again"] = as_plain_value(again)
    return reply


@probe
@quiet
def save_checkpoint(ctx: ProbeContext, hidden: list, values: list, batches: list, optimizer: dict,
                    key: str = "") -> dict:
    """Train a kit net of the judge's values on the judge's batches, then the student's save_checkpoint; the bytes
    of ``path + '.params'`` and ``path + '.states'`` (the judge reads them and compares with its own training)."""
    save = ctx.student("save_checkpoint")
    net = kit_net(hidden, values)
    trainer = make_trainer(net, optimizer)
    kit_train(net, trainer, batches_of(batches), gluon.loss.SoftmaxCrossEntropyLoss())
    path = ctx.scratch_file("")
    with ctx.stage(f"save_checkpoint(net, trainer, path) after {len(batches)} training steps"):
        save(net, trainer, str(path))
    reply = ctx.reply
    reply.update(files=files_beside(path), params=file_bytes(Path(f"{path}.params")),
                 states=file_bytes(Path(f"{path}.states")))
    return reply


@probe
@quiet
def load_checkpoint(ctx: ProbeContext, hidden: list, values: list, params: np.ndarray, states: np.ndarray,
                    batches: list, optimizer: dict, key: str = "") -> dict:
    """A fresh kit net (the judge's other values) and trainer resume with the student's load_checkpoint from the
    judge's checkpoint files, then train on the judge's batches; the parameters after loading and after training."""
    load = ctx.student("load_checkpoint")
    net = kit_net(hidden, values)
    trainer = make_trainer(net, optimizer)
    path = ctx.scratch_file("")
    Path(f"{path}.params").write_bytes(params.tobytes())
    Path(f"{path}.states").write_bytes(states.tobytes())
    reply = ctx.reply
    with ctx.stage("load_checkpoint(fresh_net, fresh_trainer, path)"):
        load(net, trainer, str(path))
    reply["restored"] = param_values(net)
    with ctx.stage(f"training resumed from the checkpoint ({len(batches)} steps)"):
        kit_train(net, trainer, batches_of(batches), gluon.loss.SoftmaxCrossEntropyLoss())
    reply["resumed"] = param_values(net)
    return reply
