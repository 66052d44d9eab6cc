"""The hybridize_serialize unit's probes: run the student's HybridMLP imperatively, hybridized and on a Symbol; export,
import, train, evaluate and checkpoint with the student's functions; report what MXNet shows, as plain data.

Probes never judge. Nets that an exercise takes as *input* (every exercise but ``HybridMLP``) are built here by the
kit, and the other half of a pair (the loader of ``save_checkpoint``, the saver of ``load_checkpoint``, the exporter
of ``import_model``) is the kit's own, so that one wrong answer never costs points in another exercise.

Training is small and deterministic: a net with one narrow hidden layer, a few MNIST batches, seeds fixed by the
judge (``mx.random.seed`` and ``np.random.seed``). The probe returns the parameters before and after, so the judge
recomputes what one epoch of SGD must give.
"""
from __future__ import annotations

import functools
import itertools
import warnings
from pathlib import Path

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

from ...subject.describe import as_plain_value, call_text, type_names, written_methods
from ...subject.probing import ProbeContext, probe

HYBRID_BLOCK = "mxnet.gluon.block.HybridBlock"


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


# --- inputs and kit-made nets ----------------------------------------------------------------------------

def array_of(values: np.ndarray):
    """``values`` as a classic NDArray of the same dtype."""
    return nd.array(values, dtype=values.dtype)


def images(ctx: ProbeContext, start: int, rows: int):
    """MNIST images ``start`` to ``start + rows`` as an NDArray (the probe's MNIST is its first 256 images)."""
    return array_of(ctx.mnist_images(start + rows)[start:])


def mnist_batches(ctx: ProbeContext, sizes: list, label_dtype: str = "int32") -> list:
    """Consecutive MNIST ``(data, label)`` batches of the given sizes, labels as ``mnist_batches`` gives them."""
    total = sum(sizes)
    pixels, labels = ctx.mnist_images(total), ctx.mnist_labels(total).astype(label_dtype)
    edges = np.cumsum([0, *sizes])
    return [(array_of(pixels[a:b]), array_of(labels[a:b])) for a, b in itertools.pairwise(edges)]


def kit_net(hidden, num_outputs: int = 10, in_units: int = 784) -> nn.HybridSequential:
    """The kit's MLP (ReLU hidden layers, a linear output), shapes given so that initialize() allocates at once."""
    net = nn.HybridSequential()
    with net.name_scope():
        for units in hidden:
            net.add(nn.Dense(units, activation="relu", in_units=in_units))
            in_units = units
        net.add(nn.Dense(num_outputs, in_units=in_units))
    return net


def seeded_net(hidden, seed: int, num_outputs: int = 10) -> nn.HybridSequential:
    """A kit net initialized from fixed seeds (Xavier, so that a few steps of training move it visibly)."""
    mx.random.seed(seed)
    np.random.seed(seed)
    net = kit_net(hidden, num_outputs)
    net.initialize(mx.init.Xavier(magnitude=2.24))
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


@probe
@quiet
def hybrid_mlp(ctx: ProbeContext, kwargs: dict, rows: int, seed: int = 0) -> dict:
    """Build the student's HybridMLP, run a batch imperatively, then hybridized, then call it on a Symbol."""
    cls = ctx.student("HybridMLP")
    reply = ctx.reply
    reply["class"] = class_facts(cls)
    call = call_text("HybridMLP", kwargs)
    with ctx.stage(f"calling {call}"):
        net = cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in kwargs.items()})
    reply.update(call=call, types=type_names(net))
    if not isinstance(net, gluon.HybridBlock):
        return reply
    with ctx.stage(f"reading the prefix of the net {call} returned"):
        reply["prefix"] = str(net.prefix)
    mx.random.seed(seed)
    with ctx.stage("net.initialize(mx.init.Xavier())"):
        net.initialize(mx.init.Xavier(magnitude=2.24))
    x = images(ctx, 0, rows)
    with ctx.stage(f"the forward pass net(x) before hybridize(), with x of shape {x.shape}"):
        y = net(x)
    reply.update(input=x.asnumpy(), output=as_plain_value(y))
    with ctx.stage("net.collect_params() after the first batch"):
        reply["after_forward"] = param_values(net)
    with ctx.stage("net.hybridize()"):
        net.hybridize()
    with ctx.stage("the forward pass net(x) after net.hybridize() (hybrid_forward then gets F = mx.sym)"):
        reply["hybridized"] = as_plain_value(net(x))
    with ctx.stage("net(mx.sym.var('data')): hybrid_forward called with a Symbol"):
        symbol = net(mx.sym.var("data"))
    reply["symbol"] = {"type": type(symbol).__name__, "is_symbol": isinstance(symbol, mx.sym.Symbol)}
    if isinstance(symbol, mx.sym.Symbol):
        with ctx.stage("symbol.list_arguments() of the Symbol net(mx.sym.var('data')) returned"):
            reply["symbol"]["arguments"] = [str(name) for name in symbol.list_arguments()]
    reply["params"] = [str(name) for name in net.collect_params().keys()]  # noqa: SIM118  (a ParameterDict)
    return reply


@probe
@quiet
def export_model(ctx: ProbeContext, hidden: list, rows: int, seed: int = 0) -> dict:
    """Export a kit-made net with the student's export_model, then import the files with the kit's own code."""
    export = ctx.student("export_model")
    net = seeded_net(hidden, seed)
    batch = images(ctx, 0, rows)
    path = ctx.scratch_file("")
    # The stage names the argument, not the scratch file: its folder exists only inside the grader.
    with ctx.stage("export_model(net, path, batch)"):
        returned = export(net, str(path), batch)
    reply = ctx.reply
    symbol_file, params_file = f"{path}-symbol.json", f"{path}-0000.params"
    reply.update(returned=names_text(returned, path), files=files_beside(path))
    reply["written"] = all(Path(name).is_file() for name in (symbol_file, params_file))
    if not reply["written"]:
        return reply
    x = images(ctx, rows, rows)
    with ctx.stage("gluon.SymbolBlock.imports(path + '-symbol.json', ['data'], path + '-0000.params') "
                   "of the files your export_model wrote"):
        imported = gluon.SymbolBlock.imports(symbol_file, ["data"], params_file)
    with ctx.stage("the imported SymbolBlock on a batch of MNIST images"):
        reply["imported"] = as_plain_value(imported(x))
    with ctx.stage("the exported net on the same batch"):
        reply["expected"] = as_plain_value(net(x))
    return reply


@probe
@quiet
def import_model(ctx: ProbeContext, hidden: list, rows: int, seed: int = 0) -> dict:
    """Export a kit-made net with the kit's own code, then import it with the student's import_model."""
    load = ctx.student("import_model")
    net = seeded_net(hidden, seed)
    net.hybridize()
    net(images(ctx, 0, rows))
    path = ctx.scratch_file("")
    net.export(str(path), epoch=0)
    with ctx.stage("import_model(path) after net.export(path, epoch=0)"):
        imported = load(str(path))
    reply = ctx.reply
    reply["types"] = type_names(imported)
    reply["same_object"] = imported is net
    if not isinstance(imported, gluon.Block):
        return reply
    x = images(ctx, rows, rows)
    reply["expected"] = as_plain_value(net(x))
    with ctx.stage("the block import_model returned, on a batch of MNIST images"):
        reply["imported"] = as_plain_value(imported(x))
    return reply


@probe
@quiet
def train_epoch(ctx: ProbeContext, hidden: list, sizes: list, learning_rate: float, seed: int = 0) -> dict:
    """One epoch of the student's train_epoch on a kit-made net, plain SGD, over MNIST batches of ``sizes``."""
    train = ctx.student("train_epoch")
    net = seeded_net(hidden, seed)
    batches = mnist_batches(ctx, sizes)
    reply = ctx.reply
    reply.update(initial=param_values(net), images=ctx.mnist_images(sum(sizes)).copy(),
                 labels=ctx.mnist_labels(sum(sizes)).copy())
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": learning_rate})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    with ctx.stage("train_epoch(net, trainer, batches, loss_fn)"):
        returned = train(net, trainer, batches, loss_fn)
    reply.update(returned=as_plain_value(returned), final=param_values(net))
    return reply


@probe
@quiet
def evaluate_accuracy(ctx: ProbeContext, hidden: list, sizes: list, label_dtype: str, seed: int = 0) -> dict:
    """The student's evaluate_accuracy on a kit-made net; the kit's own outputs and labels to recount from."""
    evaluate = ctx.student("evaluate_accuracy")
    net = seeded_net(hidden, seed)
    batches = mnist_batches(ctx, sizes, label_dtype)
    reply = ctx.reply
    reply["outputs"] = np.concatenate([net(data).asnumpy() for data, _ in batches])
    reply["labels"] = np.concatenate([label.asnumpy() for _, label in batches])
    reply["sizes"] = list(sizes)
    with ctx.stage("evaluate_accuracy(net, batches)"):
        returned = evaluate(net, batches)
    reply["returned"] = as_plain_value(returned)
    return reply


@probe
@quiet
def checkpoint(ctx: ProbeContext, side: str, hidden: list, sizes: list, optimizer: dict, seed: int = 0) -> dict:
    """Train, checkpoint, train on (uninterrupted); then a fresh net and trainer resume from the checkpoint.

    ``side`` says whose half is the student's: ``save`` (the student's save_checkpoint, the kit's loader) or
    ``load`` (the kit's saver, the student's load_checkpoint). The kit's files are ``path + '.params'`` (the net's
    ``save_parameters``) and ``path + '.states'`` (the trainer's ``save_states``), as the exercise asks.
    """
    student = ctx.student("save_checkpoint" if side == "save" else "load_checkpoint")
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    batches = mnist_batches(ctx, sizes)
    half = len(batches) // 2
    net = seeded_net(hidden, seed)
    trainer = make_trainer(net, optimizer)
    kit_train(net, trainer, batches[:half], loss_fn)
    path = ctx.scratch_file("")
    reply = ctx.reply
    reply["saved"] = param_values(net)
    if side == "save":
        with ctx.stage("save_checkpoint(net, trainer, path) after two training steps"):
            student(net, trainer, str(path))
        reply["files"] = files_beside(path)
    else:
        net.save_parameters(f"{path}.params")
        trainer.save_states(f"{path}.states")
    kit_train(net, trainer, batches[half:], loss_fn)
    reply["uninterrupted"] = param_values(net)

    fresh = seeded_net(hidden, seed + 1)
    fresh_trainer = make_trainer(fresh, optimizer)
    if side == "save":
        # The kit's loader reads what is there: a missing file shows as a resumed run that differs.
        if (path.parent / f"{path.name}.params").is_file():
            with ctx.stage("fresh_net.load_parameters(path + '.params') of the checkpoint your save_checkpoint wrote"):
                fresh.load_parameters(f"{path}.params")
        if (path.parent / f"{path.name}.states").is_file():
            with ctx.stage("fresh_trainer.load_states(path + '.states') of the checkpoint your save_checkpoint wrote"):
                fresh_trainer.load_states(f"{path}.states")
    else:
        with ctx.stage("load_checkpoint(fresh_net, fresh_trainer, path)"):
            student(fresh, fresh_trainer, str(path))
    reply["restored"] = param_values(fresh)
    with ctx.stage("training resumed from the checkpoint (two steps)"):
        kit_train(fresh, fresh_trainer, batches[half:], loss_fn)
    reply["resumed"] = param_values(fresh)

    # What resuming with the parameters alone gives, so that the judge can name a missing trainer state.
    alone = seeded_net(hidden, seed + 2)
    set_values(alone, reply["saved"])
    alone_trainer = make_trainer(alone, optimizer)
    kit_train(alone, alone_trainer, batches[half:], loss_fn)
    reply["parameters_alone"] = param_values(alone)
    return reply


def set_values(net, states: list[dict]) -> None:
    """Give ``net``'s parameters, in order, the values recorded in ``states``."""
    for param, state in zip(net.collect_params().values(), states, strict=True):
        param.set_data(nd.array(state["value"]))
