"""``pytest autograder`` from the course folder: the grader's pytest front end, :mod:`autograder.pytest_plugin`.

Installed (the wheel, or ``make install``), the front end is a pytest plugin (entry point ``pytest11``), which is
what makes ``pytest --pyargs autograder`` work from any folder: pytest reads a package's conftest only when given
its folder. Where the plugin is not installed, or was not loaded, this conftest provides its hooks.
"""
import sys

if "autograder.pytest_plugin" not in sys.modules:  # not already loaded through the pytest11 entry point
    from autograder.pytest_plugin import *  # noqa: F403  (the hooks, by their pytest names)
