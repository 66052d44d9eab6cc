"""What a check is, how it fails, and how a probe's non-answers become feedback a student can act on."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..contract import Status


class CheckFailed(Exception):
    """The student's answer is wrong in a way the feedback explains: expected, found, hint."""

    def __init__(self, expected: str, found: str, hint: str = "", *, where: str = ""):
        self.feedback = feedback_text(expected, found, hint, where)
        super().__init__(self.feedback)


class Unanswered(BaseException):
    """The subject could not answer at all (name missing, not implemented, time out, unreadable notebook).

    A BaseException on purpose: Hypothesis lets it through at once instead of shrinking a failure that no
    example could change.
    """

    def __init__(self, feedback: str):
        super().__init__(feedback)
        self.feedback = feedback


def feedback_text(expected: str, found: str, hint: str = "", where: str = "") -> str:
    """The standard shape of feedback: where, then expected, found, hint."""
    lines = [where] if where else []
    lines += [f"Expected: {expected}", f"Found: {found}"]
    if hint:
        lines.append(f"Hint: {hint}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Check:
    """One independently graded check of an exercise."""

    exercise: str
    name: str
    points: float
    title: str
    run: Callable
    hidden: bool = False
    module: str = ""  # where it was defined: a unit knows its checks by their module


    @property
    def id(self) -> str:
        """``exercise.name``, e.g. ``build_mlp.deferred_shapes``."""
        return f"{self.exercise}.{self.name}"


#: Every check imported so far, of every unit; :class:`autograder.units.Unit` picks its own by module.
LOADED: list[Check] = []


def check(exercise: str, points: float, title: str, *, hidden: bool = False):
    """Register the decorated ``function(subject)`` as a check of ``exercise`` worth ``points``.

    The unit whose ``checks`` module (or hidden-check module, for ``hidden``) defines it owns it.
    """

    def register(function):
        LOADED.append(Check(exercise, function.__name__, points, title, function, hidden, function.__module__))
        return function

    return register


def expect_ok(reply: dict, name: str) -> dict:
    """Return the reply's data, or raise :class:`CheckFailed`/:class:`Unanswered` saying why there is none."""
    status = reply.get("status")
    if status == Status.OK:
        return reply
    if status == Status.MISSING:
        raise Unanswered(
            f"`{reply['name']}` is not defined in your notebook.\n"
            f"Hint: define it in its exercise cell, spelled exactly `{reply['name']}`, and check that the cell "
            f"runs without an error."
        )
    if status == Status.STOPPED:
        raise Unanswered(f"Not checked: {reply['reason']}.")
    if status == Status.UNREADABLE:
        raise Unanswered(f"Your notebook could not be graded: {reply['reason']}")
    if status == Status.TIMEOUT:
        raise Unanswered(
            f"Your code ran out of time at this step: {reply['stage']} ({reply['message']}).\n"
            f"Hint: look for a loop that never ends or work that does not belong in `{name}`."
        )
    if status == Status.RAISED and reply["error_type"] == "NotImplementedError":
        raise Unanswered(
            f"`{name}` is not implemented yet: replace `raise NotImplementedError()` in its cell with your code."
        )
    if status == Status.RAISED:
        raise CheckFailed(
            f"{reply['stage']} to run without an error",
            f"it raised {reply['error_type']}: {reply['message']}",
            raised_hint(reply, name),
        )
    raise CheckFailed("an answer the grader can read", f"a malformed reply ({reply.get('message', status)})")


def recorded_until(reply: dict, key: str, name: str) -> dict:
    """The probe's data as far as ``key``: the whole reply, or what it recorded before a later step failed.

    A check about what happens at ``initialize()`` should not lose its points because the forward pass after
    it fails: that failure belongs to the checks about the forward pass. The returned dict keeps the failed
    reply under ``"failure"`` for :func:`completed`.
    """
    if reply.get("status") == Status.OK:
        return reply
    partial = reply.get("partial") or {}
    if key not in partial:
        expect_ok(reply, name)
    return {**partial, "failure": reply}


def completed(data: dict, name: str) -> dict:
    """``data`` when the probe ran to its end, else the feedback of the step that failed."""
    if "failure" in data:
        expect_ok(data["failure"], name)
    return data


def expect_implemented(reply: dict, name: str) -> None:
    """Fail only when the reply shows the stub is still there (NotImplementedError), whatever else it shows."""
    if reply.get("status") == Status.RAISED and reply.get("error_type") == "NotImplementedError":
        expect_ok(reply, name)


def raised_hint(reply: dict, exercise: str = "") -> str:
    """A hint for the common errors MXNet gives in ``exercise``: chosen by the exercise first, then the error (an
    error's words alone never bring another exercise's hint)."""
    message = reply.get("message", "")
    specific = named_mistake_hint(message, exercise)
    if specific:
        return specific
    if "Shape inconsistent" in message or ("shape" in message.lower() and "dense" in message.lower()):
        return ("a layer's in_units does not match what reaches it: the first layer gets the input's "
                "features (the in_units argument), each next one the units of the layer before it.")
    if "not been initialized" in message or "has not been initialized" in message:
        return ("a parameter was never initialized: are all layers registered as children "
                "(created in name_scope() and assigned to attributes, or added with add/register_child)?")
    return "read the error above; run the cell that defines this exercise and try the same call yourself."


#: Errors whose message names the mistake itself in one exercise: (the exercises, the marks, the hint).
NAMED_MISTAKES = (
    (("MySequential",), ("add() takes 2 positional arguments but",),
     "net.add(a, b) passes several blocks at once, but your add takes one: write `def add(self, *blocks):` and "
     "register each block in order"),
    (("MySequential",), ("has no attribute 'append'", "OrderedDict"),
     "self._children is Gluon's dictionary of registered children, not a list: register each block with "
     "self.register_child(block) instead of appending to it"),
    (("save_and_load",), ("is missing in file",),
     "save with net.save_parameters(path) and load with fresh.load_parameters(path): they store names relative "
     "to the net, so a fresh net with another prefix reads them (collect_params().save/load keep the full, "
     "prefixed names)"),
    (("count_parameters",), ("ParameterDict",),
     "collect_params() gives a ParameterDict of Parameter objects, not numbers: add up param.data().size over its "
     ".values()"),
    (("save_and_load",), ("ParameterDict",),
     "save and load the parameters of a net with net.save_parameters(path) and fresh.load_parameters(path), "
     "not through the ParameterDict of collect_params()"),
)


def named_mistake_hint(message: str, exercise: str) -> str:
    """The hint for an error of ``exercise`` whose message names the mistake (all its marks appear), or ``""``."""
    for exercises, marks, hint in NAMED_MISTAKES:
        if exercise in exercises and all(mark in message for mark in marks):
            return hint
    return ""
