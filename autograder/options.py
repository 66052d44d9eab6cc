"""Every setting of a grading run, with its one default: the command line, pytest and nbgrader derive theirs here.

:data:`SETTINGS` is the table; :class:`Options` is one run's values. ``autograder grade`` turns the table into
``--flags`` (:func:`add_arguments`), ``pytest autograder`` into options of its own group (the same function), and
``nbgrader_config.py`` into traits of :class:`~autograder.nbgrader.execute.SandboxedExecute` (:func:`traits`).
The README's settings table is :func:`markdown_table`; a test keeps the two the same.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields, replace

#: Parallel judge processes, by default: one per core (``autograder grade --jobs``, ``c.SandboxedExecute.jobs``).
DEFAULT_JOBS = os.cpu_count() or 1
#: The largest notebook graded, once its outputs are stripped (:mod:`autograder.intake`; the sandbox's guard too).
MAX_NOTEBOOK_BYTES = 20 * 2**20


@dataclass(frozen=True)
class Setting:
    """One setting: its name (``Options`` field, ``--flag``, pytest option and nbgrader trait), type, unit, help."""

    name: str
    kind: type
    default: object
    metavar: str
    help: str
    trait: str = ""  # its trait on nbgrader's SandboxedExecute, where that is not ``name``
    nbgrader_own: bool = False  # the trait is nbgrader's own Execute setting (``c.Execute.<trait>`` sets it too)

    @property
    def trait_name(self) -> str:
        """The nbgrader trait: ``trait`` or ``name``."""
        return self.trait or self.name

    @property
    def flag(self) -> str:
        """``--cell-timeout`` for ``cell_timeout``."""
        return "--" + self.name.replace("_", "-")


SETTINGS: tuple[Setting, ...] = (
    Setting("timeout", float, 300.0, "S", "wall-time limit for one notebook and all its checks, in seconds",
            trait="notebook_timeout"),
    Setting("cell_timeout", float, 60.0, "S", "time limit for one cell of the notebook, in seconds",
            trait="timeout", nbgrader_own=True),
    Setting("probe_timeout", float, 10.0, "S", "time limit for the student's code in one probe of a check, in seconds"),
    Setting("memory", int, 2048, "MB", "memory limit of the process that runs the notebook, in MB"),
    Setting("mnist_dir", str, None, "DIR", "folder of the four MNIST idx .gz files (else GLUON_GRADER_MNIST, "
                                           "then ../shared/data/mnist beside the course, then MXNet's cache folder)"),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True)
class Limits:
    """What one submission may use: wall and CPU seconds, memory, file size, scratch space, processes."""

    wall_s: float = BY_NAME["timeout"].default
    memory_mb: int = BY_NAME["memory"].default
    cpu_s: float | None = None
    file_mb: int = 256
    scratch_mb: int = 512
    processes: int = 256

    def plain(self) -> dict:
        """Plain data for the zygote, with the CPU limit defaulting to the wall limit."""
        data = asdict(self)
        data["cpu_s"] = self.cpu_s or self.wall_s + 5
        return data


@dataclass(frozen=True)
class Options:
    """One run's settings; the defaults are those of :data:`SETTINGS`."""

    timeout: float = BY_NAME["timeout"].default
    cell_timeout: float = BY_NAME["cell_timeout"].default
    probe_timeout: float = BY_NAME["probe_timeout"].default
    memory: int = BY_NAME["memory"].default
    mnist_dir: str | None = BY_NAME["mnist_dir"].default

    @classmethod
    def from_values(cls, values) -> Options:
        """Options from any object with the settings as attributes (argparse's or pytest's namespace)."""
        return cls(**{setting.name: getattr(values, setting.name) for setting in SETTINGS})

    @classmethod
    def from_traits(cls, configurable) -> Options:
        """Options from an nbgrader preprocessor with :func:`traits`."""
        return cls(**{setting.name: getattr(configurable, setting.trait_name) for setting in SETTINGS})

    def with_mnist_dir(self, mnist_dir) -> Options:
        """The same options with MNIST's folder resolved."""
        return replace(self, mnist_dir=None if mnist_dir is None else str(mnist_dir))

    def with_mnist_found(self) -> Options:
        """The same options with MNIST's folder found and verified (``mnist_dir``, else ``GLUON_GRADER_MNIST``, then
        MXNet's cache): every front end's one lookup. :class:`~autograder.mnist.MnistNotFound` says what is missing."""
        from .mnist import find_mnist_dir

        return self.with_mnist_dir(find_mnist_dir(self.mnist_dir))

    @property
    def limits(self) -> Limits:
        """The sandbox's limits for one submission."""
        return Limits(wall_s=self.timeout, memory_mb=self.memory)


assert [f.name for f in fields(Options)] == [s.name for s in SETTINGS], "Options and SETTINGS must list the same"


def add_arguments(add) -> None:
    """Declare every setting with ``add(flag, type=..., default=..., metavar=..., help=...)`` (argparse, pytest)."""
    for setting in SETTINGS:
        add(setting.flag, type=setting.kind, default=setting.default, metavar=setting.metavar,
            help=f"{setting.help} (default: {setting.default})" if setting.default is not None else setting.help)


def traits() -> dict:
    """The nbgrader (traitlets) declaration of every setting, with its default (nbgrader's own ones redeclared)."""
    from traitlets import Float, Integer, Unicode

    kinds = {float: Float, int: Integer, str: Unicode}
    # nbgrader's own settings keep nbgrader's ``None`` (``c.Execute.timeout = None``: no limit per cell).
    return {setting.trait_name: kinds[setting.kind](setting.default, allow_none=setting.default is None or
                                                    setting.nbgrader_own, help=setting.help).tag(config=True)
            for setting in SETTINGS}


def markdown_table() -> str:
    """The README's table of settings."""
    rows = ["| setting | `autograder grade` / `pytest autograder` | nbgrader (`nbgrader_config.py`) | default |",
            "| --- | --- | --- | --- |"]
    for setting in SETTINGS:
        trait = (f"`c.Execute.{setting.trait_name}`" if setting.nbgrader_own
                 else f"`c.SandboxedExecute.{setting.trait_name}`")
        default = "—" if setting.default is None else f"{setting.default:g}" if isinstance(
            setting.default, float) else str(setting.default)
        rows.append(f"| {setting.help} | `{setting.flag} {setting.metavar}` | {trait} | {default} |")
    return "\n".join(rows)
