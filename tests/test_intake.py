"""The intake in this process, one case of the corpus at a time (tests/intake_corpus.py): each refused file gets its
one reason, each good one is read with its unit, nothing hangs, nothing is written."""
from __future__ import annotations

import json
import os
import time

import pytest
from intake_corpus import CASES, OTHER_UNIT, RELEASE, class_folder

from autograder import intake
from autograder.units import UnknownUnit, unit


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return class_folder(tmp_path_factory.mktemp("class"))


@pytest.mark.parametrize("case", CASES, ids=[case.student for case in CASES])
def test_every_case_is_read_or_refused_with_its_reason(case, folder):
    before = sorted(path.name for path in folder.iterdir())
    started = time.monotonic()
    taken = intake.take(folder / case.name, folder=folder, unit_name="plumbing")
    assert time.monotonic() - started < 10
    if case.reason is None:
        assert isinstance(taken, intake.Notebook), taken
        assert taken.unit.name == "plumbing"
        document = json.loads(taken.data)
        assert document["nbformat"] == 4
        assert all(cell.get("outputs", []) == [] for cell in document["cells"])  # outputs are never graded
    else:
        assert isinstance(taken, intake.Unreadable), taken
        assert case.reason in taken.reason
        assert taken.reason.startswith(f"`{case.name}`")
        assert "Traceback" not in taken.reason and str(folder) not in taken.reason
        assert taken.unit is not None and taken.unit.name == "plumbing"
    assert sorted(path.name for path in folder.iterdir()) == before


@pytest.mark.parametrize("metadata, folder_name, expected", [
    ({"gluon_grader": {"unit": "custom_layers"}}, "anything", "custom_layers"),  # metadata first
    ({}, "hybridize_serialize", "hybridize_serialize"),  # then a folder named after a unit
    ({}, "anything", "plumbing"),  # then the exercises it defines (the release's stubs)
])
def test_the_unit_is_found_from_metadata_then_folder_then_exercises(tmp_path, metadata, folder_name, expected):
    document = json.loads(RELEASE.read_text())
    document["metadata"] = metadata
    (tmp_path / folder_name).mkdir()
    path = tmp_path / folder_name / "mine.ipynb"
    path.write_text(json.dumps(document))
    taken = intake.take(path, folder=tmp_path)
    assert isinstance(taken, intake.Notebook) and taken.unit.name == expected


def test_a_notebook_of_no_unit_says_so_and_how_to_name_one(tmp_path):
    path = tmp_path / "scratch.ipynb"
    path.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    taken = intake.take(path)
    assert isinstance(taken, intake.Unreadable) and taken.unit is None
    assert "does not say which unit" in taken.reason and "--unit" in taken.reason


def test_the_wrong_units_notebook_is_named_without_a_unit_named_it_is_graded_as_its_own(tmp_path):
    taken = intake.take(OTHER_UNIT)
    assert isinstance(taken, intake.Notebook) and taken.unit.name == "custom_layers"
    refused = intake.take(OTHER_UNIT, unit_name="plumbing")
    assert isinstance(refused, intake.Unreadable)
    assert "unit custom_layers (Custom layers" in refused.reason and "hand in your plumbing notebook" in refused.reason


def test_a_link_inside_the_class_folder_is_read(tmp_path):
    (tmp_path / "real.ipynb").write_bytes(RELEASE.read_bytes())
    (tmp_path / "alias.ipynb").symlink_to(tmp_path / "real.ipynb")
    assert isinstance(intake.take(tmp_path / "alias.ipynb", folder=tmp_path), intake.Notebook)


def test_bytes_already_read_go_through_the_same_checks():
    taken = intake.take(data=RELEASE.read_bytes()[:100], name="plumbing.ipynb", unit_name="plumbing")
    assert isinstance(taken, intake.Unreadable) and "looks cut short" in taken.reason
    assert isinstance(intake.take(data=RELEASE.read_bytes(), name="plumbing.ipynb"), intake.Notebook)


def test_a_unit_no_unit_has_is_the_callers_mistake():
    with pytest.raises(UnknownUnit):
        intake.take(RELEASE, unit_name="nonsense")
    assert unit("plumbing").title in intake.take(RELEASE).unit.title


def test_a_folder_of_two_units_notebooks_is_graded_per_notebook(tmp_path):
    from autograder.batch.submissions import discover, read_submission, unit_of_submissions

    (tmp_path / "ann.ipynb").write_bytes(RELEASE.read_bytes())
    (tmp_path / "bob.ipynb").write_bytes(OTHER_UNIT.read_bytes())
    (tmp_path / "empty.ipynb").touch()
    assert unit_of_submissions(tmp_path) is None  # no one unit for the class: each notebook says its own
    read = {one.student: read_submission(one, None) for one in discover(tmp_path, None)}
    assert read["ann"].unit.name == "plumbing" and read["bob"].unit.name == "custom_layers"
    assert isinstance(read["empty"], intake.Unreadable) and "is empty" in read["empty"].reason
    assert unit_of_submissions(tmp_path, "plumbing").name == "plumbing"
    named = {one.student: read_submission(one, unit("plumbing")) for one in discover(tmp_path, "plumbing")}
    assert "notebook of unit custom_layers" in named["bob"].reason  # with --unit, the wrong unit's is named


def test_links_pipes_and_folders_named_ipynb_do_not_vanish_from_the_class(tmp_path):
    from autograder.batch.submissions import discover

    (tmp_path / "ann.ipynb").write_bytes(RELEASE.read_bytes())
    (tmp_path / "sneaky.ipynb").symlink_to(RELEASE)
    (tmp_path / "broken.ipynb").symlink_to(tmp_path / "nowhere")
    (tmp_path / "folder.ipynb").mkdir()
    os.mkfifo(tmp_path / "pipe.ipynb")
    assert [one.student for one in discover(tmp_path, "plumbing")] == ["ann", "broken", "folder", "pipe", "sneaky"]
