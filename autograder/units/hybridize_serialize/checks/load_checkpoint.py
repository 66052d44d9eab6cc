"""``load_checkpoint``: parameters and trainer state back from ``path + '.params'`` and ``path + '.states'``.

The checkpoints it reads are the judge's own (written by its MXNet from its own training run), so that a wrong
save_checkpoint costs nothing here; the parameters after loading and after resuming are compared with that run.
"""
from __future__ import annotations

from autograder.checks.base import check

from .checkpoints import ADAM, judge_restored, judge_resumed, probe_load

EXERCISE = "load_checkpoint"


@check(EXERCISE, 1, "The net it is given gets the checkpoint's parameters")
def parameters_restored(subject):
    reply, run = probe_load(subject, EXERCISE)
    judge_restored(reply, run)


@check(EXERCISE, 2, "Resumed with it (Adam), training takes exactly the uninterrupted run's steps")
def resumes_exactly(subject):
    reply, run = probe_load(subject, EXERCISE)
    judge_resumed(reply, run, ADAM, "Adam; the judge's saver, your load_checkpoint")
