"""``HybridMLP``: the MLP as a gluon.HybridBlock whose hybrid_forward uses F, the same before and after hybridize()."""
from __future__ import annotations

import numpy as np

from autograder import strategies
from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all
from autograder.checks.nets import judge_forward

from .shared import answer

EXERCISE = "HybridMLP"
HYBRID_BLOCK = "mxnet.gluon.block.HybridBlock"


def probe_net(subject, needs: str, kwargs: dict | None = None, rows: int = 64) -> dict:
    """The hybrid_mlp probe's data as far as ``needs``, after the attempted-first gate; a later step's failure
    belongs to the checks about that step, so it is left out."""
    reply = subject.probe("hybrid_mlp", kwargs=kwargs or {}, rows=rows, seed=3)
    judge_attempted(reply)
    return {key: value for key, value in answer(reply, EXERCISE, needs).items() if key != "failure"}


def judge_attempted(reply: dict) -> None:
    """HybridMLP must be the student's own HybridBlock with hybrid_forward written in the notebook; else no check
    about it gives points (a built-in HybridSequential in its place runs MXNet's hybrid_forward, not theirs)."""
    facts = (reply.get("partial") or reply).get("class")
    if not facts:
        return  # not defined, or not reached: the reply itself says why
    if not facts["is_class"]:
        raise CheckFailed("`HybridMLP` to be your own class, written in the notebook", f"a {facts['type']}",
                          "write `class HybridMLP(gluon.HybridBlock):` with its own __init__ and hybrid_forward")
    if HYBRID_BLOCK not in facts["bases"]:
        raise CheckFailed("`HybridMLP` to derive from gluon.HybridBlock", f"bases {facts['bases'][:3]}",
                          "write `class HybridMLP(gluon.HybridBlock):`: a plain Block cannot be hybridized")
    if "hybrid_forward" not in facts["written"]:
        builtin = next((base for base in facts["bases"] if base.startswith("mxnet.")), "").rsplit(".", 1)[-1]
        raise CheckFailed("`HybridMLP` to have a hybrid_forward(self, F, x) written in the notebook",
                          f"its forward comes from MXNet's {builtin}",
                          "write `def hybrid_forward(self, F, x):` that runs your layers with F.relu between them")


def hybridized_reply(reply: dict) -> dict:
    """The reply with the hybridized output in place of the imperative one, for the NumPy model."""
    return {**reply, "output": reply["hybridized"]}


@check(EXERCISE, 2, "Imperative forward matches a NumPy MLP over the block's own parameters")
def forward(subject):
    judge_forward(probe_net(subject, "after_forward"), 2,
                  "HybridMLP() on a batch of 64 MNIST images, before hybridize()")


@check(EXERCISE, 2, "After hybridize(), the same outputs as before")
def hybridized(subject):
    reply = probe_net(subject, "hybridized")
    judge_forward(hybridized_reply(reply), 2, "HybridMLP() after hybridize(), on the same batch")
    before, after = reply["output"]["value"], reply["hybridized"]["value"]
    if before.shape != after.shape or not np.allclose(before, after, rtol=1e-5, atol=1e-5):
        raise CheckFailed("the same outputs before and after hybridize()", "different outputs",
                          "hybrid_forward must compute the same thing whether F is mx.nd or mx.sym")


@check(EXERCISE, 1, "Called on mx.sym.var('data'), a Symbol over data and the net's parameters")
def symbol(subject):
    reply = probe_net(subject, "params")
    found = reply["symbol"]
    if not found["is_symbol"]:
        raise CheckFailed("net(mx.sym.var('data')) to return a Symbol", f"a {found['type']}",
                          "hybrid_forward must return what F's operators give, without converting it")
    arguments, params = found["arguments"], reply["params"]
    if arguments[:1] != ["data"] or sorted(arguments[1:]) != sorted(params):
        extra = sorted(set(arguments) - {"data", *params})
        raise CheckFailed("the Symbol's arguments to be `data`, then the net's parameters",
                          f"arguments {arguments[:4]}{' ...' if len(arguments) > 4 else ''}"
                          + (f" ({extra[0]} is not a parameter of the net)" if extra else ""),
                          "run the input through the layers registered in __init__, nothing else")
    outside = [name for name in params if not name.startswith(reply["prefix"])]
    if outside:
        raise CheckFailed(f"every parameter under the block's prefix {reply['prefix']!r}", repr(outside[0]),
                          "create the layers inside `with self.name_scope():` in __init__, so that the exported "
                          "symbol's parameters carry the net's name")


@check(EXERCISE, 1, "Any hidden widths and output size, hybridized")
@for_all(hidden=strategies.hidden_layers(max_depth=3, max_width=16), num_outputs=strategies.widths(12))
def any_widths(subject, hidden, num_outputs):
    reply = probe_net(subject, "hybridized", {"hidden": hidden, "num_outputs": num_outputs}, rows=8)
    judge_forward(hybridized_reply(reply), len(hidden), f"{reply['call']}, hybridized")
