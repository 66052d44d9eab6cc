"""The custom_layers unit's probes: build the student's layers and nets, run them on the judge's inputs, and
report what they gave back, as plain data.

Everything here runs in the student's process, so the student owns it: numpy, mxnet, this module. Probes therefore
never draw an input, never compare and never judge. The judge sends every input and every parameter value (as
arrays); a probe puts the values into the student's parameters (``set_data``), calls the student's code on the
judge's input and returns what came back: outputs, gradients, parameter names and shapes, the JSON text of the graph
``hybrid_forward`` builds on symbols (what ``hybridize()`` runs), what an error said. The judge recomputes every
expected value itself, in NumPy, from its own inputs and values, and evaluates that graph itself
(:mod:`autograder.checks.symbols`); whatever the student's process forges, only the right answer passes.

Nets that an exercise takes as *input* (``count_unique_parameters``) are built here by the kit, and
``build_custom_mlp`` is built with the kit's own stand-in for ``MyDense``, so that one wrong answer never costs
points in another exercise.
"""
from __future__ import annotations

import contextlib

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

from ...subject.describe import as_plain_value, qualified, type_names
from ...subject.notebook import first_line_of
from ...subject.probing import ProbeContext, StageFailed, probe

#: Block classes a layer of the student's own may derive from; any other MXNet class in its MRO is a built-in.
OWN_BASES = ("mxnet.gluon.block.Block", "mxnet.gluon.block.HybridBlock")


# --- describing what the student made -------------------------------------------------------------------

def param_state(param, *, values: bool = False, grad: bool = False) -> dict:
    """Name, shape, and allocation state of one Parameter; its values (and gradient) when asked and it has data."""
    # An unknown size is 0 in classic mode and -1 in NumPy mode (npx.set_np()): both are reported as 0.
    state = {"name": str(param.name), "shape": [max(int(n), 0) for n in param.shape],
             "recorded": bool(param._deferred_init)}
    try:
        value = param.data().asnumpy()
        state["data_error"] = None
    except Exception as error:  # noqa: BLE001  (DeferredInitializationError, RuntimeError: what is observed)
        value, state["data_error"] = None, type(error).__name__
    if values:
        state["value"] = value
    if grad:
        try:
            state["grad"] = param.grad().asnumpy()
        except Exception:  # noqa: BLE001  (no gradient buffer: grad_req null, not initialized)
            state["grad"] = None
    return state


def params_of(ctx: ProbeContext, net, when: str, *, values: bool = False, grad: bool = False) -> list[dict]:
    """The state of every parameter ``net.collect_params()`` finds, in order."""
    with ctx.stage(f"net.collect_params() {when}"):
        params = list(net.collect_params().values())
    return [param_state(param, values=values, grad=grad) for param in params]


def child_blocks(block) -> list[dict]:
    """The registered children of ``block``: what each is, and for Dense layers their units and activation."""
    children = []
    for child in block._children.values():
        entry = {"name": str(child.name), "type": qualified(type(child)), "kit_dense": isinstance(child, MyDense)}
        if isinstance(child, nn.Dense):
            entry.update(units=int(child._units), activation=child.act._act_type if child.act is not None else None)
        children.append(entry)
    return children


def loose_parameters(block, collected: set[str]) -> list[str]:
    """Parameters kept in the block's attributes that ``collect_params()`` does not find (made, never registered)."""
    loose = {}  # by identity: the same Parameter sits in an attribute and in the block's _reg_params
    for value in vars(block).values():
        found = value.values() if isinstance(value, (dict, gluon.ParameterDict)) else \
            value if isinstance(value, (list, tuple)) else [value]
        loose.update({id(param): str(param.name) for param in found
                      if isinstance(param, gluon.Parameter) and param.name not in collected})
    return list(loose.values())


# --- the judge's inputs, the judge's values, kit-made nets ----------------------------------------------

def judge_array(value) -> nd.NDArray:
    """An array the judge sent, as the float32 array the student's code is called with: an ``mxnet.np`` array when
    the probe is asked again in NumPy mode (code written with ``npx.set_np()``), else a classic NDArray."""
    value = np.asarray(value, dtype=np.float32)
    if mx.util.is_np_array():
        return mx.np.array(value, dtype="float32")
    return nd.array(value, dtype="float32")


def set_values(ctx: ProbeContext, net, values, prefix: str = "") -> list:
    """Put the judge's parameter values into the net: by name under ``prefix`` (``values`` a dict, e.g.
    ``{"weight": W}``) or in ``collect_params()`` order (a list). A parameter is set only when its shape is the
    value's. Returns, per value, the name of the parameter it went into, or None (the judge says why)."""
    with ctx.stage("net.collect_params() after the first batch"):
        params = list(net.collect_params().values())
    if isinstance(values, dict):
        pairs = [(next((p for p in params if str(p.name) == prefix + key), None), value)
                 for key, value in values.items()]
    else:
        pairs = [(params[index] if index < len(params) else None, value) for index, value in enumerate(values)]
    assigned = []
    for param, value in pairs:
        if param is None or tuple(int(n) for n in param.shape) != tuple(value.shape):
            assigned.append(None)
            continue
        with ctx.stage(f"setting {param.name} to the grader's values with set_data(...)"):
            param.set_data(judge_array(value))
        assigned.append(str(param.name))
    return assigned


def traced(ctx: ProbeContext, net, what: str) -> dict:
    """The graph ``net`` builds when called on a symbol (``hybrid_forward`` with F = mx.sym, as ``hybridize()``
    runs it), as its JSON text; the judge evaluates it on its own side. A failure is recorded, not raised: it
    belongs to the checks about hybridizing, and the steps after it still run."""
    try:
        with ctx.stage(f"{what} called on a symbol, as hybridize() runs it: hybrid_forward with F = mx.sym"):
            data = mx.sym.var("data")
            out = net(data.as_np_ndarray() if mx.util.is_np_array() else data)
            text = out.tojson() if isinstance(out, mx.sym.Symbol) else None
    except StageFailed as failed:
        return {"kind": "error", "value": None, "error_type": type(failed.error).__name__,
                "message": first_line_of(failed.error)}
    if not isinstance(out, mx.sym.Symbol):
        return {"kind": type(out).__name__, "value": None}
    return {"kind": "Symbol", "value": text if isinstance(text, str) else None}


class MyDense(nn.Dense):
    """The kit's stand-in for the student's MyDense while their ``build_custom_mlp`` runs: relu(x W^T + b).

    Named ``MyDense`` so that the blocks it makes are named ``mydense0_``, ``mydense1_``, as the student's would be.
    """

    def __init__(self, units, in_units=0, **kwargs):
        super().__init__(units, activation="relu", in_units=in_units, **kwargs)


@contextlib.contextmanager
def kit_dense_in(namespace: dict):
    """The name ``MyDense`` in the notebook is the kit's stand-in while the block runs, then what it was."""
    missing = object()
    saved = namespace.get("MyDense", missing)
    namespace["MyDense"] = MyDense
    try:
        yield
    finally:
        if saved is missing:
            namespace.pop("MyDense", None)
        else:
            namespace["MyDense"] = saved


def kit_tied_net(width: int, repeats: int, num_outputs: int, nested: bool = False):
    """Dense(width) -> ``repeats`` Dense(width) layers sharing one weight and bias -> Dense(num_outputs).

    With ``nested``, the sharing layers after the first sit in an inner Sequential, so a count over the direct
    children sees them as one block.
    """
    net = nn.Sequential()
    with net.name_scope():
        net.add(nn.Dense(width, activation="relu"))  # shapes left to the first batch
        shared = nn.Dense(width, activation="relu")
        net.add(shared)
        copies = [nn.Dense(width, activation="relu", params=shared.params) for _ in range(repeats - 1)]
        if nested and copies:
            inner = nn.Sequential()
            inner.add(*copies)
            net.add(inner)
        else:
            net.add(*copies)
        net.add(nn.Dense(num_outputs))
    return net


# --- probes ----------------------------------------------------------------------------------------------

@probe
def class_info(ctx: ProbeContext, name: str) -> dict:
    """Whether ``name`` is a class, its MRO, which methods it defines itself, and the built-ins it derives from."""
    obj = ctx.student(name)
    if not isinstance(obj, type):
        return {"is_class": False, "type": type(obj).__name__, "bases": [], "own": [], "builtin": []}
    bases = [qualified(cls) for cls in obj.__mro__]
    own = sorted(key for key in vars(obj) if callable(vars(obj)[key]))
    builtin = [base for base in bases if base.startswith("mxnet.") and base not in OWN_BASES]
    return {"is_class": True, "type": "type", "bases": bases, "own": own, "builtin": builtin}


@probe
def centered(ctx: ProbeContext, x, values: list | None = None) -> dict:
    """Run the student's CenteredLayer on the judge's ``x``: imperatively, traced on a symbol, then hybridized.

    With ``values`` (the judge's weight and bias of a Dense(8)) the layer follows a kit-made Dense(8) in a
    HybridSequential, as it would in a real net.
    """
    cls = ctx.student("CenteredLayer")
    reply = ctx.reply
    with ctx.stage("CenteredLayer()"):
        layer = cls()
    reply.update(types=type_names(layer), children=child_blocks(layer) if isinstance(layer, gluon.Block) else [])
    if not isinstance(layer, gluon.Block):
        return reply
    net = layer
    if values is not None:
        net = nn.HybridSequential()
        net.add(nn.Dense(8, in_units=int(np.prod(x.shape[1:])), flatten=True), layer)
    reply["params"] = [state["name"] for state in params_of(ctx, layer, "of CenteredLayer()")]
    with ctx.stage("initialize()"):
        net.initialize(mx.init.Uniform(0.5))
    what = "the net Dense(8) -> CenteredLayer()" if values is not None else "CenteredLayer()"
    data = judge_array(x)
    if values is not None:
        with ctx.stage(f"{what}(x) with x of shape {x.shape}"):
            net(data)
        reply["assigned"] = set_values(ctx, net[0], values)
    with ctx.stage(f"{what}(x) with x of shape {x.shape}"):
        reply["output"] = as_plain_value(net(data))
    reply["symbol"] = traced(ctx, net, what)
    with ctx.stage(f"{what}.hybridize(), then the same call again"):
        net.hybridize()
        reply["hybrid_output"] = as_plain_value(net(data))
    return reply


@probe
def my_dense(ctx: ProbeContext, units: int, in_units: int, x, values: dict) -> dict:
    """Build the student's MyDense and record it before init and after init; run a first batch (which fixes deferred
    shapes), put the judge's weight and bias in, run the judge's ``x`` again, trace it on a symbol, hybridize."""
    cls = ctx.student("MyDense")
    call = f"MyDense({units}, in_units={in_units})"
    reply = ctx.reply
    reply["call"] = call
    with ctx.stage(f"calling {call}"):
        layer = cls(units, in_units=in_units)
    reply["types"] = type_names(layer)
    if not isinstance(layer, gluon.Block):
        return reply
    with ctx.stage(f"reading the prefix of {call}"):
        reply["prefix"] = str(layer.prefix)
    reply["children"] = child_blocks(layer)
    before = params_of(ctx, layer, "before initialize()")
    reply["loose"] = loose_parameters(layer, {state["name"] for state in before})
    reply["before_init"] = before
    reply["symbol"] = traced(ctx, layer, call)  # before initialize(): a wrong shape must not hide the graph
    with ctx.stage(f"{call}.initialize()"):
        layer.initialize(mx.init.Uniform(0.5))
    reply["after_init"] = params_of(ctx, layer, "after initialize()")
    data = judge_array(x)
    with ctx.stage(f"the first forward pass of {call} on x of shape {x.shape}"):
        layer(data)
    reply["after_forward"] = params_of(ctx, layer, "after the first batch")
    reply["assigned"] = set_values(ctx, layer, values, reply["prefix"])
    with ctx.stage(f"the forward pass of {call} on x of shape {x.shape}, its weight and bias set"):
        reply["output"] = as_plain_value(layer(data))
    with ctx.stage(f"{call}.hybridize(), then the same forward pass again"):
        layer.hybridize()
        reply["hybrid_output"] = as_plain_value(layer(data))
    return reply


@probe
def custom_mlp(ctx: ProbeContext, kwargs: dict, x, values: list) -> dict:
    """Build the student's build_custom_mlp (with the kit's MyDense), then record it as ``my_dense`` does, its
    parameters set in ``collect_params()`` order to the judge's ``values``."""
    build = ctx.student("build_custom_mlp")
    shown = ", ".join(f"{key}={tuple(value) if isinstance(value, list) else value!r}" for key, value in kwargs.items())
    call = f"build_custom_mlp({shown})"
    reply = ctx.reply
    reply["call"] = call
    with ctx.stage(f"calling {call}"), kit_dense_in(ctx.namespace):
        net = build(**{key: tuple(value) if isinstance(value, list) else value for key, value in kwargs.items()})
    reply["types"] = type_names(net)
    if not isinstance(net, gluon.Block):
        return reply
    with ctx.stage(f"reading the prefix of the net {call} returned"):
        reply["prefix"] = str(net.prefix)
    reply["children"] = child_blocks(net)
    reply["before_init"] = params_of(ctx, net, "before initialize()")
    with ctx.stage("net.initialize()"):
        net.initialize(mx.init.Uniform(0.5))
    data = judge_array(x)
    with ctx.stage(f"the forward pass net(x) with x of shape {x.shape}"):
        net(data)
    reply["after_forward"] = params_of(ctx, net, "after the first batch")
    reply["assigned"] = set_values(ctx, net, values)
    with ctx.stage(f"the forward pass net(x) with x of shape {x.shape}, its parameters set"):
        reply["output"] = as_plain_value(net(data))
    reply["symbol"] = traced(ctx, net, "the net")
    with ctx.stage("net.hybridize(), then the same forward pass again"):
        net.hybridize()
        reply["hybrid_output"] = as_plain_value(net(data))
    return reply


@probe
def tied_mlp(ctx: ProbeContext, width: int, num_outputs: int, x, values: list, loss_weights, new_weight) -> dict:
    """Build the student's tied MLP; which layers claim to share what; its parameters set in ``collect_params()``
    order to the judge's ``values``; a forward and backward pass of sum(net(x) * loss_weights); then the second
    layer's weight set to ``new_weight`` and the forward pass again."""
    build = ctx.student("build_tied_mlp")
    call = f"build_tied_mlp(width={width}, num_outputs={num_outputs})"
    reply = ctx.reply
    reply["call"] = call
    with ctx.stage(f"calling {call}"):
        net = build(width=width, num_outputs=num_outputs)
    reply["types"] = type_names(net)
    if not isinstance(net, gluon.Block):
        return reply
    layers = list(net._children.values())
    reply["children"] = child_blocks(net)
    dense = [layer for layer in layers if isinstance(layer, nn.Dense)]
    for entry, layer in zip((e for e in reply["children"] if "units" in e), dense, strict=True):
        entry["weight"], entry["bias"] = str(layer.weight.name), str(layer.bias.name) if layer.bias else None
        entry["weight_of"] = next(i for i, other in enumerate(dense) if other.weight is layer.weight)
        entry["bias_of"] = next(i for i, other in enumerate(dense) if other.bias is layer.bias)
    reply["collected"] = [state["name"] for state in params_of(ctx, net, "before initialize()")]
    with ctx.stage("net.initialize()"):
        net.initialize(mx.init.Uniform(0.5))
    data, weights = judge_array(x), judge_array(loss_weights)
    with ctx.stage(f"the forward pass net(x) with x of shape {x.shape}"):
        net(data)
    reply["assigned"] = set_values(ctx, net, values)
    with ctx.stage(f"a forward and backward pass: with autograd.record(): loss = (net(x) * r).sum(), x of shape "
                   f"{x.shape}; loss.backward()"):
        with autograd.record():
            out = net(data)
            loss = (out * weights).sum()
        loss.backward()
    reply["output"] = as_plain_value(out)
    reply["after_backward"] = params_of(ctx, net, "after a backward pass", grad=True)
    if len(dense) >= 3 and tuple(dense[1].weight.shape) == tuple(new_weight.shape):
        with ctx.stage("setting the second layer's weight with net[1].weight.set_data(...)"):
            dense[1].weight.set_data(judge_array(new_weight))
        with ctx.stage("the forward pass net(x) again, after net[1].weight.set_data(...)"):
            reply["output_after_set"] = as_plain_value(net(data))
    return reply


@probe
def count_unique(ctx: ProbeContext, width: int, repeats: int, num_outputs: int, x, nested: bool = False) -> dict:
    """Call the student's count_unique_parameters on a kit-made tied net whose shapes the judge's batch has fixed."""
    count = ctx.student("count_unique_parameters")
    net = kit_tied_net(width, repeats, num_outputs, nested)
    net.initialize()
    net(judge_array(x))
    with ctx.stage("count_unique_parameters(net)"):
        value = count(net)
    return {"value": as_plain_value(value)}
