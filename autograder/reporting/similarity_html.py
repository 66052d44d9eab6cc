"""The similarity report as HTML: a section of report.html (and the page of ``autograder similarity``).

Pairs ranked by score, then each pair's exercises with both answers side by side, the matched regions marked and
how rare each is in the class. The wording is the report's: evidence for a person to read, never a verdict. All
text (student ids, their code) goes through ``html.escape``.
"""
from __future__ import annotations

from html import escape

from ..similarity import PairExercise, Region, SimilarityReport

STYLE = """section.similarity .side{display:grid;grid-template-columns:1fr 1fr;gap:1em}
section.similarity pre{background:#f8f8f8;border:1px solid #ddd;padding:.5em;overflow-x:auto;font-size:85%;margin:0}
section.similarity mark{background:#ffd966}section.similarity mark.rare{background:#f4a261}
section.similarity .evidence{color:#444}section.similarity section.pair{border-top:1px solid #ccc;margin-top:1.5em}"""

READ_ME = ("These pairs of students wrote answers that share more code than the threshold, code that few others in "
           "the class wrote. It is evidence to look at, not a finding: read the two answers side by side. Alike "
           "answers have innocent causes too (working together where that was allowed, the same course text, an "
           "answer the exercise all but dictates). The code of the released notebook (its examples, stubs and "
           "tests) is left out, and so is anything shared by much of the class.")


def similarity_section(report: SimilarityReport) -> str:
    """The report's section (``<h2>Similar answers</h2>`` and what follows), or its note alone under the heading
    when it was not computed (a class too small, no release)."""
    head = '<section class="similarity" id="similarity"><h2>Similar answers</h2>'
    if report.note:
        return f"{head}<p>{escape(report.note)}</p></section>"
    return "".join([head, f"<style>{STYLE}</style>", f"<p>{escape(READ_ME)}</p>", _facts(report),
                    _pairs_table(report), *(_pair(number, pair, report) for number, pair
                                            in enumerate(report.pairs, start=1)), "</section>"])


def similarity_page(report: SimilarityReport, title: str) -> str:
    """The section as a page of its own (``autograder similarity``)."""
    return "\n".join(["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                      f"<title>{escape(title)}</title>",
                      "<style>body{font-family:sans-serif;margin:2em;max-width:90em}table{border-collapse:collapse}"
                      "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}</style></head><body>",
                      f"<h1>{escape(title)}</h1>", similarity_section(report), "</body></html>", ""])


def _facts(report: SimilarityReport) -> str:
    found = (f"{len(report.pairs)} pair{'s' if len(report.pairs) != 1 else ''} at or over the threshold"
             if report.pairs else "No pair reaches the threshold")
    text = (f"{report.students} notebooks compared, exercise by exercise and whole; threshold {report.threshold:g} "
            f"(a score is the share of the shorter answer found in the other, rare code counting fully). {found}.")
    left = "".join(f"<li>{escape(student)}: {escape(why)}</li>" for student, why in sorted(report.left_out.items()))
    return f"<p>{escape(text)}</p>" + (f"<p>Left out:</p><ul>{left}</ul>" if left else "")


def _pairs_table(report: SimilarityReport) -> str:
    if not report.pairs:
        return ""
    rows = []
    for number, pair in enumerate(report.pairs, start=1):
        best = max(pair.exercises, key=lambda one: one.score, default=None)
        highest = f"{best.exercise}: {best.score:.2f}" if best and best.counts else "—"
        rows.append(f'<tr><td class="n">{number}</td><td>{escape(pair.a)}</td><td>{escape(pair.b)}</td>'
                    f'<td>{escape(highest)}</td><td class="n">{pair.score:.2f}</td>'
                    f"<td>{escape(', '.join(one.exercise for one in pair.exercises if one.counts))}</td>"
                    f'<td><a href="#pair-{number}">side by side</a></td></tr>')
    head = "".join(f"<th>{name}</th>" for name in ("#", "student A", "student B", "highest exercise",
                                                    "whole notebook", "exercises with shared code", "answers"))
    return f'<table class="pairs"><tr>{head}</tr>{"".join(rows)}</table>'


def _pair(number: int, pair, report: SimilarityReport) -> str:
    counting = sorted((one for one in pair.exercises if one.counts), key=lambda one: -one.score)
    little = [one.exercise for one in pair.exercises if not one.counts]
    more = (f'<p class="evidence">Also a little shared code, too little to count, in: {escape(", ".join(little))}.'
            "</p>" if little else "")
    return (f'<section class="pair" id="pair-{number}"><h3>{number}. {escape(pair.a)} and {escape(pair.b)}: '
            f"whole notebook {pair.score:.2f}</h3>"
            + "".join(_exercise(one, pair.a, pair.b, report.students) for one in counting) + more + "</section>")


def _exercise(one: PairExercise, a: str, b: str, students: int) -> str:
    rarest = min((region.found_in for region in one.regions_a), default=0)
    evidence = (f"{one.fingerprints} shared fingerprints, {one.only_these_two} of them in these two notebooks only; "
                f"the rarest matched code is in {rarest} of {students} notebooks. Matched lines: {one.matched_lines}.")
    return (f'<div class="exercise"><h4>{escape(one.exercise)}: {one.score:.2f}</h4>'
            f'<p class="evidence">{escape(evidence)}</p><div class="side">'
            f"{_answer(a, one.source_a, one.regions_a, students)}{_answer(b, one.source_b, one.regions_b, students)}"
            "</div></div>")


def _answer(student: str, source: str, regions: list[Region], students: int) -> str:
    """One answer in a ``<pre>``, numbered lines, its matched regions in ``<mark>`` with their rarity as title."""
    parts, at = [], 0
    for region in sorted(regions, key=lambda region: region.start):
        start = max(region.start, at)
        if start >= region.end:
            continue
        kind = ' class="rare"' if region.found_in <= 2 else ""
        title = f"found in {region.found_in} of {students} notebooks"
        parts += [escape(source[at:start]), f'<mark{kind} title="{escape(title)}">{escape(source[start:region.end])}'
                  "</mark>"]
        at = region.end
    parts.append(escape(source[at:]))
    numbers = "\n".join(str(line) for line in range(1, source.count("\n") + 2))
    return (f'<div class="answer"><h5>{escape(student)}</h5><div style="display:flex;gap:.5em">'
            f'<pre class="lines" aria-hidden="true">{numbers}</pre><pre class="code">{"".join(parts)}</pre>'
            "</div></div>")
