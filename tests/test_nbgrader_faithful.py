"""The sandboxed ``nbgrader autograde`` is faithful to stock nbgrader on notebooks nobody here wrote.

nbgrader's own autograde test notebooks (shipped in the installed package, ``nbgrader/tests/apps/files/``) are
the notebooks of one assignment, graded twice in the same test: by stock nbgrader (a Jupyter kernel per notebook,
nbgrader's own ``Execute``) and by the course's configuration (``SandboxedExecute``). Every cell of every student
must score the same in both gradebooks, and the scores nbgrader's own tests assert (``test_nbgrader_autograde.py``)
must hold. Besides: files a notebook writes land in ``autograded/``, a data file shipped with the assignment is
found, ``--no-execute`` keeps the submitted outputs, a notebook of an unknown kernel is refused as stock refuses it,
and the sandboxed worker ends with the run (and with nbgrader when it is killed).

A kit notebook (sandboxed course only) mixes the kit's ``check()`` cells with plain test cells: a ``check("id")``
in a comment is no check, a partial score printed as a value counts, a plain ``assert`` is nbgrader's to score.
"""
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import nbgrader
import pytest

from autograder.nbgrader.plan import kit_calls
from autograder.units import unit

ROOT = Path(__file__).resolve().parents[1]
FILES = Path(nbgrader.__file__).parent / "tests" / "apps" / "files"
COURSE_CONFIG = ROOT / "nbgrader_config.py"
pytestmark = pytest.mark.nbgrader

#: notebook of the assignment -> (its source in nbgrader's files, {student: the file handed in}); "release" is the
#: generated student version, handed in unchanged.
NOTEBOOKS = {
    "p_basic": ("submitted-unchanged.ipynb", {"foo": "submitted-unchanged.ipynb", "bar": "submitted-changed.ipynb",
                                              "spam": "submitted-cheat-attempt.ipynb",
                                              "eggs": "submitted-cheat-attempt-alternative.ipynb"}),
    "p_auto": ("autotest-multi.ipynb", {"foo": "autotest-multi-unchanged.ipynb",
                                        "bar": "autotest-multi-changed.ipynb"}),
    "p_hidden": ("test-hidden-tests.ipynb", {"foo": "release"}),
    "p_side": ("side-effects.ipynb", {"foo": "side-effects.ipynb"}),
    "p_relative": ("open_relative_file.ipynb", {"foo": "open_relative_file.ipynb"}),
    "p_timeout": ("timeout.ipynb", {"foo": "timeout.ipynb", "bar": "timeout.ipynb"}),
    "p_output": ("test.ipynb", {"bar": "test-with-output.ipynb"}),
}
#: What nbgrader's own tests assert for these notebooks (with ``Execute.timeout = 2`` for timeout.ipynb).
STOCK_SCORES = {("foo", "p_basic"): 1, ("bar", "p_basic"): 2, ("spam", "p_basic"): 1, ("eggs", "p_basic"): 1,
                ("foo", "p_auto"): 0, ("bar", "p_auto"): 3, ("foo", "p_hidden"): 1.5, ("foo", "p_timeout"): 0}
STUDENTS = ("foo", "bar", "spam", "eggs")
CELL_TIMEOUT = 2


def kit_notebook() -> nbformat.NotebookNode:
    """The reference count_parameters, a kit check cell, and plain test cells of every kind nbgrader scores."""
    solution = nbformat.read(ROOT / "solutions" / "plumbing" / "plumbing.ipynb", as_version=4)
    answer = next(cell for cell in solution.cells
                  if cell.metadata.get("nbgrader", {}).get("grade_id") == "count_parameters")
    check_id = next(check.id for check in unit("plumbing").checks if check.exercise == "count_parameters")
    nb = nbformat.v4.new_notebook(metadata={"gluon_grader": {"unit": "plumbing"}, "kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})

    def test(grade_id, source, points=1):
        return nbformat.v4.new_code_cell(source, metadata={"nbgrader": {
            "grade": True, "solution": False, "locked": True, "grade_id": grade_id, "points": points,
            "schema_version": 3}})

    nb.cells = [answer, nbformat.v4.new_code_cell('print("hello from the student")\n40 + 2'),
                test("kit", f'from autograder.nbgrader_cells import check\ncheck("{check_id}")'),
                test("comment", '# check("build_mlp.forward") is not called here\nprint("Success!")'),
                test("partial", "0.5", points=2),
                test("plain_fails", 'assert count_parameters(None) == 3, "nope"'),
                test("unknown_check", 'from autograder.nbgrader_cells import check\ncheck("no_such.check")')]
    return nb


KIT_SCORES = {"kit": 1, "comment": 1, "partial": 0.5, "plain_fails": 0, "unknown_check": 0}


def config(course: Path, stock: bool) -> None:
    """The course's own nbgrader configuration moved to ``course``; ``stock``: with nbgrader's own Execute."""
    text = ("c = get_config()\n"
            f"exec(compile(open({str(COURSE_CONFIG)!r}).read(), {str(COURSE_CONFIG)!r}, 'exec'),\n"
            f"     {{'get_config': get_config, '__file__': {str(COURSE_CONFIG)!r}, '__name__': 'course_config'}})\n"
            "c.CourseDirectory.source_directory = 'source'\n"
            "c.CourseDirectory.release_directory = 'release'\n"
            f"c.CourseDirectory.root = {str(course)!r}\n"
            f"c.CourseDirectory.db_url = {'sqlite:///' + str(course / 'gradebook.db')!r}\n"
            f"c.Execute.timeout = {CELL_TIMEOUT}\n"
            "c.ClearSolutions.code_stub = dict(python='# YOUR CODE HERE')\n")  # as nbgrader's hidden-tests test
    if stock:
        text += ("from nbgrader.converters import Autograde\n"
                 "c.Autograde.sanitize_preprocessors = "
                 "Autograde.class_traits()['sanitize_preprocessors'].default()\n"
                 "c.Autograde.autograde_preprocessors = "
                 "Autograde.class_traits()['autograde_preprocessors'].default()\n")
    (course / "nbgrader_config.py").write_text(text)


def environment(home: Path, **extra) -> dict:
    env = dict(os.environ, HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"), **extra)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("NBGRADER_DB_URL", None)
    return env


def nbgrader_run(course: Path, env: dict, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                          text=True, timeout=600)


def hand_in(course: Path, kit: bool) -> None:
    for name, (_, handed_in) in NOTEBOOKS.items():
        for student, file in handed_in.items():
            folder = course / "submitted" / student / "ps1"
            folder.mkdir(parents=True, exist_ok=True)
            source = course / "release" / "ps1" / f"{name}.ipynb" if file == "release" else FILES / file
            shutil.copy(source, folder / f"{name}.ipynb")
    # A notebook of a kernel nobody has (its source names no kernel, so nbgrader keeps the student's): refused.
    blarg = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "blarg", "language": "blarg",
                                                              "display_name": "blarg"}})
    (course / "submitted" / "carl" / "ps1").mkdir(parents=True)
    nbformat.write(blarg, course / "submitted" / "carl" / "ps1" / "p_kernel.ipynb")
    if kit:  # the release, answered with the reference solution
        released = nbformat.read(course / "release" / "ps1" / "p_kit.ipynb", as_version=4)
        released.cells[0].source = kit_notebook().cells[0].source
        nbformat.write(released, course / "submitted" / "foo" / "ps1" / "p_kit.ipynb")


def scores(course: Path) -> dict:
    """``{(student, notebook, cell): score}`` from the course's gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    found = {}
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gradebook:
        for student in STUDENTS:
            for notebook in gradebook.find_assignment("ps1").notebooks:
                try:
                    graded = gradebook.find_submission_notebook(notebook.name, "ps1", student)
                except MissingEntry:
                    continue
                found.update({(student, notebook.name, grade.name): grade.score for grade in graded.grades})
    return found


@pytest.fixture(scope="module")
def courses(tmp_path_factory):
    base = tmp_path_factory.mktemp("faithful")
    sandboxed, stock, home = base / "sandboxed", base / "stock", base / "home"
    for folder in (sandboxed, home):
        folder.mkdir()
    (sandboxed / "source" / "ps1").mkdir(parents=True)
    for name, (source, _) in NOTEBOOKS.items():
        shutil.copy(FILES / source, sandboxed / "source" / "ps1" / f"{name}.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), sandboxed / "source" / "ps1" / "p_kernel.ipynb")
    nbformat.write(kit_notebook(), sandboxed / "source" / "ps1" / "p_kit.ipynb")
    shutil.copy(FILES / "data.txt", sandboxed / "source" / "ps1" / "data.txt")
    shutil.copy(FILES / "autotests.yml", sandboxed / "autotests.yml")
    config(sandboxed, stock=False)
    mark = uuid.uuid4().hex
    env = environment(home, GLUON_GRADER_TEST_MARK=mark)
    generated = nbgrader_run(sandboxed, env, "generate_assignment", "ps1", "--force")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    shutil.copytree(sandboxed, stock)
    config(stock, stock=True)
    hand_in(sandboxed, kit=True)
    hand_in(stock, kit=False)

    started = time.monotonic()
    ran = {"sandboxed": nbgrader_run(sandboxed, env, "autograde", "ps1", "--log-level=DEBUG")}
    seconds = {"sandboxed": time.monotonic() - started}
    left = marked_processes(mark)
    started = time.monotonic()
    ran["stock"] = nbgrader_run(stock, env, "autograde", "ps1")
    seconds["stock"] = time.monotonic() - started
    print(f"autograde of {sum(len(h) for _, h in NOTEBOOKS.values()) + 2} notebooks: sandboxed "
          f"{seconds['sandboxed']:.1f} s, stock {seconds['stock']:.1f} s")
    return {"sandboxed": sandboxed, "stock": stock, "env": env, "ran": ran, "left": left, "mark": mark}


def marked_processes(mark: str, command: str = "") -> list[int]:
    """Live processes started by this test's nbgrader runs (their environment carries ``mark``), with ``command``
    in their command line."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and mark.encode() in (entry / "environ").read_bytes() and command.encode() in (
                    entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_every_cell_scores_as_in_stock_nbgrader(courses):
    sandboxed, stock = scores(courses["sandboxed"]), scores(courses["stock"])
    kit = {key: value for key, value in sandboxed.items() if key[:2] == ("foo", "p_kit")}
    sandboxed = {key: value for key, value in sandboxed.items() if key[1] != "p_kit"}
    stock = {key: value for key, value in stock.items() if key[1] != "p_kit"}
    assert len(stock) > 30 and sandboxed == stock
    totals = {}
    for (student, notebook, _), score in stock.items():
        totals[student, notebook] = totals.get((student, notebook), 0) + (score or 0)
    assert {key: totals[key] for key in STOCK_SCORES} == STOCK_SCORES
    assert {cell: score for (_, _, cell), score in kit.items()} == KIT_SCORES


def test_a_kernel_nobody_has_is_refused_as_stock_refuses_it(courses):
    for name in ("sandboxed", "stock"):
        run = courses["ran"][name]
        assert run.returncode == 1, (name, run.stdout + run.stderr)
        assert "No such kernel named blarg" in run.stdout + run.stderr, name
        assert not (courses[name] / "autograded" / "carl" / "ps1").exists(), name
        assert (courses[name] / "autograded" / "foo" / "ps1" / "p_basic.ipynb").exists(), name


def test_files_written_land_in_autograded_and_data_files_are_found(courses):
    for name in ("sandboxed", "stock"):
        course = courses[name]
        assert (course / "autograded" / "foo" / "ps1" / "side-effect.txt").read_text() == "a side effect", name
        assert not (course / "submitted" / "foo" / "ps1" / "side-effect.txt").exists(), name
        assert (course / "autograded" / "foo" / "ps1" / "data.txt").exists(), name


def outputs(path: Path) -> list:
    return [(cell.get("execution_count"), cell.outputs) for cell in nbformat.read(path, as_version=4).cells
            if cell.cell_type == "code"]


def plain(outputs_: list) -> list:
    """What the autograded notebook shows, without what differs between runs (tracebacks' colours and paths)."""
    return [[(output.output_type, output.get("name"), output.get("text"), output.get("ename"),
              (output.get("data") or {}).get("text/plain")) for output in cell_outputs]
            for _, cell_outputs in outputs_]


def test_outputs_are_written_back_as_nbgrader_writes_them(courses):
    for notebook in ("p_output", "p_basic", "p_hidden"):
        student = "bar" if notebook == "p_output" else "foo"
        shown = {name: outputs(courses[name] / "autograded" / student / "ps1" / f"{notebook}.ipynb")
                 for name in ("sandboxed", "stock")}
        assert plain(shown["sandboxed"]) == plain(shown["stock"]), notebook
        assert [count for count, _ in shown["sandboxed"]] == [count for count, _ in shown["stock"]], notebook
    timed_out = outputs(courses["sandboxed"] / "autograded" / "foo" / "ps1" / "p_timeout.ipynb")[1][1]
    assert [(output.output_type, output.get("ename")) for output in timed_out] == [("error", "CellTimeoutError")]
    kit = outputs(courses["sandboxed"] / "autograded" / "foo" / "ps1" / "p_kit.ipynb")
    assert plain([kit[1]]) == [[("stream", "stdout", "hello from the student\n", None, None),
                                ("execute_result", None, None, None, "42")]]
    assert kit[2][1][0].text.startswith("passed: ")


def test_no_execute_keeps_the_submitted_outputs(courses):
    run = nbgrader_run(courses["sandboxed"], courses["env"], "autograde", "ps1", "--force", "--no-execute",
                       "--student", "bar")
    assert run.returncode == 0, run.stdout + run.stderr
    submitted = outputs(FILES / "test-with-output.ipynb")
    assert outputs(courses["sandboxed"] / "autograded" / "bar" / "ps1" / "p_output.ipynb") == submitted


def test_the_worker_ends_with_the_run(courses):
    assert courses["left"] == []


def graded_where(log: str) -> dict:
    """``{(student, notebook): "ahead" | "again" | "now"}`` from a sandboxed autograde's debug log: graded ahead by
    the judges, graded again because what nbgrader handed the step differed, or graded when asked (the first)."""
    found, current = {}, None
    for line in log.splitlines():
        if "] Autograding " in line:
            path = Path(line.split("] Autograding ", 1)[1].strip())
            current = (path.parts[-3], path.stem)
            found[current] = "now"
        elif current and "] Graded ahead: " in line:
            found[current] = "ahead"
        elif current and "] Graded again " in line:
            found[current] = "again"
    return found


def test_notebooks_are_graded_ahead_from_what_nbgrader_hands_the_step(courses):
    # Scores equal to stock's (above) are what the notebooks graded ahead earned. Each was sanitized by the judges
    # with nbgrader's own preprocessors and used only because nbgrader then handed the step the very same notebook
    # and files; foo's p_timeout was graded again: foo's p_side, autograded just before it, wrote side-effect.txt
    # into foo's autograded folder, so p_timeout no longer runs beside the same files as it was graded ahead with.
    run = courses["ran"]["sandboxed"]
    where = graded_where(run.stdout + run.stderr)
    assert where[("foo", "p_timeout")] == "again", where
    assert where[("foo", "p_side")] == "ahead", where
    first = next(iter(where))
    assert where[first] == "now" and sum(how == "ahead" for how in where.values()) == len(where) - 3, where


def test_a_submission_nbgrader_will_skip_is_not_graded_ahead(courses):
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    from autograder.nbgrader.pool import ahead_of

    course = courses["sandboxed"]

    def upcoming(force: bool, student: str = "*") -> list:
        coursedir = CourseDirectory(root=str(course), assignment_id="ps1", student_id=student)
        converter = Autograde(coursedir=coursedir, force=force)
        converter.init_notebooks()
        ahead, sanitizing = ahead_of(converter, ("bar", "ps1", "p_auto"), "skip-execution")
        assert sanitizing is not None
        return [one.identity for one in ahead]

    # Every student was autograded above, but carl (refused, so removed): without --force, nbgrader skips the others
    # after the one it is on (bar).
    assert upcoming(force=False) == [("bar", "ps1", notebook) for notebook in ("p_basic", "p_output", "p_timeout")
                                     ] + [("carl", "ps1", "p_kernel")]
    everyone = upcoming(force=True)
    assert everyone[:4] == upcoming(force=False) and ("spam", "ps1", "p_basic") in everyone
    assert len(everyone) == sum(len(handed_in) for _, handed_in in NOTEBOOKS.values()) + 2 - 1  # carl, kit; not bar's
    assert upcoming(force=True, student="foo") == []  # nbgrader is not on foo: nothing it will hand the step


def judges(nbgrader: int) -> list[int]:
    """The judge processes of the nbgrader process ``nbgrader``: its children forked from it (its command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == nbgrader \
                    and b"nbgrader" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def test_a_judge_killed_mid_run_costs_nothing(courses):
    # foo's seven notebooks (one sleeps past its 2 s cell limit); one judge is killed while the run is going: what
    # it held is graded again by the judge that takes its place, and every cell scores as in the clean run.
    before = {key: value for key, value in scores(courses["sandboxed"]).items() if key[0] == "foo"}
    process = subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", "ps1", "--force", "--student", "foo"],
                               cwd=courses["sandboxed"], env=courses["env"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while not marked_processes(courses["mark"], "autograder.runner.zygote") and time.monotonic() < deadline:
        time.sleep(0.2)
    killed = judges(process.pid)
    assert killed, "no judge process started"
    os.kill(killed[0], signal.SIGKILL)
    log, _ = process.communicate(timeout=300)
    assert process.returncode == 0, log
    after = {key: value for key, value in scores(courses["sandboxed"]).items() if key[0] == "foo"}
    assert after == before and len(after) > 10
    assert marked_processes(courses["mark"]) == []


@pytest.mark.parametrize("isolation", ["bubblewrap", "none"])
def test_the_worker_ends_with_nbgrader_killed(courses, isolation):
    env = dict(courses["env"], **({"GLUON_GRADER_SANDBOX": "none"} if isolation == "none" else {}))
    # timeout.ipynb sleeps 5 s in a cell: long enough to kill nbgrader while the worker runs it.
    process = subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", "ps1", "--force", "--student", "foo",
                                "--Execute.timeout=60"], cwd=courses["sandboxed"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not marked_processes(courses["mark"], "autograder.runner.zygote") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marked_processes(courses["mark"], "autograder.runner.zygote"), "the worker never started"
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while marked_processes(courses["mark"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marked_processes(courses["mark"]) == []


@pytest.mark.parametrize("source, calls", [
    ('from autograder.nbgrader_cells import check\ncheck("a.b")', [("check", "a.b")]),
    ('check("a.b", "a.c")\ncheck_hidden("h.x")', [("check", "a.b"), ("check", "a.c"), ("check_hidden", "h.x")]),
    ('import autograder.nbgrader_cells as cells\ncells.check("a.b")', [("check", "a.b")]),
    ('# check("a.b")\nprint("Success!")', []),
    ('print("check(\'a.b\')")', []),
    ("def check(x):\n    assert x\ncheck(answer)", []),
    ('check("a.b"', []),
    ("assert squares(1) == [1]", []),
])
def test_kit_calls_are_found_by_parsing(source, calls):
    assert kit_calls(source) == calls


def graded_cell(source: str, **meta) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": {"grade": True, "solution": False, "locked": True,
                                                                    "grade_id": "t", "points": 1}, **meta})


def solution_cell(source: str, **meta) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": {"grade": False, "solution": True, "locked": False,
                                                                    "grade_id": "s"}, **meta})


def locked_cell(source: str, **meta) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": {"grade": False, "solution": False, "locked": True,
                                                                    "grade_id": "l"}, **meta})


def plain_cell(source: str, **meta) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source, metadata=meta)


def shown(cell) -> list:
    return [(o.output_type, o.get("name") or o.get("ename"), o.get("text") or (o.get("data") or {}).get("text/plain"))
            for o in cell.outputs]


#: (Execute settings, cells, what each cell shows afterwards, or the exception the notebook fails with). Every case
#: has a 1 s cell limit unless it says otherwise (cases of the same settings share one warm worker).
EXECUTE_CASES = {
    "outputs": ({}, [plain_cell('import sys\nprint("out")\nprint("err", file=sys.stderr)\n[1, 2]'),
                     plain_cell("from IPython.display import display\ndisplay(3)"), plain_cell("   \n"),
                     plain_cell("1 / 0"), graded_cell("x = 1\nx")],
                [[("stream", "stdout", "out\n"), ("stream", "stderr", "err\n"), ("execute_result", None, "[1, 2]")],
                 [("stream", "stdout", "3\n")], [], [("error", "ZeroDivisionError", None)],
                 [("execute_result", None, "1")]]),
    "time-out": ({}, [plain_cell("import time\ntime.sleep(3)"), plain_cell("'after'")],
                 [[("error", "CellTimeoutError", None)], [("execute_result", None, "'after'")]]),
    "no limit per cell": ({"timeout": None}, [plain_cell("import time\ntime.sleep(1.5)\n'slept'")],
                          [[("execute_result", None, "'slept'")]]),
    "time-out stops": ({"interrupt_on_timeout": False}, [plain_cell("while True:\n    pass")],
                       "CellTimeoutError"),
    "errors not allowed": ({"allow_errors": False}, [plain_cell("1 / 0")], "CellExecutionError"),
    "allowed by tag": ({"allow_errors": False}, [plain_cell("1 / 0", tags=["raises-exception"])],
                       [[("error", "ZeroDivisionError", None)]]),
    "skipped by tag": ({}, [plain_cell("print('no')", tags=["skip-execution"])], [[]]),
    # Tags are the student's to set on their own cells; on a cell nbgrader restores (a test cell, a locked cell)
    # they change nothing: a skipped test cell would have no outputs, which nbgrader scores as passed.
    "a solution cell skipped by tag": ({}, [solution_cell("print('no')", tags=["skip-execution"])], [[]]),
    "a test cell's skip tag ignored": ({}, [graded_cell("print('ran')\n1 / 0", tags=["skip-execution"])],
                                       [[("stream", "stdout", "ran\n"), ("error", "ZeroDivisionError", None)]]),
    "a locked cell's skip tag ignored": ({}, [locked_cell("print('ran')", tags=["skip-execution", "x"])],
                                         [[("stream", "stdout", "ran\n")]]),
    "a test cell's raises-exception ignored": ({"allow_errors": False},
                                               [graded_cell("1 / 0", tags=["raises-exception"])], "CellExecutionError"),
    "a solution cell's raises-exception honoured": ({"allow_errors": False},
                                                    [solution_cell("1 / 0", tags=["raises-exception"])],
                                                    [[("error", "ZeroDivisionError", None)]]),
    "a notebook that exits": ({}, [plain_cell("import os\nos._exit(3)"), graded_cell("1")],
                              [[("error", "NotebookStopped", None)], [("error", "NotebookStopped", None)]]),
}


@pytest.fixture(scope="module", autouse=True)
def close_workers():
    """The judge processes the in-process cases started end with this module (nbgrader's end with its process)."""
    yield
    from autograder.nbgrader import execute as nbgrader_sandbox

    for pool in nbgrader_sandbox._pools.values():
        pool.close()
    nbgrader_sandbox._pools.clear()


@pytest.mark.parametrize("case", EXECUTE_CASES)
def test_execute_settings_are_honoured(case, tmp_path):
    from autograder.nbgrader.execute import SandboxedExecute

    settings, cells, expected = EXECUTE_CASES[case]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                        "display_name": "Python 3"}})
    execute = SandboxedExecute(**{"timeout": 1, **settings})
    resources = {"metadata": {"path": str(tmp_path)}, "nbgrader": {"notebook": "case"}}
    if isinstance(expected, str):
        with pytest.raises(Exception) as raised:
            execute.preprocess(nb, resources)
        assert type(raised.value).__name__ == expected
        return
    execute.preprocess(nb, resources)
    assert [[(kind, name, text) for kind, name, text in shown(cell)] for cell in nb.cells] == [
        [(kind, name, text if text is not None else shown_text) for (kind, name, text), (_, _, shown_text)
         in zip(want, shown(cell), strict=True)] for want, cell in zip(expected, nb.cells, strict=True)]


@pytest.mark.parametrize("kernelspec, message", [
    ({"name": "blarg", "language": "blarg"}, "No such kernel named blarg"),
    ({"name": "python", "language": "python"}, None),  # jupyter_client's own alias of python3
])
def test_kernels_stock_nbgrader_cannot_run_are_refused(kernelspec, message, tmp_path):
    from autograder.nbgrader.execute import SandboxedExecute

    nb = nbformat.v4.new_notebook(cells=[plain_cell("1")], metadata={"kernelspec": {**kernelspec, "display_name": "k"}})
    resources = {"metadata": {"path": str(tmp_path)}, "nbgrader": {"notebook": "k"}}
    if message is None:
        SandboxedExecute(timeout=1).preprocess(nb, resources)
        assert shown(nb.cells[0]) == [("execute_result", None, "1")]
    else:
        with pytest.raises(Exception, match=message):
            SandboxedExecute(timeout=1).preprocess(nb, resources)
