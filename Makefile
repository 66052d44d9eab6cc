# The two set-up commands of gluon-grader (see README.md):
#   make selfcheck  - install into .venv (and bubblewrap, the sandbox), then grade every unit's reference solutions
#   make test       - the same install plus headless Chromium (the browser tests), then the kit's own test suite
#                     (what .ci/run calls, after make lint)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# MNIST: the kit finds ../shared/data/mnist beside the course by itself (autograder/mnist.py); GLUON_GRADER_MNIST,
# when set, names another folder. Nothing is exported here, so the README's commands behave the same outside make.
# nbgrader runs `alembic` by name: the venv's bin/ must be on PATH.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install sandbox browser selfcheck test lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[course,cluster,dev]'
	touch $@

# bubblewrap sandboxes student code (Debian package `bubblewrap`); without it the kit falls back to plain
# processes and says so loudly. Installed with apt-get as root, or with sudo when that needs no password.
sandbox:
	@command -v bwrap >/dev/null || scripts/install_bubblewrap.sh

# Headless Chromium (Debian package `chromium`, with its ~100 dependencies) is for the tests only: it opens the class
# report and formgrader's pages (tests/test_report_browser.py, tests/test_readme.py). So `make test` installs it, as
# root or with passwordless sudo, never `make selfcheck`; where it cannot be installed, those tests are skipped and
# say why.
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
		{ if [ "$$(id -u)" = 0 ]; then apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; \
		  elif sudo -n true 2>/dev/null; then sudo apt-get install -y chromium || \
		  { sudo apt-get update && sudo apt-get install -y chromium; }; \
		  else echo "chromium not installed (needs root): the browser tests will be skipped"; fi; } \
		|| echo "chromium could not be installed: the browser tests will be skipped"

# bubblewrap is part of grading (the sandbox of every front end), so the main job installs it; the browser is not.
install: $(VENV)/.installed sandbox

selfcheck: install
	$(BIN)/python -m pytest autograder --assert=plain $(foreach notebook,$(sort $(wildcard solutions/*/*.ipynb)),--submission $(notebook))

test: install browser
	$(BIN)/python -m pytest tests

# ruff with the rules in pyproject.toml: imports, bugbear, bandit, simplify, ruff's own (stale noqa included).
lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python benchmarks/selfcheck.py
	$(BIN)/python benchmarks/batch.py
	$(BIN)/python benchmarks/nbgrader_autograde.py
