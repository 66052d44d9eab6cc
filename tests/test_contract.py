"""autograder/contract.py: a reply reaches a judgement only as the contract declares it."""
import pytest

from autograder.contract import ENVELOPE, Event, ProbeRequest, Status, checked_reply, malformed, reply

KEPT = [
    {"status": "ok", "anything": [1, 2], "the_probe": "decides"},
    {"status": "missing", "name": "build_mlp"},
    {"status": "raised", "stage": "calling build_mlp()", "error_type": "ValueError", "message": "no", "partial": {}},
    {"status": "raised", "stage": "calling build_mlp()", "error_type": "ValueError", "message": "no"},
    {"status": "timeout", "stage": "net(x)", "message": "10 s", "partial": {"prefix": "x_"}},
    {"status": "unreadable", "reason": "it is empty"},
    {"status": "stopped", "reason": "stopped after 8 s"},
    {"status": "malformed", "message": "not plain data"},
]
BROKEN = [
    ("the reply is not a dict", ["ok"]),
    ("unknown status 'passed'", {"status": "passed", "score": 35}),
    ("unknown status None", {"score": 35}),
    ("a missing reply with keys ['name', 'score']", {"status": "missing", "name": "x", "score": 35}),
    ("a raised reply with keys ['stage']", {"status": "raised", "stage": "x"}),
    ("its partial data is not a dict", {"status": "timeout", "stage": "x", "message": "y", "partial": [1]}),
]


@pytest.mark.parametrize("data", KEPT, ids=lambda data: str(len(data)) + data["status"])
def test_a_reply_that_keeps_the_contract_is_passed_on_as_it_is(data):
    assert checked_reply(data) is data


@pytest.mark.parametrize("why, data", BROKEN, ids=[why for why, _ in BROKEN])
def test_anything_else_becomes_malformed_saying_why(why, data):
    assert checked_reply(data) == {"status": "malformed", "message": why}


def test_replies_are_made_with_exactly_their_declared_keys():
    assert reply(Status.STOPPED, reason="r") == {"status": "stopped", "reason": "r"}
    assert malformed("m") == {"status": "malformed", "message": "m"}
    with pytest.raises(ValueError, match="carries"):
        reply(Status.MISSING, reason="r")
    assert set(ENVELOPE) == set(Status) - {Status.OK}


def test_statuses_and_events_are_their_plain_strings():
    assert Status.OK == "ok" and f"{Status.RAISED}" == "raised" and Event.REPLY == "reply"
    assert ProbeRequest("my_init", {"units": 3}).to_plain() == {"op": "probe", "name": "my_init", "args": {"units": 3}}
