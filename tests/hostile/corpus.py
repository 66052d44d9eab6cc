"""The hostile corpus: submissions that try to crash, stall, flood, fool or damage the batch grader, as data.

Each :class:`Hostile` is built from the reference notebook (``reference``: honest score ``FULL``), the released stub
(``stub``: honest score 0), or is raw bytes that are not a notebook (``raw``). Hostile code is appended as new
cells (``cells``) or replaces solution cells (``answers``: grade_id -> source). ``honest_max`` is the most the
honest part can earn; ``phrases`` must all appear (case-insensitive) in that student's notes or feedback, each
phrase being alternatives separated by ``|``. ``sandbox_only`` cases can only be defended by the sandbox
(reading or damaging files outside the scratch folder, network, process limits): without bubblewrap their
outcome is not asserted.

Rule for gain-seeking cases: stub-based, so the expected score is exactly 0. Rule for harm-seeking cases:
reference-based, so the honest part must keep its full points (``FULL``) at most and nobody else may be hurt.

Every bomb is bounded (see ``helpers_cell.py``): these notebooks really run on the test machine, and must not
take it down when the grader falls back to plain processes.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from textwrap import dedent

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
REFERENCE = ROOT / "solutions" / "plumbing" / "plumbing.ipynb"
RELEASE = ROOT / "assignments" / "plumbing" / "plumbing.ipynb"
#: The file the test puts in its temporary class folder: the helpers only damage files below it.
ARENA_MARK = ".gluon-grader-hostile-arena"
#: Points per exercise, to bound what a reference copy keeps when one of its answers is replaced.
POINTS = {"build_mlp": 7, "build_named_mlp": 4, "build_mlp_explicit": 5, "mlp_block": 5, "my_sequential": 5,
          "count_parameters": 3, "my_init": 3, "save_and_load": 3}
FULL = sum(POINTS.values())

KINDS = {
    "exit": "ends the process or the notebook early (sys.exit, os._exit, signals to itself or its parent)",
    "loop": "never ends and ignores the signals that would stop it",
    "memory": "allocates far more memory than the limit",
    "disk": "fills the disk: huge files, many files",
    "flood": "prints hundreds of megabytes, through Python and straight to the file descriptors",
    "fake": "prints or writes fake test summaries and results.json files, or forges replies on the pipes",
    "rewrite": "rewrites the grader in memory (checks, Hypothesis, pytest, protocol, builtins) to pass",
    "edit": "edits the grader's files on disk",
    "secrets": "reads the solutions, the hidden checks, other processes' environment and memory",
    "others": "overwrites other students' notebooks and results, or the output folder",
    "leftover": "leaves processes or threads behind that act after its grading ends",
    "network": "opens network connections",
    "fakenet": "returns objects that pretend to be nets (mocks, always-equal, __getattr__ tricks)",
    "crash": "crashes the interpreter (segfaults, recursion)",
    "corrupt": "is not a notebook at all (empty, truncated, wrong JSON, old format garbage, a PNG)",
    "fork": "forks many processes (capped)",
    "forge": "forges what the probe feeds or reports: patched numpy RNG, a lying asnumpy, Parameter.data patched, "
             "a net handed back under a fresh one's name",
}


@dataclass
class Hostile:
    """One hostile submission: how to build it and what its grade must look like."""

    case_id: str
    base: str  # "reference", "stub" or "raw"
    kind: str
    description: str
    cells: tuple = ()
    answers: dict = field(default_factory=dict)
    honest_max: float = 0.0
    phrases: tuple = ()
    raw: bytes | None = None
    sandbox_only: bool = False
    helpers: bool = False
    honest_min: float | None = None  # set where the hostile part must cost nothing beyond itself

    def __post_init__(self):
        assert self.kind in KINDS, self.kind
        assert self.base in ("reference", "stub", "raw"), self.base

    def notebook_bytes(self) -> bytes:
        """The submission file's content."""
        if self.base == "raw":
            return self.raw
        nb = nbformat.read(REFERENCE if self.base == "reference" else RELEASE, as_version=4)
        for grade_id, source in self.answers.items():
            nb = _with_answer(nb, grade_id, dedent(source).strip() + "\n")
        extra = ([helpers_source()] if self.helpers else []) + [dedent(cell).strip() + "\n" for cell in self.cells]
        nb.cells += [nbformat.v4.new_code_cell(source) for source in extra]
        return nbformat.writes(nb).encode()


def _with_answer(nb, grade_id: str, source: str):
    """Copy of ``nb`` whose solution cell ``grade_id`` is ``source`` (as tests/notebooks.py's ``with_answer``)."""
    changed = copy.deepcopy(nb)
    for cell in changed.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade_id") == grade_id and meta.get("solution"):
            cell.source = source
            return changed
    raise KeyError(grade_id)


def helpers_source() -> str:
    """The helper cell: runs the code of ``helpers_cell.py`` (below its docstring), kept as ``HELPERS`` too."""
    code = (HERE / "helpers_cell.py").read_text().split("# --- cell source starts here ---\n", 1)[1]
    assert "'''" not in code
    return f"HELPERS = r'''{code}'''\nexec(HELPERS)\n"


def ref(case_id, kind, description, *cells, phrases=(), sandbox_only=False, helpers=False, answers=None,
        keeps=False):
    """A reference-based case: the honest part keeps at most 35 (less the exercises ``answers`` replace).

    ``keeps``: the hostile part is contained, so the honest part must keep exactly that many points.
    """
    answers = answers or {}
    honest = FULL - sum(POINTS[grade_id] for grade_id in answers)
    return Hostile(case_id, "reference", kind, description, tuple(cells), answers, honest, tuple(phrases),
                   sandbox_only=sandbox_only, helpers=helpers, honest_min=honest if keeps else None)


def stub(case_id, kind, description, *cells, phrases=(), sandbox_only=False, helpers=False, answers=None):
    """A stub-based case: whatever it tries, it must score exactly 0."""
    return Hostile(case_id, "stub", kind, description, tuple(cells), answers or {}, 0.0, tuple(phrases),
                   sandbox_only=sandbox_only, helpers=helpers)


def raw(case_id, description, content: bytes, phrases=()):
    """A file that is not a notebook: graded 0 with the reason."""
    return Hostile(case_id, "raw", "corrupt", description, honest_max=0.0, phrases=tuple(phrases), raw=content)


NOT_IMPLEMENTED = "not implemented"
GUARD_PARENT = dedent("""
    def may_signal(pid):
        '''Only the grader's own processes: never the machine's init (pid 1 outside a sandbox) or a shell.'''
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read()
        except OSError:
            return False
        if pid == 1:
            return b"bwrap" in cmdline
        return b"python" in cmdline or b"bwrap" in cmdline
""")
LOOP_LIMIT = 150  # seconds: the longest any endless loop really runs if nothing stops it

# --- the corpus -----------------------------------------------------------------------------------------

EXIT = [
    stub("exit-sys-exit-stub", "exit", "sys.exit(0) in a cell, hoping a clean exit reads as success",
         "import sys\nsys.exit(0)", phrases=["exit"]),
    ref("exit-sys-exit-reference", "exit", "sys.exit(0) after the answers: the answers keep their points",
        "import sys\nsys.exit(0)", phrases=["exit"], keeps=True),
    stub("exit-os-exit-stub", "exit", "os._exit(0) right after the stubs, hoping exit code 0 reads as success",
         "import os\nos._exit(0)", phrases=["ended", "code 0|status 0|exit 0"]),
    ref("exit-os-exit", "exit", "os._exit(0): the process ends at once, no cleanup, exit code 0",
        "import os\nos._exit(0)", phrases=["ended", "code 0|status 0|exit 0"]),
    ref("exit-sigkill-self", "exit", "SIGKILL to itself",
        "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", phrases=["ended", "SIGKILL"]),
    ref("exit-sigterm-parent", "exit", "SIGTERM to its parent process (the grader's side, if it can reach it)",
        GUARD_PARENT + "import os, signal\nif may_signal(os.getppid()):\n    os.kill(os.getppid(), signal.SIGTERM)",
        keeps=True),
    ref("exit-sigkill-parent", "exit", "SIGKILL to its parent process",
        GUARD_PARENT + "import os, signal\nif may_signal(os.getppid()):\n    os.kill(os.getppid(), signal.SIGKILL)",
        keeps=True),
    ref("exit-systemexit-in-build-mlp", "exit", "build_mlp raises SystemExit when the grader calls it",
        answers={"build_mlp": "def build_mlp(hidden=(128, 64), num_outputs=10):\n    raise SystemExit(0)"},
        phrases=["SystemExit"], keeps=True),
]

LOOP = [
    ref("loop-ignores-alarm-and-term", "loop", "ignores SIGALRM and SIGTERM, then spins",
        f"""
        import signal, time
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        end = time.monotonic() + {LOOP_LIMIT}
        while time.monotonic() < end:
            pass
        """, phrases=["stopped after"]),
    ref("loop-catches-baseexception", "loop", "a loop that swallows every exception the time limit raises",
        f"""
        import time
        end = time.monotonic() + {LOOP_LIMIT}
        while time.monotonic() < end:
            try:
                while time.monotonic() < end:
                    pass
            except BaseException:
                pass
        """, phrases=["stopped after"]),
    ref("loop-in-build-mlp", "loop", "build_mlp spins, ignoring SIGALRM and swallowing BaseException",
        answers={"build_mlp": f"""
        def build_mlp(hidden=(128, 64), num_outputs=10):
            import signal, time
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            end = time.monotonic() + {LOOP_LIMIT}
            while time.monotonic() < end:
                try:
                    time.sleep(0.01)
                except BaseException:
                    pass
        """}, phrases=["stopped after|out of time"]),
]

MEMORY = [
    ref("memory-bytearray-50gb", "memory", "bytearray(50 GB) in one go",
        """
        import resource
        overcommit = open("/proc/sys/vm/overcommit_memory").read().strip()
        limited = resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY
        # Guard: with overcommit "always" and no address-space limit this would really touch 50 GB.
        size = 50 * 2**30 if overcommit != "1" or limited else 2**40 * 64
        hog = bytearray(size)
        """, phrases=["memory"], keeps=True),
    ref("memory-growing-list", "memory", "appends 10 MB strings to a list: at most 6 GB over at most a minute",
        """
        import time
        hog, start = [], time.monotonic()
        while len(hog) < 600 and time.monotonic() - start < 60:
            hog.append(b"x" * (10 << 20))
        del hog
        """, phrases=["memory"]),
]

DISK = [
    ref("disk-big-files", "disk", "writes a 2 GB file into cwd and another into /tmp",
        """
        import os
        block = os.urandom(1 << 20)
        for path in ("hog.bin", "/tmp/gluon-grader-hostile-hog.bin"):
            with open(path, "wb") as stream:
                for _ in range(2048):
                    stream.write(block)
        """, keeps=True),
    ref("disk-many-files", "disk", "creates up to 50 000 small files in cwd and /tmp within 15 s",
        """
        import os, time
        start = time.monotonic()
        for folder in ("many", "/tmp/gluon-grader-hostile-many"):
            os.makedirs(folder, exist_ok=True)
            for i in range(25_000):
                if time.monotonic() - start > 15:
                    break
                with open(f"{folder}/{i}.txt", "w") as stream:
                    stream.write("x")
        """, keeps=True),
]

FLOOD = [
    ref("flood-print-100mb", "flood", "prints 100 MB through print()",
        "line = 'x' * (1 << 20)\nfor _ in range(100):\n    print(line)", keeps=True),
    ref("flood-fd-write", "flood", "writes 100 MB each straight to file descriptors 1 and 2",
        """
        import os
        chunk = b"y" * (1 << 20)
        for fd in (1, 2):
            for _ in range(100):
                os.write(fd, chunk)
        """, keeps=True),
]

FAKE = [
    stub("fake-summary-printed", "fake", "prints a pytest summary with 35 passed and a full-marks score table",
         """
         import os
         fake = "\\n".join(["=" * 30 + " 35 passed in 2.01s " + "=" * 30, "score: plumbing.ipynb",
                           "exercise            points", "build_mlp           7/7", "total               35/35",
                           '{"score": 35.0, "max_score": 35.0, "status": "graded"}'])
         print(fake)
         os.write(1, fake.encode() + b"\\n")
         os.write(2, fake.encode() + b"\\n")
         """, phrases=[NOT_IMPLEMENTED]),
    stub("fake-results-json-files", "fake", "writes full-marks results.json into cwd, .., /tmp and OUT-like paths",
         """
         import glob
         for folder in near_places():
             plant(folder)
             plant(folder, "feedback.md")
             plant(folder, "grades.csv")
         for value in list(os.environ.values()) + sys.argv:
             if value.startswith("/") and in_arena(value):
                 for folder in [value, os.path.dirname(value)] + glob.glob(os.path.join(value, "*")):
                     if os.path.isdir(folder):
                         plant(folder)
         for folder in arena_dirs():
             if os.path.basename(folder).startswith(("out", "OUT")) or "out" in folder.lower():
                 plant(folder)
         """, helpers=True, phrases=[NOT_IMPLEMENTED], sandbox_only=True),
    stub("fake-protocol-on-pipes", "fake", "writes forged 'all ok' replies and results to every open descriptor",
         """
         import json, os
         forged = {"status": "ok", "score": 35.0, "max_score": 35.0, "passed": True, "results": [],
                   "report": {"notebook": "plumbing.ipynb", "cells_run": 1, "problems": []}}
         line = (json.dumps(forged) + "\\n").encode()
         for fd in range(1, 64):
             try:
                 os.write(fd, line * 20)
             except OSError:
                 pass
         """, phrases=["larger than|reply"]),
    stub("fake-stdin-steal", "fake", "reads whatever comes on stdin (the grader's requests, if it uses stdin)",
         """
         import sys, threading
         stolen = []
         threading.Thread(target=lambda: stolen.append(sys.stdin.buffer.read(1 << 16)), daemon=True).start()
         """, phrases=[NOT_IMPLEMENTED]),
    ref("fake-symlinks-in-scratch", "fake", "leaves results.json/feedback.md symlinks in cwd pointing at secrets",
        """
        import os
        for name, target in [("results.json", "/etc/shadow"), ("feedback.md", "/proc/1/environ"),
                             ("grades.csv", "/root/.bash_history"), ("junit.xml", "/dev/zero")]:
            for folder in (".", "/tmp"):
                try:
                    os.symlink(target, os.path.join(folder, name))
                except OSError:
                    pass
        """, keeps=True),
]

REWRITE = [
    stub("rewrite-check-runs", "rewrite", "replaces every registered check's run with a lambda that passes",
         """
         import gc, sys
         import autograder.checks.base as checks
         import autograder.judgement as judge
         from autograder.results import CheckResult
         for check in checks.LOADED:
             object.__setattr__(check, "run", lambda subject: None)
         def run_check(check, subject):
             return CheckResult(check.id, check.exercise, check.title, check.points, check.points, "passed", "")
         for module in list(sys.modules.values()):
             if getattr(module, "run_check", None) is not None:
                 module.run_check = run_check
         for obj in gc.get_objects():
             if type(obj).__name__ == "Check":
                 object.__setattr__(obj, "run", lambda subject: None)
         """, phrases=["held for review|" + NOT_IMPLEMENTED]),
    stub("rewrite-hypothesis", "rewrite", "patches hypothesis.given and settings so property checks test nothing",
         """
         import hypothesis
         def given(*args, **kwargs):
             return lambda function: (lambda *a, **k: None)
         hypothesis.given = given
         hypothesis.settings.register_profile("nothing", max_examples=1, database=None)
         hypothesis.settings.load_profile("nothing")
         import hypothesis.core
         hypothesis.core.given = given
         """, phrases=[NOT_IMPLEMENTED]),
    stub("rewrite-pytest", "rewrite", "patches pytest.fail and pytest's reports so every test passes",
         """
         import pytest
         import _pytest.reports
         pytest.fail = lambda *args, **kwargs: None
         _pytest.reports.TestReport.passed = property(lambda self: True)
         _pytest.reports.TestReport.failed = property(lambda self: False)
         _pytest.reports.TestReport.outcome = property(lambda self: "passed", lambda self, value: None)
         """, phrases=[NOT_IMPLEMENTED]),
    stub("rewrite-protocol", "rewrite", "patches autograder.protocol so every reply says 'ok' with forged data",
         """
         import json
         import autograder.protocol as protocol
         forged = {"status": "ok", "passed": True, "score": 35.0, "report": {"notebook": "x", "problems": []}}
         protocol.dumps = lambda value: json.dumps(forged)
         protocol.to_plain = lambda value, _depth=0: forged
         """),
    stub("rewrite-probes", "rewrite", "replaces every probe of the subject with one that answers junk 'ok'",
         """
         from autograder.subject import probing
         from autograder.units.plumbing import probes
         for table in probing.PROBES.values():
             for name in list(table):
                 table[name] = lambda ctx, **args: {"passed": True, "score": 35.0}
         """),
    stub("rewrite-probes-forged", "rewrite", "forges the class_info and lifecycle replies the is_block checks read",
         """
         from autograder.subject import probing
         BLOCK = ["x.MLP", "mxnet.gluon.block.Block", "builtins.object"]
         def class_info(ctx, name):
             return {"is_class": True, "type": "type", "bases": BLOCK, "own": ["__init__", "add", "forward"]}
         def lifecycle(ctx, **args):
             raise probing.StageFailed("calling it", ValueError("not telling"))
         for table in probing.PROBES.values():
             table.update(class_info=class_info, lifecycle=lifecycle)
         """),
    stub("rewrite-builtins", "rewrite", "patches builtins: NotImplementedError, isinstance, print",
         """
         import builtins
         builtins.NotImplementedError = type("NotImplementedError", (Exception,), {})
         builtins.isinstance = lambda obj, cls: True
         builtins.print = lambda *args, **kwargs: None
         """),
]

EDIT = [
    ref("edit-grader-files", "edit", "finds autograder.__file__ and appends to checks/*.py, plants a module",
        """
        import glob, os
        import autograder
        package = os.path.dirname(autograder.__file__)
        # Guard: never the other engineer's checkout, even if the sandbox is missing.
        if not package.startswith("/work/main"):
            with open(os.path.join(package, "checks", "zz_planted.py"), "w") as stream:
                stream.write("# planted by a hostile submission\\n")
            for path in sorted(glob.glob(os.path.join(package, "checks", "*.py"))):
                with open(path, "a") as stream:
                    stream.write("\\n# edited by a hostile submission\\n")
        """, phrases=["held for review"], sandbox_only=True),
]

SECRETS = [
    stub("secrets-solutions-copied", "secrets", "searches / and env for the solutions notebook and runs its answers",
         """
         import json
         wanted = ("solutions/plumbing/plumbing.ipynb", "instructor/hidden_checks.py")
         found = find_files(lambda p: p.endswith(wanted), seconds=15, limit=5)
         print(found)
         for path in found:
             if path.endswith(".ipynb"):
                 for cell in json.load(open(path))["cells"]:
                     if cell["cell_type"] == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                         exec("".join(cell["source"]), globals())
                 break
         else:
             raise FileNotFoundError("no solutions to copy")
         """, helpers=True, phrases=[NOT_IMPLEMENTED], sandbox_only=True),
    stub("secrets-hidden-checks", "secrets", "imports instructor.hidden_checks and prints the hidden checks' code",
         """
         import inspect, importlib
         found = find_files(lambda p: p.endswith("instructor/hidden_checks.py"), seconds=10, limit=1)
         if found:
             sys.path.insert(0, os.path.dirname(os.path.dirname(found[0])))
         hidden = importlib.import_module("instructor.hidden_checks")
         print(inspect.getsource(hidden))
         """, helpers=True, phrases=[NOT_IMPLEMENTED], sandbox_only=True),
    ref("secrets-proc-snooping", "secrets", "reads /proc/1/environ, every process's environ and cmdline, "
        "and its parent's memory",
        """
        import os, re
        seen = {}
        for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
            for part in ("environ", "cmdline"):
                try:
                    seen[(pid, part)] = open(f"/proc/{pid}/{part}", "rb").read()
                except OSError:
                    pass
        try:
            maps = open(f"/proc/{os.getppid()}/maps").read().splitlines()
            with open(f"/proc/{os.getppid()}/mem", "rb") as mem:
                for line in maps[:50]:
                    start, end = (int(x, 16) for x in line.split()[0].split("-"))
                    mem.seek(start)
                    seen[line] = mem.read(min(end - start, 1 << 20))
        except (OSError, ValueError, OverflowError):
            pass
        print(len(seen), "secrets read")
        """, keeps=True),
]

OTHERS = [
    ref("others-overwrite-notebooks-and-results", "others",
        "searches the filesystem for *.ipynb and results.json and overwrites those it can (arena only)",
        """
        targets = find_files(lambda p: p.endswith((".ipynb", "results.json", "feedback.md", "grades.csv")),
                             seconds=10, limit=2000)
        damaged = 0
        for path in targets:
            if in_arena(path) and os.path.abspath(path) != os.path.abspath(os.getcwd()):
                try:
                    with open(path, "w") as stream:
                        json.dump(FAKE_RESULTS, stream)
                    damaged += 1
                except OSError:
                    pass
        for folder in arena_dirs():
            damaged += plant(folder)
        print(damaged, "files damaged")
        """, helpers=True, sandbox_only=True),
]

LEFTOVER = [
    ref("leftover-fork", "leftover", "os.fork(): the child lives on for a minute, planting results.json",
        """
        if os.fork() == 0:
            try:
                haunt(60, "fork")
            finally:
                os._exit(0)
        """, helpers=True, sandbox_only=True),
    ref("leftover-popen-detached", "leftover", "a detached `sleep 5; write files` process in a new session",
        """
        import subprocess
        script = HELPERS + "\\nimport time\\ntime.sleep(5)\\nhaunt(55, 'popen')\\n"
        subprocess.Popen([sys.executable, "-c", script], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.Popen(["sh", "-c", "sleep 5; for i in 1 2 3 4 5 6 7 8 9 10; do echo pwned > ../results.json;"
                          " echo pwned > /tmp/results.json; sleep 5; done"], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        """, helpers=True, sandbox_only=True),
    ref("leftover-daemon-thread", "leftover", "a daemon thread planting results.json while the grader probes",
        """
        import threading
        threading.Thread(target=haunt, args=(60, "thread"), daemon=True).start()
        """, helpers=True, sandbox_only=True),
    ref("leftover-double-fork-setsid", "leftover", "double fork + setsid: a grandchild orphaned to init",
        """
        child = os.fork()
        if child == 0:
            os.setsid()
            if os.fork() == 0:
                try:
                    haunt(60, "daemon")
                finally:
                    os._exit(0)
            os._exit(0)
        os.waitpid(child, 0)
        """, helpers=True, sandbox_only=True),
]

NETWORK = [
    ref("network-connect", "network", "connects to 8.8.8.8:53, then to localhost:80",
        """
        import socket
        for address in [("8.8.8.8", 53), ("127.0.0.1", 80)]:
            socket.create_connection(address, timeout=3).close()
        """, phrases=["cell", "OSError|unreachable|refused|ConnectionRefusedError|timeout"], sandbox_only=True,
        keeps=True),
]

FAKE_NETS = {
    "mock": """
        from unittest.mock import MagicMock
        build_mlp = build_named_mlp = build_mlp_explicit = MagicMock(return_value=MagicMock())
        MLP = MySequential = MyInit = MagicMock()
        count_parameters = MagicMock()
        save_and_load = MagicMock(side_effect=lambda net, make_net, path: net)
        """,
    "always-equal": """
        class Liar:
            '''Equal to everything; every attribute, call, item and iteration gives itself back.'''
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            def __hash__(self): return 0
            def __getattr__(self, name): return self
            def __call__(self, *args, **kwargs): return self
            def __getitem__(self, key): return self
            def __iter__(self): return iter([self, self, self])
            def __len__(self): return 3
            def __int__(self): return 109386
            def __float__(self): return 0.0
            def __index__(self): return 3
            def __bool__(self): return True
        LIAR = Liar()
        build_mlp = build_named_mlp = build_mlp_explicit = count_parameters = save_and_load = LIAR
        MLP = MySequential = MyInit = LIAR
        """,
    "getattr-disguise": """
        from mxnet.gluon import nn
        class Disguised:
            '''Claims to be an nn.Sequential (through __class__) and answers every attribute with a guess.'''
            @property
            def __class__(self):
                return nn.Sequential
            def __init__(self, *args, **kwargs):
                self.prefix = kwargs.get("prefix", "sequential0_")
            def __getattr__(self, name):
                return lambda *args, **kwargs: self
            def __call__(self, x):
                from mxnet import nd
                return nd.zeros((x.shape[0], 10))
        def build_mlp(hidden=(128, 64), num_outputs=10):
            return Disguised()
        def build_named_mlp(prefix, hidden=(128, 64), num_outputs=10):
            return Disguised(prefix=prefix)
        def build_mlp_explicit(in_units=784, hidden=(128, 64), num_outputs=10):
            return Disguised()
        MLP = MySequential = Disguised
        """,
}

FAKENET = [stub(f"fakenet-{name}", "fakenet", f"every exercise answered by a fake: {name}", source)
           for name, source in FAKE_NETS.items()] + [
    ref("fakenet-liar-in-one-exercise", "fakenet", "a reference whose MySequential is an always-equal Liar",
        answers={"my_sequential": FAKE_NETS["always-equal"].replace(
            "        build_mlp = build_named_mlp = build_mlp_explicit = count_parameters = save_and_load = LIAR\n", "")
            .replace("MLP = MySequential = MyInit = LIAR", "MySequential = LIAR")}, keeps=True),
]

CRASH = [
    ref("crash-string-at-null", "crash", "ctypes.string_at(0): a segmentation fault",
        "import ctypes\nctypes.string_at(0)", phrases=["SIGSEGV|segmentation|crash"]),
    ref("crash-faulthandler-sigsegv", "crash", "faulthandler._sigsegv()",
        "import faulthandler\nfaulthandler._sigsegv()", phrases=["SIGSEGV|segmentation|crash"]),
    ref("crash-recursion-bomb", "crash", "sys.setrecursionlimit(10**6) and unbounded recursion",
        """
        import sys
        sys.setrecursionlimit(10**6)
        def deeper(n):
            return deeper(n + 1) + 1
        deeper(0)
        """, phrases=["Recursion|SIGSEGV|segmentation|ended"]),
    stub("crash-in-build-mlp", "crash", "build_mlp segfaults when the grader calls it",
         answers={"build_mlp": "def build_mlp(hidden=(128, 64), num_outputs=10):\n    import ctypes\n"
                               "    return ctypes.string_at(0)"},
         phrases=["SIGSEGV|segmentation|ended"]),
]

_REFERENCE_TEXT = REFERENCE.read_bytes()
CORRUPT = [
    raw("corrupt-empty", "a 0-byte file", b"", phrases=["empty"]),
    raw("corrupt-truncated-json", "the reference notebook cut in half",
        _REFERENCE_TEXT[: len(_REFERENCE_TEXT) // 2], phrases=["JSON|not a notebook"]),
    raw("corrupt-json-list", "valid JSON, but a list", b"[1, 2, 3]", phrases=["not a notebook"]),
    raw("corrupt-nbformat3-garbage", "claims nbformat 3 and holds garbage",
        json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": "garbage", "metadata": 7}).encode(),
        phrases=["format|not a notebook"]),
    raw("corrupt-png", "a PNG image renamed .ipynb", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
        phrases=["cannot be read|not a notebook|utf"]),
]

FORK = [
    ref("fork-bomb-capped", "fork", "forks up to 2000 sleeping children within 15 s (capped, self-ending)",
        """
        import os, time
        children, start = [], time.monotonic()
        while len(children) < 2000 and time.monotonic() - start < 15:
            pid = os.fork()
            if pid == 0:
                time.sleep(20)
                os._exit(0)
            children.append(pid)
        """, phrases=["process limit|processes|BlockingIOError|fork"], sandbox_only=True),
]

# The judge owns every input and expected value: each forgery below got points when probes drew their own inputs or
# compared for the judge. Each pairs a wrong answer with a forgery that made it look right then; its twin
# (``TWINS``: the same wrong answer, no forgery) is graded in the same class, and no check may score above it.
FORGED_ANSWERS = {
    "zeroes-its-input": ("my_sequential", 3, """
        class MySequential(nn.Block):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
            def add(self, *blocks):
                for block in blocks:
                    self.register_child(block)
            def forward(self, x):
                x = x * 0  # wrong: the input never reaches the layers
                for block in self._children.values():
                    x = block(x)
                return x
        """),
    "mlp-zeroes-its-input": ("build_mlp", 2, """
        def build_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                net.add(nn.Lambda(lambda x: x * 0))  # wrong: the images never reach the layers
                for units in hidden:
                    net.add(nn.Dense(units, activation="relu"))
                net.add(nn.Dense(num_outputs))
            return net
        """),
    "relu-on-output": ("build_mlp", 2, """
        def build_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                for units in hidden:
                    net.add(nn.Dense(units, activation="relu"))
                net.add(nn.Dense(num_outputs, activation="relu"))  # wrong: raw scores have no ReLU
            return net
        """),
    "init-does-nothing": ("my_init", 3, """
        class MyInit(mx.init.Initializer):
            def _init_weight(self, name, arr):
                pass  # wrong: writes nothing
        """),
}


def forged(case_id, answer, description, cell):
    """The wrong ``answer`` (it loses its exercise's checks about its mistake: ``lost`` points, the forward checks
    or MyInit's) with the forgery ``cell``: the honest part earns exactly the rest."""
    exercise, lost, source = FORGED_ANSWERS[answer]
    case = ref(case_id, "forge", description, cell, answers={exercise: source})
    case.honest_max = FULL - lost
    return case


FORGE = [
    forged("forge-numpy-random-zeros", "zeroes-its-input", "numpy.random.RandomState patched so that the probe's "
           "own 'random' input is all zeros: a forward that zeroes its input looked right", """
        import numpy as np
        class _ZeroDraws(np.random.RandomState):
            def uniform(self, low=0.0, high=1.0, size=None):
                return np.zeros(size)
        np.random.RandomState = _ZeroDraws
        """),
    forged("forge-asnumpy-input-zeros", "mlp-zeroes-its-input", "NDArray.asnumpy lies: every image batch reads "
           "back as zeros, so the input the probe reported matched a net that zeroes its input", """
        from mxnet import nd
        _real_asnumpy = nd.NDArray.asnumpy
        def _asnumpy(self):
            value = _real_asnumpy(self)
            return value * 0 if value.ndim == 4 else value
        nd.NDArray.asnumpy = _asnumpy
        """),
    forged("forge-parameter-data-zeros", "relu-on-output", "gluon.Parameter.data patched to zeros: the reported "
           "parameters and the output agree (all zeros) whatever the net computes", """
        from mxnet import gluon
        _real_data = gluon.Parameter.data
        def _zero_data(self, ctx=None):
            return _real_data(self, ctx).zeros_like()
        gluon.Parameter.data = _zero_data
        """),
    forged("forge-asnumpy-claims-a-write", "init-does-nothing", "a do-nothing MyInit and an asnumpy that reports "
           "zeros for any array holding one value: the untouched array reads as written (zeros)", """
        import numpy as np
        from mxnet import nd
        _real_asnumpy = nd.NDArray.asnumpy
        def _asnumpy(self):
            value = _real_asnumpy(self)
            return np.zeros_like(value) if value.size and (value == value.flat[0]).all() else value
        nd.NDArray.asnumpy = _asnumpy
        """),
    ref("forge-save-and-load-shares-the-net", "forge", "save_and_load writes a file, but returns make_net()'s net "
        "with the passed net's layers put in it: nothing is loaded, yet it is 'the net make_net() returned'",
        answers={"save_and_load": """
        def save_and_load(net, make_net, path):
            open(path, "w").close()
            fresh = make_net()
            fresh._children = net._children
            fresh._reg_params = net._reg_params
            fresh.collect_params = net.collect_params
            fresh.forward = net.forward
            return fresh
        """}),
]

#: The forgeries' twins: the same wrong answers, without the forgery (graded in the same class).
TWINS: list[Hostile] = [
    Hostile(f"{case.case_id}-twin", "reference", "forge", f"{case.case_id} without its forgery", (),
            case.answers, case.honest_max)
    for case in FORGE if case.cells]

CORPUS: list[Hostile] = EXIT + LOOP + MEMORY + DISK + FLOOD + FAKE + REWRITE + EDIT + SECRETS + OTHERS + LEFTOVER \
    + NETWORK + FAKENET + CRASH + CORRUPT + FORK + FORGE


def by_id(case_id: str) -> Hostile:
    """The case called ``case_id``."""
    return next(case for case in CORPUS if case.case_id == case_id)
