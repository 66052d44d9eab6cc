"""The plumbing unit's probes: build the student's nets, feed them, and report what MXNet shows, as plain data.

Probes never judge. They describe: parameter names and shapes at each step, whether data is allocated, the
arrays, the output of a forward pass, what an error said. Nets that an exercise takes as *input* (for
``count_parameters``, ``save_and_load``, ``MySequential``) are built here by the kit, so that one wrong answer
never costs points in another exercise.
"""
from __future__ import annotations

import mxnet as mx
import numpy as np
from mxnet import gluon, nd
from mxnet.gluon import nn

from ...subject.describe import as_plain_value, call_text, type_names, written_methods
from ...subject.probing import ProbeContext, probe

# --- describing what the student made -------------------------------------------------------------------

def param_state(param) -> dict:
    """Name, shape, and allocation state of one Parameter; its values when it has data."""
    # NumPy mode marks a size not known yet as -1 where classic mode says 0: describe both as classic mode does.
    shape = [max(int(n), 0) for n in param.shape]
    state = {"name": str(param.name), "shape": shape, "recorded": bool(param._deferred_init)}
    try:
        state["value"] = param.data().asnumpy()
        state["data_error"] = None
    except Exception as error:  # noqa: BLE001  (DeferredInitializationError, RuntimeError: what is observed)
        state["value"] = None
        state["data_error"] = type(error).__name__
    return state


def params_of(ctx: ProbeContext, net, when: str, *, values: bool = True) -> list[dict]:
    """The state of every parameter ``net.collect_params()`` finds, in order."""
    with ctx.stage(f"net.collect_params() {when}"):
        params = list(net.collect_params().values())
    states = [param_state(param) for param in params]
    if not values:
        for state in states:
            state.pop("value")
    return states


def dense_layers(block) -> list[dict]:
    """Every registered Dense layer below ``block``, depth first, in registration order."""
    layers = []
    for child in block._children.values():
        if isinstance(child, nn.Dense):
            act = child.act._act_type if child.act is not None else None
            layers.append({"name": child.name, "units": int(child._units), "activation": act})
        elif isinstance(child, gluon.Block):
            layers.extend(dense_layers(child))
    return layers


def unregistered_blocks(block) -> int:
    """How many Blocks ``block`` keeps in plain lists, tuples or dicts of its own attributes without registering
    them as children (Gluon's collect_params() and initialize() do not see those)."""
    registered = {id(child) for child in block._children.values()}
    count = 0
    for key, value in vars(block).items():
        if key.startswith("_"):
            continue
        items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
        count += sum(isinstance(item, gluon.Block) and id(item) not in registered for item in items)
    return count


# --- inputs and kit-made nets ----------------------------------------------------------------------------

def make_input(ctx: ProbeContext, batch: dict):
    """The input batch the judge chose: the first ``rows`` MNIST test images (the judge reads its own copy of the
    same rows), or the ``values`` it sent. A probe draws nothing itself: the student's process owns its RNGs."""
    if batch.get("mnist"):
        return array_of(ctx.mnist_images(batch["rows"]))
    return array_of(np.asarray(batch["values"], dtype=np.float32))


def set_parameters(params, values: list) -> bool:
    """Put the judge's ``values`` into ``params`` (in order) when every shape matches; False (nothing set) when not."""
    if len(params) != len(values) or any(tuple(param.shape) != tuple(value.shape)
                                         for param, value in zip(params, values, strict=True)):
        return False
    for param, value in zip(params, values, strict=True):
        param.set_data(array_of(np.asarray(value, dtype=np.float32)))
    return True


def array_of(values: np.ndarray):
    """``values`` as the array type of the current mode: NumPy mode's layers take only ``mxnet.np`` arrays."""
    from mxnet import util

    return mx.np.array(values, dtype=values.dtype) if util.is_np_array() else nd.array(values, dtype=values.dtype)


def make_initializer(spec: dict | None):
    """The initializer a probe passes to ``initialize``: MXNet's default, Xavier, or a seeded uniform."""
    if not spec:
        return mx.init.Uniform()
    if "xavier" in spec:
        return mx.init.Xavier(rnd_type="uniform", factor_type="avg", magnitude=spec["xavier"])
    return mx.init.Uniform(spec.get("uniform", 0.07))


def kit_mlp(hidden, num_outputs: int, in_units: int | None = None, prefix: str | None = None) -> nn.Sequential:
    """The reference MLP, made by the kit for exercises that take a net as input."""
    net = nn.Sequential(prefix=prefix)
    with net.name_scope():
        for units in hidden:
            net.add(nn.Dense(units, activation="relu", in_units=in_units or 0))
            in_units = units if in_units else None
        net.add(nn.Dense(num_outputs, in_units=in_units or 0))
    return net


# --- probes ----------------------------------------------------------------------------------------------

@probe
def class_info(ctx: ProbeContext, name: str) -> dict:
    """Whether ``name`` is a class, its bases, and which methods it defines itself."""
    obj = ctx.student(name)
    if not isinstance(obj, type):
        return {"is_class": False, "type": type(obj).__name__, "bases": [], "own": [], "written": []}
    bases = [f"{cls.__module__}.{cls.__qualname__}" for cls in obj.__mro__]
    own = sorted(key for key in vars(obj) if callable(vars(obj)[key]))
    return {"is_class": True, "type": "type", "bases": bases, "own": own, "written": written_methods(obj)}


@probe
def lifecycle(ctx: ProbeContext, builder: str, kwargs: dict, batch: dict, initializer: dict | None = None,
              seed: int = 0, params: list | None = None) -> dict:
    """Build a net with the student's ``builder``, then record it before init, after init, after a batch; then set
    the judge's ``params`` into it (when their shapes fit) and run the batch again (``judged_output``)."""
    build = ctx.student(builder)
    call = call_text(builder, kwargs)
    with ctx.stage(f"calling {call}"):
        net = build(**{key: tuple(value) if isinstance(value, list) else value for key, value in kwargs.items()})
    reply = ctx.reply
    reply.update(call=call, types=type_names(net))
    if not isinstance(net, gluon.Block):
        return reply
    with ctx.stage(f"reading the prefix of the net {call} returned"):
        reply["prefix"] = str(net.prefix)
    reply["layers"] = dense_layers(net)
    reply["unregistered"] = unregistered_blocks(net)
    reply["before_init"] = params_of(ctx, net, "before initialize()", values=False)
    mx.random.seed(seed)
    with ctx.stage("net.initialize()"):
        net.initialize(make_initializer(initializer))
    reply["after_init"] = params_of(ctx, net, "after initialize()", values=False)
    x = make_input(ctx, batch)
    with ctx.stage(f"the forward pass net(x) with x of shape {x.shape}"):
        y = net(x)
    reply["output"] = as_plain_value(y)
    reply["after_forward"] = params_of(ctx, net, "after the first batch")
    if params:
        with ctx.stage("setting the grader's parameters into the net (net.collect_params())"):
            fits = set_parameters(list(net.collect_params().values()), params)
        if fits:
            with ctx.stage(f"the forward pass net(x) with x of shape {x.shape}, with the grader's parameters"):
                reply["judged_output"] = as_plain_value(net(x))
    return reply


@probe
def my_sequential(ctx: ProbeContext, groups: list, in_units: int, x, params: list, seed: int = 0) -> dict:
    """Add kit-made Dense layers to the student's MySequential in ``groups``, initialize, set the judge's
    ``params`` into them (``W, b`` per layer, in order), run the judge's batch ``x``."""
    cls = ctx.student("MySequential")
    with ctx.stage("MySequential()"):
        net = cls()
    with ctx.stage("net.name_scope()"):
        scope = net.name_scope()
    layers, width = [], in_units
    with scope:
        for group in groups:
            made = []
            for spec in group:
                made.append(nn.Dense(spec["units"], activation=spec["activation"], in_units=width))
                width = spec["units"]
            layers.append(made)
    for made in layers:
        with ctx.stage(f"net.add({', '.join(layer.name for layer in made)})"):
            net.add(*made)
    with ctx.stage("net.collect_params()"):
        collected = [str(name) for name in net.collect_params().keys()]  # noqa: SIM118  (a ParameterDict)
    mx.random.seed(seed)
    with ctx.stage("net.initialize()"):
        net.initialize(mx.init.Uniform(0.5))
    x = make_input(ctx, {"values": x})
    reply = ctx.reply
    reply.update(collected=collected, layers=[])
    kit_made = [layer for made in layers for layer in made]
    for layer in kit_made:
        reply["layers"].append({"name": layer.name, "activation": layer.act._act_type if layer.act else None,
                                "weight": param_state(layer.weight), "bias": param_state(layer.bias)})
    with ctx.stage("setting the grader's weights into the added layers"):
        set_parameters([param for layer in kit_made for param in (layer.weight, layer.bias)], params)
    with ctx.stage(f"the forward pass net(x) with x of shape {x.shape}"):
        reply["output"] = as_plain_value(net(x))
    return reply


@probe
def count_parameters(ctx: ProbeContext, hidden: list, num_outputs: int, in_units: int, deferred: bool = False,
                     x=None) -> dict:
    """Call the student's count_parameters on a kit-made, initialized net (a deferred one after the judge's batch
    ``x``). The count expected is the judge's, from the same spec: this net only gives the student's code one."""
    count = ctx.student("count_parameters")
    net = kit_mlp(hidden, num_outputs, None if deferred else in_units)
    net.initialize()
    if deferred:
        net(make_input(ctx, {"values": x}))
    with ctx.stage("count_parameters(net)"):
        value = count(net)
    return {"value": as_plain_value(value)}


@probe
def my_init(ctx: ProbeContext, units: int, in_units: int, seed: int = 0, fill: float = 0.0) -> dict:
    """Initialize a Dense layer's weight and bias with the student's MyInit, as ``layer.initialize(MyInit())`` does
    (the initializer called with each parameter's description and array), on arrays that hold the judge's ``fill``:
    what comes back is judged against that value, so an initializer that writes nothing is seen as such (Gluon's own
    arrays would start at zeros, which a do-nothing initializer leaves as if it had zeroed every weight)."""
    cls = ctx.student("MyInit")
    with ctx.stage("MyInit()"):
        init = cls()
    reply = {"is_initializer": isinstance(init, mx.init.Initializer), "written": written_methods(type(init)),
             "class_name": f"{type(init).__module__}.{type(init).__qualname__}"}
    mx.random.seed(seed)
    for kind, shape in (("weight", (units, in_units)), ("bias", (units,))):
        given = array_of(np.full(shape, fill, dtype=np.float32))
        with ctx.stage(f"layer.initialize(MyInit()) on the layer's {kind}"):
            init(mx.init.InitDesc(f"dense0_{kind}"), given)
        reply[kind] = {"name": f"dense0_{kind}", "value": given.asnumpy()}
    return reply


@probe
def save_and_load(ctx: ProbeContext, hidden: list, num_outputs: int, fresh: str, params: list, rows: int,
                  seed: int = 0) -> dict:
    """Round-trip a kit-made net holding the judge's ``params`` through the student's save_and_load; then zero the
    net passed in (a net that merely comes back is seen) and run the returned one on the judge's MNIST rows."""
    round_trip = ctx.student("save_and_load")
    net = kit_mlp(hidden, num_outputs, in_units=784)
    mx.random.seed(seed)
    net.initialize(mx.init.Normal(0.5))
    set_parameters(list(net.collect_params().values()), params)
    x = make_input(ctx, {"mnist": True, "rows": rows})
    made = []

    def make_net():
        fresh_net = kit_mlp(hidden, num_outputs, in_units=784 if fresh == "explicit" else None)
        made.append(fresh_net)
        return fresh_net

    path = ctx.scratch_file(".params")
    # The stage names the argument, not the scratch file: its folder exists only inside the grader.
    with ctx.stage("save_and_load(net, make_net, path)"):
        loaded = round_trip(net, make_net, str(path))
    reply = ctx.reply
    reply.update(file_written=path.is_file(), same_object=loaded is net,
                 from_make_net=any(loaded is candidate for candidate in made), types=type_names(loaded))
    with ctx.stage("zeroing the parameters of the net passed to save_and_load, after it returned"):
        for param in net.collect_params().values():
            param.set_data(param.data().zeros_like())
    if isinstance(loaded, gluon.Block):
        with ctx.stage("the forward pass of the returned net"):
            reply["output"] = as_plain_value(loaded(x))
    return reply
