# The two set-up commands of gluon-grader (see README.md):
#   make selfcheck  - install, then grade every unit's reference solutions and print the score tables
#   make test       - install, then run the kit's own test suite (what .ci/run calls, after make lint)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The real MNIST files live beside the repo on every developer machine and in CI; override to use your own.
export GLUON_GRADER_MNIST ?= $(abspath $(CURDIR)/../shared/data/mnist)
# nbgrader runs `alembic` by name: the venv's bin/ must be on PATH.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install sandbox browser selfcheck test lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# bubblewrap sandboxes student code (Debian package `bubblewrap`); without it the kit falls back to plain
# processes and says so loudly. Installed with apt-get as root, or with sudo when that needs no password.
sandbox:
	@command -v bwrap >/dev/null || scripts/install_bubblewrap.sh

# Headless Chromium (Debian package `chromium`) opens the class report in tests/test_report_browser.py; installed
# like bubblewrap, as root or with passwordless sudo; where it cannot be, that test is skipped and says why.
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
		{ if [ "$$(id -u)" = 0 ]; then apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; \
		  elif sudo -n true 2>/dev/null; then sudo apt-get install -y chromium || \
		  { sudo apt-get update && sudo apt-get install -y chromium; }; \
		  else echo "chromium not installed (needs root): the browser test of the class report will be skipped"; fi; } \
		|| echo "chromium could not be installed: the browser test of the class report will be skipped"

install: $(VENV)/.installed sandbox browser

selfcheck: install
	$(BIN)/python -m pytest autograder --assert=plain $(foreach notebook,$(sort $(wildcard solutions/*/*.ipynb)),--submission $(notebook))

test: install
	$(BIN)/python -m pytest tests

# ruff with the rules in pyproject.toml: imports, bugbear, bandit, simplify, ruff's own (stale noqa included).
lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python benchmarks/selfcheck.py
	$(BIN)/python benchmarks/batch.py
	$(BIN)/python benchmarks/nbgrader_autograde.py
