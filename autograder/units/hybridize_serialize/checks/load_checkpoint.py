"""``load_checkpoint``: parameters and trainer state back from ``path + '.params'`` and ``path + '.states'``.

The checkpoints it reads are written by the kit's own saver, so that a wrong save_checkpoint costs nothing here.
"""
from __future__ import annotations

from autograder.checks.base import CheckFailed, check

from .shared import judge_resumed, probe_checkpoint, same_values

EXERCISE = "load_checkpoint"


@check(EXERCISE, 1, "The net it is given gets the checkpoint's parameters")
def parameters_restored(subject):
    reply = probe_checkpoint(subject, "load", EXERCISE)
    differs = same_values(reply["restored"], reply["saved"], atol=0)
    if differs:
        raise CheckFailed("after load_checkpoint(net, trainer, path), the given net's parameters to be the saved ones",
                          differs, "net.load_parameters(path + '.params') into the net you are given (not a new one), "
                          "and do not initialize it afterwards: that draws new values over the loaded ones")


@check(EXERCISE, 2, "Resumed with it (Adam), training takes exactly the uninterrupted run's steps")
def resumes_exactly(subject):
    reply = probe_checkpoint(subject, "load", EXERCISE)
    judge_resumed(reply, "Adam; the kit's saver, your load_checkpoint")
