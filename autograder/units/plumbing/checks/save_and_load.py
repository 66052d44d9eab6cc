"""``save_and_load``: save parameters to a file, load them into a fresh net, and return that net."""
from __future__ import annotations

from autograder.checks.base import CheckFailed, check, completed, recorded_until
from autograder.checks.inputs import dense_parameters, mnist_rows, pairs
from autograder.checks.nets import close, mlp_activations, mlp_forward, output_array, weight_shapes

EXERCISE = "save_and_load"


def judge_round_trip(subject, fresh: str) -> None:
    """The returned net is the one make_net() built, and it computes what the saved net computed."""
    hidden, num_outputs, rows = [32, 16], 10, 16
    params = dense_parameters(weight_shapes(784, hidden, num_outputs), seed=5, scale=0.5)
    reply = subject.probe("save_and_load", hidden=hidden, num_outputs=num_outputs, fresh=fresh, params=params,
                          rows=rows, seed=5)
    reply = recorded_until(reply, "file_written", EXERCISE)
    if not reply["file_written"]:
        raise CheckFailed("save_and_load to write the parameters to `path`", "no file at path",
                          "call net.save_parameters(path) first")
    if reply["same_object"]:
        raise CheckFailed("a new net, built by make_net()", "the very net that was passed in",
                          "build a fresh net with make_net(), load_parameters(path) into it, and return it")
    if not reply["from_make_net"]:
        raise CheckFailed("the net that make_net() returned", f"a {reply['types'][0]}",
                          "return the fresh net you loaded the parameters into")
    reply = completed(reply, EXERCISE)
    # The judge's own NumPy over the parameters it sent and its copy of the MNIST rows the probe fed.
    expected = mlp_forward(mnist_rows(subject, rows), pairs(params), mlp_activations(len(hidden)))
    found = output_array(reply, "the returned net")
    if not close(found, expected):
        raise CheckFailed("the returned net to give the same outputs as the saved one", "different outputs",
                          "load the file you saved: new_net.load_parameters(path)", where=f"fresh net: {fresh}")


@check(EXERCISE, 2, "Round trip into a fresh net with explicit shapes")
def round_trip(subject):
    judge_round_trip(subject, "explicit")


@check(EXERCISE, 1, "Round trip into a fresh net whose shapes are still deferred")
def into_deferred_net(subject):
    judge_round_trip(subject, "deferred")
