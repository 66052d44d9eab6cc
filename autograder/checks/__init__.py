"""The judge's side of every check of the plumbing unit: probes to ask, judgements, points, hints.

One module per exercise; importing this package registers all of them in :data:`REGISTRY`, in course order.
"""
from . import (  # noqa: F401  (each import registers that exercise's checks)
    build_mlp,
    build_mlp_explicit,
    build_named_mlp,
    count_parameters,
    mlp_block,
    my_init,
    my_sequential,
    save_and_load,
)
from .base import REGISTRY, Check, CheckFailed, Unanswered

EXERCISES = list(dict.fromkeys(check.exercise for check in REGISTRY))


def find(check_id: str, registry: list[Check] = REGISTRY) -> Check:
    """The check with id ``exercise.name`` in ``registry`` (the autograder's by default)."""
    for check in registry:
        if check.id == check_id:
            return check
    raise KeyError(f"no check {check_id!r}; known: {', '.join(c.id for c in registry)}")


__all__ = ["EXERCISES", "REGISTRY", "Check", "CheckFailed", "Unanswered", "find"]
