"""``MLP``: the build_mlp computation written as a gluon.Block with registered children."""
from __future__ import annotations

from .. import strategies
from .base import CheckFailed, check, expect_implemented, expect_ok
from .build_mlp import MNIST_BATCH, probe_builder
from .examples import for_all
from .nets import UNREGISTERED_HINT, judge_forward, judge_shapes, relative_name, weight_shapes

EXERCISE = "MLP"
BLOCK = "mxnet.gluon.block.Block"
METHODS = ("__init__", "forward")
SEQUENTIALS = ("mxnet.gluon.nn.basic_layers.Sequential", "mxnet.gluon.nn.basic_layers.HybridSequential")


def judge_own_block(subject, name: str, methods: tuple[str, ...]) -> None:
    """``name`` must be a class deriving from gluon.Block (not Sequential) that writes ``methods`` itself."""
    info = expect_ok(subject.probe("class_info", name=name), name)
    if not info["is_class"] or BLOCK not in info["bases"]:
        raise CheckFailed(f"`{name}` to be a class deriving from gluon.Block",
                          f"a {info['type']}" if not info["is_class"] else f"bases {info['bases'][:3]}",
                          f"write `class {name}(gluon.Block):`")
    if any(base in info["bases"] for base in SEQUENTIALS):
        raise CheckFailed(f"`{name}` to derive from gluon.Block directly", "it derives from nn.Sequential",
                          "the point is to write what Sequential hides: derive from gluon.Block")
    missing = [method for method in methods if method not in info["own"]]
    if missing:
        raise CheckFailed(f"`{name}` to define {', '.join(missing)} itself", f"it defines {info['own']}",
                          f"write the {missing[0]} method in the class")


def judge_attempted(subject, name: str, methods: tuple[str, ...]) -> None:
    """``name`` must be a class whose ``methods`` the student wrote; else no check about it gives points.

    A built-in put in its place (``MySequential = nn.Sequential``, a function returning one) passes the checks
    that describe its behaviour without doing the exercise.
    """
    info = expect_ok(subject.probe("class_info", name=name), name)
    missing = [method for method in methods if method not in info.get("written", [])]
    if not info["is_class"]:
        raise CheckFailed(f"`{name}` to be your own class, written in the notebook", f"a {info['type']}",
                          f"write `class {name}(gluon.Block):` with its own {' and '.join(methods)}")
    if missing:
        raise CheckFailed(f"`{name}` to be your own class, with {' and '.join(methods)} written in the notebook",
                          f"its {missing[0]} comes from MXNet's {mxnet_class(info['bases'])}",
                          f"write `class {name}(gluon.Block):` and write its {' and '.join(methods)} yourself")


def mxnet_class(bases: list[str]) -> str:
    """The first MXNet class among ``bases``, by its short name (``Sequential``)."""
    return next((base for base in bases if base.startswith("mxnet.")), bases[0]).rsplit(".", 1)[-1]


@check(EXERCISE, 1, "MLP is a gluon.Block with its own forward")
def is_block(subject):
    judge_own_block(subject, EXERCISE, ("__init__", "forward"))
    expect_implemented(subject.probe("lifecycle", builder=EXERCISE, kwargs={}, batch=MNIST_BATCH), EXERCISE)


@check(EXERCISE, 1, "Its layers are registered children, named under its prefix")
def registered_layers(subject):
    judge_attempted(subject, EXERCISE, METHODS)
    data = probe_builder(subject, EXERCISE, {}, needs="before_init")
    params = data["before_init"]
    if len(params) != 6:
        layers = len(data["layers"])
        raise CheckFailed("MLP() to register 3 Dense layers: 6 parameters in collect_params()",
                          f"{len(params)} parameters ({layers} registered Dense layer{'s' * (layers != 1)})",
                          UNREGISTERED_HINT if data.get("unregistered") else
                          "MLP() with the default hidden=(128, 64) makes one Dense layer per entry of hidden, then "
                          "the output layer: 3 in all. Build them from the hidden argument")
    outside = [p["name"] for p in params if relative_name(p["name"], data["prefix"]) is None]
    if outside:
        raise CheckFailed(f"every parameter under the block's prefix {data['prefix']!r}", repr(outside[0]),
                          "create the layers inside `with self.name_scope():` in __init__")


@check(EXERCISE, 1, "Shapes are deferred until the first batch, then inferred")
def deferred_shapes(subject):
    judge_attempted(subject, EXERCISE, METHODS)
    reply = probe_builder(subject, EXERCISE, {})
    judge_shapes(reply["before_init"], weight_shapes(0, (128, 64), 10), "before the first batch",
                 "leave in_units out: shape inference fills the input size from the first batch")
    judge_shapes(reply["after_forward"], weight_shapes(784, (128, 64), 10), "after a batch of MNIST images",
                 "each layer gets the units of the layer before it")


@check(EXERCISE, 1, "forward matches a NumPy MLP over the block's own parameters")
def forward(subject):
    judge_attempted(subject, EXERCISE, METHODS)
    judge_forward(probe_builder(subject, EXERCISE, {}), 2, "MLP() on a batch of 64 MNIST images")


@check(EXERCISE, 1, "Any hidden widths and output size")
@for_all(hidden=strategies.hidden_layers(), num_outputs=strategies.widths(12))
def any_widths(subject, hidden, num_outputs):
    judge_attempted(subject, EXERCISE, METHODS)
    kwargs = {"hidden": hidden, "num_outputs": num_outputs}
    reply = probe_builder(subject, EXERCISE, kwargs, batch={"mnist": True, "rows": 8})
    judge_shapes(reply["after_forward"], weight_shapes(784, hidden, num_outputs), f"for {reply['call']}",
                 "build one Dense layer per entry of hidden, then the output layer")
    judge_forward(reply, len(hidden), reply["call"])
