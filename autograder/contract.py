"""The contract between the two halves of a check: what the judge asks, what the subject answers, and how.

Every probe request and reply is plain data (see :mod:`autograder.protocol` for the encoding). This module is the
one place that says which statuses a reply may have and which keys each status carries; the judge reads a reply
only through :func:`checked_reply`, which turns anything outside the contract into a ``malformed`` reply, so no
judgement ever reads an undeclared key of the envelope. The probe's own data (under ``ok``, or recorded so far
under ``partial``) is described by each unit's probes and validated by its judgements.

The frames a running subject sends while the judge waits are declared here too (:class:`Event`): which cell is
running, which of the student's functions a probe is calling, that the notebook has loaded, and a reply.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """How a probe ended. A ``str`` so that replies stay plain data and compare equal to their JSON form."""

    OK = "ok"                    # the probe's data follows
    MISSING = "missing"          # the notebook does not define ``name``
    RAISED = "raised"            # a stage raised ``error_type`` with ``message``
    TIMEOUT = "timeout"          # a stage ran out of time
    UNREADABLE = "unreadable"    # the notebook could not be read at all
    STOPPED = "stopped"          # the submission was stopped (limit, crash); ``reason`` says why
    MALFORMED = "malformed"      # the reply broke this contract; ``message`` says how


#: The keys each status carries besides ``status`` (``ok`` carries the probe's own data instead).
ENVELOPE: dict[Status, frozenset[str]] = {
    Status.MISSING: frozenset({"name"}),
    Status.RAISED: frozenset({"stage", "error_type", "message", "partial"}),
    Status.TIMEOUT: frozenset({"stage", "message", "partial"}),
    Status.UNREADABLE: frozenset({"reason"}),
    Status.STOPPED: frozenset({"reason"}),
    Status.MALFORMED: frozenset({"message"}),
}
#: Keys that may be left out of a reply of that status.
OPTIONAL = frozenset({"partial"})


@dataclass(frozen=True)
class ProbeRequest:
    """One question for the subject: run probe ``probe`` of the unit with ``args`` (plain data)."""

    probe: str
    args: dict = field(default_factory=dict)

    def to_plain(self) -> dict:
        """The request as it crosses to the subject."""
        return {"op": "probe", "name": self.probe, "args": self.args}


class Event(StrEnum):
    """The kinds of frame a subject sends to the judge."""

    CELL = "cell"          # a notebook cell starts: ``number``, ``first_line``
    LOADED = "loaded"      # every cell has run; probes may follow
    STUDENT = "student"    # a probe is about to run the student's ``name``
    REPLY = "reply"        # a probe's reply: ``data``


def reply(status: Status, **fields) -> dict:
    """A reply of ``status`` with exactly its declared fields (``partial`` may be left out)."""
    expected = ENVELOPE[status]
    if not expected - OPTIONAL <= set(fields) <= expected:
        raise ValueError(f"a {status} reply carries {sorted(expected)}, not {sorted(fields)}")
    return {"status": status.value, **fields}


def malformed(message: str) -> dict:
    """The reply that stands for one that broke the contract."""
    return reply(Status.MALFORMED, message=message)


def checked_reply(data) -> dict:
    """``data`` when it keeps the contract, else a ``malformed`` reply saying what is wrong with it."""
    if not isinstance(data, dict):
        return malformed("the reply is not a dict")
    try:
        status = Status(data.get("status"))
    except ValueError:
        return malformed(f"unknown status {data.get('status')!r}")
    if status is Status.OK:
        return data
    keys = set(data) - {"status"}
    expected = ENVELOPE[status]
    if not expected - OPTIONAL <= keys <= expected:
        return malformed(f"a {status} reply with keys {sorted(keys)}")
    if "partial" in data and not isinstance(data["partial"], dict):
        return malformed("its partial data is not a dict")
    return data
