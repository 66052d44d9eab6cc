# The two set-up commands of gluon-grader (see README.md):
#   make selfcheck  - install, then grade the reference solutions and print the score table
#   make test       - install, then run the kit's own test suite (what .ci/run calls)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The real MNIST files live beside the repo on every developer machine and in CI; override to use your own.
export GLUON_GRADER_MNIST ?= $(abspath $(CURDIR)/../shared/data/mnist)
# nbgrader runs `alembic` by name: the venv's bin/ must be on PATH.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install sandbox selfcheck test bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# bubblewrap sandboxes student code (Debian package `bubblewrap`); without it the kit falls back to plain
# processes and says so loudly. Installed with apt-get as root, or with sudo when that needs no password.
sandbox:
	@command -v bwrap >/dev/null || scripts/install_bubblewrap.sh

install: $(VENV)/.installed sandbox

selfcheck: install
	$(BIN)/python -m pytest autograder --assert=plain --submission solutions/plumbing/plumbing.ipynb

test: install
	$(BIN)/python -m pytest tests

bench: install
	$(BIN)/python benchmarks/selfcheck.py
	$(BIN)/python benchmarks/batch.py
	$(BIN)/python benchmarks/nbgrader_autograde.py
