"""``save_checkpoint``: the net's parameters and the trainer's state, in ``path + '.params'`` and ``path + '.states'``.

Its checkpoints are read back by the kit's own loader, so that a wrong load_checkpoint costs nothing here.
"""
from __future__ import annotations

from autograder.checks.base import CheckFailed, check

from .shared import STATE_HINT, judge_resumed, probe_checkpoint

EXERCISE = "save_checkpoint"
FILES = ["<path>.params", "<path>.states"]


@check(EXERCISE, 1, "Writes <path>.params and <path>.states")
def files(subject):
    found = probe_checkpoint(subject, "save", EXERCISE)["files"]
    missing = [name for name in FILES if name not in found]
    if missing:
        hint = (STATE_HINT if missing == ["<path>.states"] else
                "net.save_parameters(path + '.params') and trainer.save_states(path + '.states')")
        raise CheckFailed(f"save_checkpoint(net, trainer, path) to write {FILES[0]} and {FILES[1]}",
                          ", ".join(found) or "no file at all", hint)


@check(EXERCISE, 2, "Resumed from it (Adam), training takes exactly the uninterrupted run's steps")
def resumes_exactly(subject):
    reply = probe_checkpoint(subject, "save", EXERCISE)
    judge_resumed(reply, "Adam; your save_checkpoint, the kit's loader")
