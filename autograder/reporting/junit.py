"""junit.xml: the class's results in JUnit's XML, for CI dashboards and test-report viewers.

One ``<testsuite>`` per student, one ``<testcase>`` per check with the time that check took (its probes and
judgement); a submission the grader could not grade gets a ``grading`` test case with an ``<error>``. Each suite
carries the submission's total time (the notebook's run included, so more than the sum of its cases).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..results import SubmissionResult
from .summary import by_student, first_line

#: Characters XML 1.0 does not allow, even escaped: most control characters, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold."""
    return _NOT_XML.sub("", text)


def _element(parent: ET.Element, tag: str, text: str = "", **attributes: str) -> ET.Element:
    """A child of ``parent`` whose text and attributes are made XML-safe."""
    child = ET.SubElement(parent, tag, {key: xml_text(str(value)) for key, value in attributes.items()})
    child.text = xml_text(text) or None
    return child


def _counts(element: ET.Element, tests: int, failures: int, errors: int, seconds: float) -> None:
    """Set JUnit's count attributes on a ``<testsuite>`` or ``<testsuites>``."""
    element.attrib.update(tests=str(tests), failures=str(failures), errors=str(errors), time=f"{seconds:.3f}")


def _suite(root: ET.Element, sub: SubmissionResult) -> tuple[int, int, int]:
    """Add ``sub``'s ``<testsuite>`` to ``root``; return its (tests, failures, errors)."""
    suite = _element(root, "testsuite", name=sub.student)
    for r in sub.results:
        case = _element(suite, "testcase", classname=f"{sub.student}.{r.exercise}", name=r.check_id,
                        time=f"{r.seconds:.3f}")
        if not r.passed:
            _element(case, "failure", r.feedback, message=first_line(r.feedback) or "failed")
    errors = int(sub.status == "error")
    if errors:
        case = _element(suite, "testcase", classname=sub.student, name="grading", time="0.000")
        notes = "\n".join(sub.notes)
        _element(case, "error", notes, message=first_line(notes) or "the grader could not grade this submission")
    counts = (len(sub.results) + errors, sum(not r.passed for r in sub.results), errors)
    _counts(suite, *counts, sub.seconds)
    return counts


def junit_xml(subs: list[SubmissionResult]) -> str:
    """The class's results as a JUnit XML document: a ``<testsuites>`` root with the totals, a suite per student."""
    root = ET.Element("testsuites", name="gluon-grader")
    suites = [_suite(root, sub) for sub in by_student(subs)]
    tests, failures, errors = [sum(column) for column in zip(*suites, strict=True)] or [0, 0, 0]
    _counts(root, tests, failures, errors, sum(sub.seconds for sub in subs))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
