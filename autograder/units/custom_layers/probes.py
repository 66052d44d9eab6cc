"""The custom_layers unit's probes: build the student's layers and nets, run them imperatively and hybridized, and
report what MXNet shows, as plain data.

Probes never judge. They describe: parameter names and shapes at each step, whether data is allocated, the arrays,
the outputs before and after ``hybridize()``, gradients, what an error said. Nets that an exercise takes as *input*
(``count_unique_parameters``) are built here by the kit, and ``build_custom_mlp`` is built with the kit's own
stand-in for ``MyDense``, so that one wrong answer never costs points in another exercise.
"""
from __future__ import annotations

import contextlib

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

from ...subject.describe import as_plain_value, qualified, type_names
from ...subject.probing import ProbeContext, probe

#: Block classes a layer of the student's own may derive from; any other MXNet class in its MRO is a built-in.
OWN_BASES = ("mxnet.gluon.block.Block", "mxnet.gluon.block.HybridBlock")


# --- describing what the student made -------------------------------------------------------------------

def param_state(param, *, values: bool = True, grad: bool = False) -> dict:
    """Name, shape, and allocation state of one Parameter; its values (and gradient) when it has data."""
    state = {"name": str(param.name), "shape": [int(n) for n in param.shape], "recorded": bool(param._deferred_init)}
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


def params_of(ctx: ProbeContext, net, when: str, *, values: bool = True, grad: bool = False) -> list[dict]:
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


# --- inputs and kit-made nets ----------------------------------------------------------------------------

def uniform_input(shape, seed: int, low: float = -1.0, high: float = 1.0):
    """Seeded uniform values of the given shape, as float32 NDArray."""
    rng = np.random.RandomState(seed)
    return nd.array(rng.uniform(low, high, size=tuple(shape)).astype(np.float32))


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
def centered(ctx: ProbeContext, shape: list, seed: int = 0, in_net: bool = False) -> dict:
    """Run the student's CenteredLayer on a seeded batch, imperatively, then hybridized.

    With ``in_net`` the layer follows a kit-made Dense(8) in a HybridSequential, as it would in a real net.
    """
    cls = ctx.student("CenteredLayer")
    reply = ctx.reply
    with ctx.stage("CenteredLayer()"):
        layer = cls()
    reply.update(types=type_names(layer), children=child_blocks(layer) if isinstance(layer, gluon.Block) else [])
    if not isinstance(layer, gluon.Block):
        return reply
    net = layer
    if in_net:
        net = nn.HybridSequential()
        net.add(nn.Dense(8, in_units=int(np.prod(shape[1:])), flatten=True), layer)
    reply["params"] = [state["name"] for state in params_of(ctx, layer, "of CenteredLayer()", values=False)]
    mx.random.seed(seed)
    with ctx.stage("initialize()"):
        net.initialize(mx.init.Uniform(0.5))
    x = uniform_input(shape, seed, 0.0, 4.0)  # a mean far from 0, so that an unchanged input shows
    reply["input"] = x.asnumpy()
    what = "the net Dense(8) -> CenteredLayer()" if in_net else "CenteredLayer()"
    with ctx.stage(f"{what}(x) with x of shape {tuple(shape)}"):
        reply["output"] = as_plain_value(net(x))
    if in_net:
        reply["dense"] = [param_state(param) for param in net[0].collect_params().values()]
    with ctx.stage(f"{what}.hybridize(), then the same call again"):
        net.hybridize()
        reply["hybrid_output"] = as_plain_value(net(x))
    return reply


@probe
def my_dense(ctx: ProbeContext, units: int, in_units: int, shape: list, seed: int = 0) -> dict:
    """Build the student's MyDense, record it before init, after init, after a batch, then hybridized."""
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
    before = params_of(ctx, layer, "before initialize()", values=False)
    reply["loose"] = loose_parameters(layer, {state["name"] for state in before})
    reply["before_init"] = before
    mx.random.seed(seed)
    with ctx.stage(f"{call}.initialize()"):
        layer.initialize(mx.init.Uniform(0.5))
    reply["after_init"] = params_of(ctx, layer, "after initialize()", values=False)
    x = uniform_input(shape, seed)
    reply["input"] = x.asnumpy()
    with ctx.stage(f"the first forward pass of {call} on x of shape {tuple(shape)}"):
        reply["output"] = as_plain_value(layer(x))
    reply["after_forward"] = params_of(ctx, layer, "after the first batch")
    with ctx.stage(f"{call}.hybridize(), then the same forward pass again"):
        layer.hybridize()
        reply["hybrid_output"] = as_plain_value(layer(x))
    return reply


@probe
def custom_mlp(ctx: ProbeContext, kwargs: dict, rows: int = 64) -> dict:
    """Build the student's build_custom_mlp (with the kit's MyDense), then record it as ``my_dense`` does."""
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
    reply["before_init"] = params_of(ctx, net, "before initialize()", values=False)
    mx.random.seed(0)
    with ctx.stage("net.initialize()"):
        net.initialize(mx.init.Uniform(0.5))
    x = nd.array(ctx.mnist_images(rows))
    reply["input"] = x.asnumpy()
    with ctx.stage(f"the forward pass net(x) with x of shape {x.shape}"):
        reply["output"] = as_plain_value(net(x))
    reply["after_forward"] = params_of(ctx, net, "after the first batch")
    with ctx.stage("net.hybridize(), then the same forward pass again"):
        net.hybridize()
        reply["hybrid_output"] = as_plain_value(net(x))
    return reply


@probe
def tied_mlp(ctx: ProbeContext, width: int, num_outputs: int, rows: int = 16, seed: int = 0) -> dict:
    """Build the student's tied MLP: which layers share what, a forward and a backward pass, then a change."""
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
    reply["collected"] = [state["name"] for state in params_of(ctx, net, "before initialize()", values=False)]
    mx.random.seed(seed)
    with ctx.stage("net.initialize()"):
        net.initialize(mx.init.Uniform(0.5))
    x = nd.array(ctx.mnist_images(rows))
    weights = uniform_input((rows, num_outputs), seed)
    reply.update(input=x.asnumpy(), loss_weights=weights.asnumpy())
    with ctx.stage(f"a forward and backward pass: with autograd.record(): loss = (net(x) * r).sum(), x of shape "
                   f"{x.shape}; loss.backward()"):
        with autograd.record():
            out = net(x)
            loss = (out * weights).sum()
        loss.backward()
    reply["output"] = as_plain_value(out)
    reply["after_backward"] = params_of(ctx, net, "after a backward pass", grad=True)
    if len(dense) >= 3:
        new = uniform_input(dense[1].weight.shape, seed + 1)
        with ctx.stage("setting the second layer's weight with net[1].weight.set_data(...)"):
            dense[1].weight.set_data(new)
        reply["set_value"] = new.asnumpy()
        reply["third_after_set"] = param_state(dense[2].weight)
    return reply


@probe
def count_unique(ctx: ProbeContext, in_units: int, width: int, repeats: int, num_outputs: int,
                 nested: bool = False) -> dict:
    """Call the student's count_unique_parameters on a kit-made tied net whose shapes a batch has fixed."""
    count = ctx.student("count_unique_parameters")
    net = kit_tied_net(width, repeats, num_outputs, nested)
    net.initialize()
    net(uniform_input((2, in_units), 0))
    with ctx.stage("count_unique_parameters(net)"):
        value = count(net)
    return {"value": as_plain_value(value)}
