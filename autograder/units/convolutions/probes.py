"""The convolutions unit's probes: call the student's functions and blocks on inputs the judge sent, and report what
came back, as plain data.

Probes never judge and never choose an input: every array, size and setting arrives in the request. They describe
what the student's code made (types, the names its code refers to, parameter names and shapes, outputs
imperative and hybridized, the graph ``export`` wrote) so that the judge can recompute every expected value itself.
Nets that an exercise takes as *input* (``layer_shapes``) are built here by the kit from the judge's description.
Every probe takes the judge's ``digest`` of its arrays and ignores it: it only tells requests apart (see
``checks/shared.ask``).
"""
from __future__ import annotations

import types

import mxnet as mx
import numpy as np
from mxnet import gluon, nd
from mxnet.gluon import nn

from ...subject.describe import as_plain_value, qualified, type_names, written_methods
from ...subject.probing import ProbeContext, probe

#: The most characters of an exported graph returned to the judge (LeNet's is about 6,000).
MAX_GRAPH_TEXT = 200_000


# --- describing what the student made -------------------------------------------------------------------

def code_names(obj) -> list[str]:
    """The global and attribute names the code of a function (or of every method of a class) refers to, sorted;
    with them the names of what those globals are (``conv = nd.Convolution`` adds ``Convolution``), and the names
    in the code of the notebook's own functions it calls.

    The judge looks there for ``Convolution``, ``Pooling`` or ``Conv2D``: MXNet's own operator or layer in place of
    the code the exercise asks for.
    """
    functions = [obj] if callable(obj) and not isinstance(obj, type) else []
    if isinstance(obj, type):
        for klass in obj.__mro__:
            if not klass.__module__.startswith(("mxnet.", "builtins")):
                functions += [value for value in vars(klass).values() if isinstance(value, types.FunctionType)]
    names: set[str] = set()
    seen: set[int] = set()
    while functions:
        function = functions.pop()
        code = getattr(function, "__code__", None)
        if id(function) in seen or not isinstance(code, types.CodeType):
            continue
        seen.add(id(function))
        scope = getattr(function, "__globals__", None) or {}
        stack = [code]
        while stack:
            current = stack.pop()
            for name in current.co_names:
                names.add(str(name))
                value = scope.get(name) if isinstance(scope, dict) else None
                if isinstance(value, types.FunctionType) and value.__globals__ is scope:
                    functions.append(value)  # a helper written in the notebook: its code counts too
                if isinstance(getattr(value, "__name__", None), str):
                    names.add(value.__name__)
            stack += [const for const in current.co_consts if isinstance(const, types.CodeType)]
    return sorted(names)


def class_facts(obj) -> dict:
    """Whether ``obj`` is a class, its bases, the methods written in the notebook and the names their code uses."""
    if not isinstance(obj, type):
        return {"is_class": False, "type": type(obj).__name__, "bases": [], "written": [], "names": []}
    return {"is_class": True, "type": "type", "bases": [qualified(c) for c in obj.__mro__],
            "written": written_methods(obj), "names": code_names(obj)}


def param_states(ctx: ProbeContext, block, when: str, *, values: bool = True) -> list[dict]:
    """Name, shape, allocation state (and value) of every parameter ``collect_params()`` finds, in order."""
    with ctx.stage(f"collect_params() {when}"):
        params = list(block.collect_params().values())
    states = []
    for param in params:
        state = {"name": str(param.name), "shape": [int(n) for n in param.shape]}
        try:
            value = param.data().asnumpy()
            state["data_error"] = None
        except Exception as error:  # noqa: BLE001  (DeferredInitializationError, RuntimeError: what is observed)
            value, state["data_error"] = None, type(error).__name__
        if values:
            state["value"] = value
        states.append(state)
    return states


def set_values(ctx: ProbeContext, block, values: list, what: str) -> list[str]:
    """Give the block's parameters the judge's values: each parameter, in collect_params() order, takes the first
    value not yet given whose shape is its own. Returns the names of the parameters set."""
    remaining = list(values)
    done = []
    with ctx.stage(f"setting the parameters of {what} with param.set_data(...)"):
        for param in block.collect_params().values():
            match = next((index for index, value in enumerate(remaining)
                          if tuple(int(n) for n in param.shape) == value.shape), None)
            if match is not None:
                param.set_data(nd.array(remaining.pop(match)))
                done.append(str(param.name))
    return done


def _setting(value):
    """A layer setting as plain data: ints, strings and tuples of ints; anything else by its type's name."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        return [_setting(item) for item in value]
    return type(value).__name__


def layer_facts(block) -> dict:
    """What one child of a net is: its class, and the settings Gluon keeps for it (channels, kernel, units...)."""
    facts = {"type": qualified(type(block)), "class": type(block).__name__, "types": type_names(block)}
    for key, attribute in (("channels", "_channels"), ("units", "_units"), ("act_type", "_act_type")):
        if hasattr(block, attribute):
            facts[key] = _setting(getattr(block, attribute))
    kwargs = getattr(block, "_kwargs", None)
    if isinstance(kwargs, dict):
        facts["settings"] = {str(key): _setting(value) for key, value in kwargs.items()}
    act = getattr(block, "act", None)
    facts["activation"] = _setting(getattr(act, "_act_type", None)) if act is not None else None
    return facts


def children_of(block) -> list[dict]:
    """The registered children of ``block``, in order."""
    return [layer_facts(child) for child in block._children.values()]


def described_sequence(value) -> dict:
    """A tuple or list the student returned, item by item, described without trusting it."""
    if isinstance(value, nd.NDArray) or not isinstance(value, (tuple, list)):
        return {"kind": type(value).__name__, "items": None}
    return {"kind": type(value).__name__, "items": [as_plain_value(item) for item in list(value)]}


def described_pairs(value) -> dict:
    """``layer_shapes``' answer: a list of (name, shape) pairs, each described as plain data."""
    if not isinstance(value, (tuple, list)):
        return {"kind": type(value).__name__, "pairs": None}
    pairs = []
    for item in list(value):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            pairs.append({"kind": type(item).__name__, "name": None, "shape": None})
            continue
        name, shape = item[0], item[1]
        pairs.append({"kind": type(item).__name__, "name": str(name) if isinstance(name, str) else None,
                      "name_kind": type(name).__name__, "shape": described_sequence(shape)})
    return {"kind": type(value).__name__, "pairs": pairs}


def as_setting(value):
    """A judge's setting as the student's code gets it: lists (JSON has no tuples) become tuples."""
    return tuple(value) if isinstance(value, list) else value


# --- probes ----------------------------------------------------------------------------------------------

@probe
def corr2d(ctx: ProbeContext, X: np.ndarray, K: np.ndarray, digest: str = "") -> dict:
    """The student's ``corr2d`` on the judge's X and K."""
    function = ctx.student("corr2d")
    reply = ctx.reply
    reply["names"] = code_names(function)
    with ctx.stage(f"corr2d(X, K) with X of shape {X.shape} and K of shape {K.shape}"):
        reply["output"] = as_plain_value(function(nd.array(X), nd.array(K)))
    return reply


@probe
def pool2d(ctx: ProbeContext, X: np.ndarray, pool_size: list, mode: str, digest: str = "") -> dict:
    """The student's ``pool2d`` on the judge's X, window and mode."""
    function = ctx.student("pool2d")
    reply = ctx.reply
    reply["names"] = code_names(function)
    with ctx.stage(f"pool2d(X, pool_size={tuple(pool_size)}, mode={mode!r}) with X of shape {X.shape}"):
        reply["output"] = as_plain_value(function(nd.array(X), tuple(pool_size), mode=mode))
    return reply


@probe
def conv_output_shape(ctx: ProbeContext, kwargs: dict, call: str, digest: str = "") -> dict:
    """The student's ``conv_output_shape`` with the judge's arguments (pairs as tuples)."""
    function = ctx.student("conv_output_shape")
    reply = ctx.reply
    with ctx.stage(call):
        value = function(**{key: as_setting(value) for key, value in kwargs.items()})
    reply["value"] = described_sequence(value)
    return reply


@probe
def my_conv2d(ctx: ProbeContext, kwargs: dict, call: str, x: np.ndarray, values: list, digest: str = "") -> dict:
    """Build the student's MyConv2D with the judge's settings; record it before init, after init and after the
    judge's batch; give its parameters the judge's ``values``; then its output, hybridized too, and its graph on a
    Symbol."""
    cls = ctx.student("MyConv2D")
    reply = ctx.reply
    reply["class"] = class_facts(cls)
    with ctx.stage(f"calling {call}"):
        layer = cls(**{key: as_setting(value) for key, value in kwargs.items()})
    reply["types"] = type_names(layer)
    if not isinstance(layer, gluon.Block):
        return reply
    with ctx.stage(f"reading the prefix of {call}"):
        reply["prefix"] = str(layer.prefix)
    reply["children"] = children_of(layer)
    reply["before_init"] = param_states(ctx, layer, "before initialize()", values=False)
    mx.random.seed(0)
    with ctx.stage(f"{call}.initialize()"):
        layer.initialize(mx.init.Uniform(0.5))  # any values: the judge's replace them after the first batch
    reply["after_init"] = param_states(ctx, layer, "after initialize()", values=False)
    batch = nd.array(x)
    with ctx.stage(f"the first forward pass of {call} on x of shape {x.shape}"):
        layer(batch)
    reply["after_forward"] = param_states(ctx, layer, "after the first batch", values=False)
    reply["set"] = set_values(ctx, layer, values, call)
    with ctx.stage(f"the forward pass of {call} on x of shape {x.shape}, its parameters set"):
        reply["output"] = as_plain_value(layer(batch))
    with ctx.stage(f"{call}.hybridize(), then the same forward pass again"):
        layer.hybridize()
        reply["hybrid_output"] = as_plain_value(layer(batch))
    with ctx.stage(f"{call} called on mx.sym.var('data')"):
        graph = layer(mx.sym.var("data"))
        reply["graph"] = graph.tojson()[:MAX_GRAPH_TEXT] if isinstance(graph, mx.sym.Symbol) else None
    return reply


@probe
def lenet(ctx: ProbeContext, num_outputs: int, call: str, x: np.ndarray, values: list, digest: str = "") -> dict:
    """Build the student's LeNet; record it before init, after init and after the judge's MNIST batch; give its
    parameters the judge's ``values``; then its output, hybridized too, and the graph its ``export`` writes."""
    build = ctx.student("build_lenet")
    reply = ctx.reply
    with ctx.stage(f"calling {call}"):
        net = build(num_outputs=num_outputs)
    reply["types"] = type_names(net)
    if not isinstance(net, gluon.Block):
        return reply
    with ctx.stage(f"reading the prefix of the net {call} returned"):
        reply["prefix"] = str(net.prefix)
    reply["children"] = children_of(net)
    reply["before_init"] = param_states(ctx, net, "before initialize()", values=False)
    mx.random.seed(0)
    with ctx.stage("net.initialize()"):
        net.initialize(mx.init.Uniform(1.0))  # any values: the judge's replace them after the first batch
    reply["after_init"] = param_states(ctx, net, "after initialize()", values=False)
    batch = nd.array(x)
    with ctx.stage(f"the first forward pass net(x) with x of shape {x.shape}"):
        net(batch)
    reply["after_forward"] = param_states(ctx, net, "after the first batch", values=False)
    reply["set"] = set_values(ctx, net, values, "the net")
    with ctx.stage(f"the forward pass net(x) with x of shape {x.shape}, its parameters set"):
        reply["output"] = as_plain_value(net(batch))
    with ctx.stage("net.hybridize(), then the same forward pass again"):
        net.hybridize()
        reply["hybrid_output"] = as_plain_value(net(batch))
    path = ctx.scratch_file("")
    with ctx.stage("net.export(path) after the hybridized forward pass"):
        net.export(str(path))
        reply["graph"] = path.with_name(path.name + "-symbol.json").read_text()[:MAX_GRAPH_TEXT]
    return reply


def kit_layer(spec: dict):
    """One layer of a kit-made net, from the judge's description."""
    kind = spec["kind"]
    if kind == "Conv2D":
        return nn.Conv2D(spec["channels"], kernel_size=as_setting(spec["kernel_size"]),
                         strides=as_setting(spec.get("strides", 1)), padding=as_setting(spec.get("padding", 0)),
                         activation=spec.get("activation"))
    if kind in ("MaxPool2D", "AvgPool2D"):
        return getattr(nn, kind)(pool_size=as_setting(spec["pool_size"]), strides=as_setting(spec.get("strides")))
    if kind == "Dense":
        return nn.Dense(spec["units"], activation=spec.get("activation"))
    if kind == "Activation":
        return nn.Activation(spec["act_type"])
    if kind == "Flatten":
        return nn.Flatten()
    raise ValueError(f"no kit layer {kind!r}")


@probe
def layer_shapes(ctx: ProbeContext, layers: list, x: np.ndarray, digest: str = "") -> dict:
    """The student's ``layer_shapes`` on a net the kit builds from the judge's description, and the judge's x."""
    function = ctx.student("layer_shapes")
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(*[kit_layer(spec) for spec in layers])
    mx.random.seed(0)
    net.initialize()
    reply = ctx.reply
    with ctx.stage(f"layer_shapes(net, x) with x of shape {x.shape}, net a HybridSequential of "
                   f"{', '.join(spec['kind'] for spec in layers)}"):
        reply["answer"] = described_pairs(function(net, nd.array(x)))
    return reply
