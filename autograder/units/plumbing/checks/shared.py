"""What several plumbing exercises judge alike: building a net with the student's builder, and a Block of their own.

Kept here, not in one exercise's module, so that no exercise's checks depend on another exercise's module.
"""
from __future__ import annotations

import numpy as np

from autograder.checks.base import CheckFailed, expect_ok, recorded_until
from autograder.checks.inputs import batch_input, dense_parameters, pairs, with_sent
from autograder.checks.nets import weight_shapes

MNIST_BATCH = {"mnist": True, "rows": 64}
BLOCK = "mxnet.gluon.block.Block"
SEQUENTIAL = "mxnet.gluon.nn.basic_layers.Sequential"
SEQUENTIALS = (SEQUENTIAL, "mxnet.gluon.nn.basic_layers.HybridSequential")


def probe_builder(subject, builder: str, kwargs: dict, batch=None, initializer=None, needs: str | None = None) -> dict:
    """Run the lifecycle probe for a builder and insist on a Block back.

    The judge chooses the batch (MNIST rows it reads itself, or values it draws and sends) and the parameters the
    probe sets into the net for a second forward pass (``judged_output``); the reply carries both
    (:func:`~autograder.checks.inputs.with_sent`) for :func:`~autograder.checks.nets.judge_forward`.
    With ``needs`` (a step: ``before_init``, ``after_init``), data recorded up to that step is enough, even
    when a later step failed; otherwise the whole lifecycle must have run.
    """
    send, x = batch_input(subject, batch or MNIST_BATCH)
    hidden, num_outputs = kwargs.get("hidden", DEFAULT_HIDDEN), kwargs.get("num_outputs", DEFAULT_OUTPUTS)
    params = dense_parameters(weight_shapes(int(np.prod(x.shape[1:])), hidden, num_outputs), seed=PARAMS_SEED)
    reply = subject.probe("lifecycle", builder=builder, kwargs=kwargs, batch=send, initializer=initializer,
                          params=params)
    reply = recorded_until(reply, needs, builder) if needs else expect_ok(reply, builder)
    if BLOCK not in reply["types"]:
        raise CheckFailed(f"{reply['call']} to return a gluon Block (an nn.Sequential)",
                          f"it returned {reply['types'][0]}", "return the net you built")
    return with_sent(reply, input=x, layers=pairs(params))


#: The nets every builder makes when called without arguments, and the seed of the parameters the judge sends.
DEFAULT_HIDDEN, DEFAULT_OUTPUTS, PARAMS_SEED = (128, 64), 10, 11


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

