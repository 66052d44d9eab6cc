"""Every setting has one default, in autograder/options.py; the command line, pytest, nbgrader and the README
derive theirs from it."""
from pathlib import Path

import pytest

from autograder import options
from autograder.cli import parser
from autograder.nbgrader.execute import SandboxedExecute
from autograder.runner.sandbox import Limits

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = options.Options()


def test_the_readme_table_is_the_settings_table():
    assert options.markdown_table() in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("setting", options.SETTINGS, ids=lambda setting: setting.name)
def test_every_front_end_has_the_same_default(setting):
    expected = getattr(DEFAULTS, setting.name)
    command_line = parser().parse_args(["grade", "x", "--out", "y"])
    assert getattr(command_line, setting.name) == expected
    assert getattr(SandboxedExecute(), setting.trait_name) == expected
    assert getattr(options.Options.from_traits(SandboxedExecute()), setting.name) == expected


@pytest.mark.parametrize("flag, value, field", [
    ("--timeout", "7", "timeout"), ("--cell-timeout", "2.5", "cell_timeout"), ("--probe-timeout", "3", "probe_timeout"),
    ("--memory", "512", "memory"), ("--mnist-dir", "/data", "mnist_dir"),
])
def test_a_flag_sets_its_option(flag, value, field):
    given = options.Options.from_values(parser().parse_args(["grade", "x", "--out", "y", flag, value]))
    assert getattr(given, field) == type(getattr(DEFAULTS, field) or "")(value)


def test_nbgraders_own_execute_timeout_is_the_cell_limit():
    from traitlets.config import Config

    config = Config()
    config.Execute.timeout = 1
    config.SandboxedExecute.notebook_timeout = 40
    assert options.Options.from_traits(SandboxedExecute(config=config)) == options.Options(timeout=40, cell_timeout=1)


def test_the_sandbox_limits_come_from_the_options():
    assert DEFAULTS.limits == Limits() == Limits(wall_s=DEFAULTS.timeout, memory_mb=DEFAULTS.memory)
