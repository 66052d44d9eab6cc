"""The profile benchmark runs (``--quick``: plumbing, in process) and splits the checks' time as it says.

A smoke test of the report, never of its timings: figures on a shared machine are noisy.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from autograder.units import unit

ROOT = Path(__file__).resolve().parents[1]


def test_quick_profile_reports_every_plumbing_check_and_its_round_trips():
    process = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "profile_grading.py"), "--quick"],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert process.returncode == 0
    assert "could not finish" not in process.stderr, process.stderr[-2000:]
    # The reference passes every check, so the stages below are a whole grading, not one cut short.
    assert f"plumbing, in process: {len(unit('plumbing').checks)} checks, 0 failed" in process.stdout
    trips, asked = map(int, re.search(r"(\d+) trips \((\d+) questions asked\)", process.stdout).groups())
    # Remembering answers repeated questions: fewer round trips than questions, but some.
    assert 0 < trips < asked
    examples = int(re.search(r"Hypothesis's own time .* (\d+) examples", process.stdout).group(1))
    assert examples > 0
    for stage in ("student's cells (load)", "judge (NumPy, compare)", "writing results", "load average"):
        assert stage in process.stdout
