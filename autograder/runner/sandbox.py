"""How the subject process is started and limited: under bubblewrap where it works, else plain processes.

Under bubblewrap the zygote sees a read-only Python environment (the interpreter, the venv, the kit's own
``autograder`` package and MNIST), a private ``/tmp``, a size-limited scratch tmpfs at ``/box``, ``/proc`` and
a minimal ``/dev``; no network, no other processes, none of the instructor's files (solutions, hidden checks,
other submissions, the output folder). Students' code runs in it as an unprivileged uid of its own per worker.
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import autograder

from ..options import Limits

BUBBLEWRAP = "bubblewrap"
FIRST_UID = 61000
SCRATCH = "/box"
KIT = "/kit"
MNIST = "/data/mnist"
#: One compute thread per process: OpenMP's and OpenBLAS's idle threads spin on sched_yield, and with two jobs on
#: two cores that spinning takes the CPU the other submission needs.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: Set for every zygote, sandboxed or not: stable hashing, no plot windows, one compute thread.
FIXED_ENVIRONMENT = {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", **ONE_THREAD}
#: Everything but the user namespace: the zygote must be able to switch to a real, unprivileged student uid.
NAMESPACES = ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try")


@dataclass(frozen=True)
class Isolation:
    """The isolation in use: ``bubblewrap``, or plain processes with the reason why."""

    kind: str
    reason: str = ""

    @property
    def sandboxed(self) -> bool:
        """Whether student code runs under bubblewrap."""
        return self.kind == BUBBLEWRAP

    def describe(self) -> str:
        """One line for the output and for results.json."""
        if self.sandboxed:
            return BUBBLEWRAP
        return f"plain processes, NOT sandboxed ({self.reason})"


@functools.cache
def detect() -> Isolation:
    """Bubblewrap if it is installed and can start a sandbox here, else plain processes and why not."""
    if os.environ.get("GLUON_GRADER_SANDBOX") == "none":
        return Isolation("plain", "GLUON_GRADER_SANDBOX=none")
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return Isolation("plain", "bubblewrap is not installed: apt-get install bubblewrap")
    trial = subprocess.run([bwrap, "--ro-bind", "/", "/", *NAMESPACES, "--die-with-parent", "true"],
                           check=False, capture_output=True, text=True, timeout=30)
    if trial.returncode != 0:
        return Isolation("plain", f"bubblewrap cannot start a sandbox here: {trial.stderr.strip()[:200]}")
    return Isolation(BUBBLEWRAP)


def student_uid(slot: int, isolation: Isolation) -> int | None:
    """The unprivileged uid of worker ``slot``'s students, when the grader can switch users (runs as root).

    Without the sandbox the student uid sees the real file system, so it is used only where it can read the
    Python installation (a pyenv under a private ``/root`` it cannot).
    """
    if os.geteuid() != 0:
        return None
    if not isolation.sandboxed and not all(world_readable(path) for path in (sys.prefix, sys.base_prefix)):
        return None
    return FIRST_UID + slot


def world_readable(path: str) -> bool:
    """Whether every folder from / down to ``path`` lets any user in."""
    folder = Path(path).resolve()
    return all(os.stat(part).st_mode & stat.S_IXOTH for part in [folder, *folder.parents])


def zygote_settings(slot: int, isolation: Isolation, in_fd: int, out_fd: int, scratch_root: str,
                    max_notebook_bytes: int) -> dict:
    """What the zygote needs to know, as plain data (the probes of every unit among it)."""
    return {"in_fd": in_fd, "out_fd": out_fd, "uid": student_uid(slot, isolation), "sandboxed": isolation.sandboxed,
            "scratch_root": scratch_root, "max_notebook_bytes": max_notebook_bytes,
            "probe_modules": [unit.probes_module for unit in all_units().values()]}


def unit_packages_outside() -> dict[str, str]:
    """``{top-level package: its folder}`` of every unit that lives outside the kit (plug-ins, units in progress)."""
    import importlib.util

    tops = {unit.top_package for unit in all_units().values()} - {"autograder"}
    return {top: str(Path(importlib.util.find_spec(top).origin).resolve().parent) for top in sorted(tops)}


def all_units() -> dict:
    """The course's units (imported here, not at the top: the units import the kit's checks)."""
    from ..units import all_units as units

    return units()


def zygote_argv(settings: dict, isolation: Isolation, limits: Limits, mnist_dir: str | None) -> list[str]:
    """The command line that starts a zygote, wrapped in bubblewrap when sandboxed."""
    python = [sys.executable, "-m", "autograder.runner.zygote", json.dumps(settings)]
    if not isolation.sandboxed:
        return python
    return ["bwrap", *bubblewrap_options(limits, mnist_dir), "--", *python]


def bubblewrap_options(limits: Limits, mnist_dir: str | None) -> list[str]:
    """Mounts, namespaces, capabilities and environment of the sandbox."""
    options = [*NAMESPACES, "--die-with-parent", "--new-session",
               "--cap-drop", "ALL", *cap_add("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_DAC_OVERRIDE",
                                             "CAP_FOWNER", "CAP_CHOWN"),
               "--proc", "/proc", "--dev", "/dev",
               "--perms", "1777", "--size", str(64 * 2**20), "--tmpfs", "/tmp",  # noqa: S108  (the sandbox's own private /tmp)
               "--perms", "0755", "--size", str(limits.scratch_mb * 2**20), "--tmpfs", SCRATCH]
    for source in system_paths():
        options += read_only(source, source)
    options += top_level_links()
    options += read_only(str(Path(autograder.__file__).resolve().parent), f"{KIT}/autograder")
    for top, folder in unit_packages_outside().items():
        options += read_only(folder, f"{KIT}/{top}")
    if mnist_dir:
        options += read_only(str(Path(mnist_dir).resolve()), MNIST)
    options += ["--clearenv", *environment(mnist_dir), "--chdir", SCRATCH]
    return options


def cap_add(*capabilities: str) -> list[str]:
    """``--cap-add`` options: the zygote may switch to the student uid, kill and clean up after it. The student's
    process drops them all: it becomes an unprivileged uid (or clears them itself) with no_new_privs set."""
    return [option for capability in capabilities for option in ("--cap-add", capability)]


def read_only(source: str, target: str) -> list[str]:
    """Read-only bind of ``source`` at ``target``, with world-readable parent folders."""
    parents = [str(parent) for parent in reversed(Path(target).parents) if str(parent) != "/"]
    return [*(part for parent in parents for part in ("--perms", "0755", "--dir", parent)),
            "--ro-bind", source, target]


def system_paths() -> list[str]:
    """The interpreter, its venv and the system libraries, nothing more."""
    paths = {"/usr", "/etc/ld.so.cache", "/etc/alternatives", sys.base_prefix, sys.prefix}
    paths |= {os.path.dirname(os.path.realpath(sys.executable))}
    return sorted(path for path in paths if os.path.exists(path))


def top_level_links() -> list[str]:
    """``/bin``, ``/lib``, ``/lib64`` and ``/sbin`` as the host has them (symlinks into /usr, or folders)."""
    options = []
    for name in ("/bin", "/lib", "/lib64", "/sbin"):
        if os.path.islink(name):
            options += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            options += ["--ro-bind", name, name]
    return options


def environment(mnist_dir: str | None) -> list[str]:
    """A small, fixed environment: nothing of the grader's own leaks in."""
    values = {"PATH": f"{os.path.dirname(sys.executable)}:/usr/bin:/bin", "PYTHONPATH": KIT,
              "HOME": SCRATCH, "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", **FIXED_ENVIRONMENT}
    if mnist_dir:
        values["GLUON_GRADER_MNIST"] = MNIST
    return [part for name, value in values.items() for part in ("--setenv", name, value)]


def plain_environment(mnist_dir: str | None) -> dict:
    """The environment of an unsandboxed zygote: the grader's own, with the kit importable and a few fixed."""
    kit_parent = str(Path(autograder.__file__).resolve().parent.parent)
    parents = [kit_parent, *(str(Path(folder).parent) for folder in unit_packages_outside().values())]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(dict.fromkeys(parents)), **FIXED_ENVIRONMENT)
    if mnist_dir:
        env["GLUON_GRADER_MNIST"] = str(Path(mnist_dir).resolve())
    return env


def scratch_root(isolation: Isolation) -> tuple[str, str | None]:
    """``(folder the zygote makes job folders in, host folder to remove afterwards or None)``."""
    if isolation.sandboxed:
        return SCRATCH, None
    host = tempfile.mkdtemp(prefix="gluon-grader-jobs-")
    os.chmod(host, 0o711)  # noqa: S103  (the student uid must enter its job folder, not list the others)
    return host, host
