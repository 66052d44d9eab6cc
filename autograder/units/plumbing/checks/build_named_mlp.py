"""``build_named_mlp``: parameters named exactly ``{prefix}dense{i}_weight`` and ``{prefix}dense{i}_bias``."""
from __future__ import annotations

from autograder import strategies
from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all
from autograder.checks.nets import judge_forward, judge_shapes, layer_names, weight_shapes

from .shared import probe_builder

EXERCISE = "build_named_mlp"


def judge_exact_names(reply: dict, prefix: str, hidden) -> None:
    """The names must be the prefix followed by dense0_weight, dense0_bias, ..."""
    names = [param["name"] for param in reply["before_init"]]
    expected = [prefix + name for name in layer_names(hidden)]
    if names != expected:
        raise CheckFailed(f"parameter names {expected}", f"{names}",
                          "give the Sequential the prefix (nn.Sequential(prefix=prefix)) and create its layers "
                          "inside its name_scope()", where=reply["call"])


@check(EXERCISE, 2, "Parameter names are exactly the given prefix + dense{i}_weight/bias")
def exact_names(subject):
    reply = probe_builder(subject, EXERCISE, {"prefix": "mnist_mlp_"})
    judge_exact_names(reply, "mnist_mlp_", (128, 64))


@check(EXERCISE, 1, "It is the same MLP: shapes inferred from the batch, same output")
def same_net(subject):
    reply = probe_builder(subject, EXERCISE, {"prefix": "mnist_mlp_"})
    judge_shapes(reply["before_init"], weight_shapes(0, (128, 64), 10), "before the first batch",
                 "leave in_units out, as in build_mlp")
    judge_forward(reply, 2, reply["call"])


@check(EXERCISE, 1, "Any prefix and depth")
@for_all(prefix=strategies.prefixes(), hidden=strategies.hidden_layers())
def any_prefix(subject, prefix, hidden):
    reply = probe_builder(subject, EXERCISE, {"prefix": prefix, "hidden": hidden}, batch={"mnist": True, "rows": 4})
    judge_exact_names(reply, prefix, hidden)
