"""The corpus of files students really hand in that are not plain notebooks, for the intake's tests.

Each case writes one entry into a class folder (a file, a folder, a link, a pipe) and says what every front end must
answer: a reason (the words it must contain), or graded normally (``reason`` None) with the points it earns.
The 50 MB notebook is made at test time, never committed.
"""
from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "assignments" / "plumbing" / "plumbing.ipynb"
REFERENCE = ROOT / "solutions" / "plumbing" / "plumbing.ipynb"
OTHER_UNIT = ROOT / "assignments" / "custom_layers" / "custom_layers.ipynb"


@dataclass(frozen=True)
class Case:
    """One entry of the class folder: its name, how to make it, and what every front end must say."""

    name: str
    make: Callable[[Path], None]
    reason: str | None  # words the one message must contain; None: graded normally
    full_marks: bool = False  # graded normally with every point (else: 0 points, the release's stubs)

    @property
    def student(self) -> str:
        return self.name.removesuffix(".ipynb")


def release() -> dict:
    return json.loads(RELEASE.read_text())


def written(document: dict) -> Callable[[Path], None]:
    return lambda path: path.write_text(json.dumps(document))


def with_blob(path: Path, megabytes: int = 50) -> None:
    """The release with one code cell's output holding ``megabytes`` of text (a printed array, an image)."""
    document = release()
    code = next(cell for cell in document["cells"] if cell["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x" * (megabytes * 2**20)}]
    path.write_text(json.dumps(document))


def without_source(path: Path) -> None:
    document = release()
    del next(cell for cell in document["cells"] if cell["cell_type"] == "code")["source"]
    path.write_text(json.dumps(document))


def unknown_cell(path: Path) -> None:
    document = release()
    document["cells"][2]["cell_type"] = "sql"
    path.write_text(json.dumps(document))


def zipped(path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(RELEASE, "plumbing.ipynb")
    path.write_bytes(buffer.getvalue())


def not_utf8(path: Path) -> None:
    path.write_bytes(RELEASE.read_bytes().replace(b"This unit opens", "Cette unit\u00e9 ouvre".encode("latin-1"), 1))


def old_format(path: Path) -> None:
    import nbformat

    path.write_text(nbformat.writes(nbformat.convert(nbformat.read(RELEASE, as_version=4), 3), version=3))


def too_large_code(path: Path) -> None:
    document = release()
    document["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                              "source": "data = '" + "y" * (21 * 2**20) + "'\n"})
    path.write_text(json.dumps(document))


def link_to(target: Path) -> Callable[[Path], None]:
    return lambda path: path.symlink_to(target)


def copy_of(source: Path) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(source.read_bytes())


CASES = [
    Case("control.ipynb", copy_of(REFERENCE), None, full_marks=True),
    Case("big_output.ipynb", with_blob, None),
    Case("old_format.ipynb", old_format, None),  # read as nbformat upgrades it: the release's stubs, 0
    Case("truncated.ipynb", lambda path: path.write_bytes(RELEASE.read_bytes()[:5000]), "looks cut short"),
    Case("empty.ipynb", lambda path: path.write_bytes(b""), "is empty"),
    Case("blank.ipynb", lambda path: path.write_bytes(b"  \n"), "is empty"),
    Case("latin1.ipynb", not_utf8, "not UTF-8"),
    Case("zipped.ipynb", zipped, "a zip archive"),
    Case("folder.ipynb", lambda path: path.mkdir(), "is a folder"),
    Case("nosource.ipynb", without_source, "has no `source`"),
    Case("unknown_cell.ipynb", unknown_cell, "unknown cell type ('sql')"),
    Case("wrong_unit.ipynb", copy_of(OTHER_UNIT), "notebook of unit custom_layers"),
    Case("sneaky.ipynb", link_to(REFERENCE), "link to a file outside"),
    Case("pipe.ipynb", lambda path: os.mkfifo(path), "a named pipe"),
    Case("zero.ipynb", link_to(Path("/dev/zero")), "link to a file outside"),
    Case("not_json.ipynb", lambda path: path.write_text("print('hello')\n"), "not valid JSON (line 1"),
    Case("list.ipynb", lambda path: path.write_text("[1, 2]"), "not a notebook's"),
    Case("huge_code.ipynb", too_large_code, "without its outputs, larger than the 20 MB"),
]


def class_folder(folder: Path, cases=CASES) -> Path:
    """Write every case into ``folder`` (made), one entry per student."""
    folder.mkdir(parents=True, exist_ok=True)
    for case in cases:
        case.make(folder / case.name)
    return folder
