# Borrowing Strength: set-up, book and tests.
#   make book   build the course website into _build/html
#   make test   lint, unit tests, execute every chapter, build the book with warnings as errors
SHELL := /bin/bash
.DEFAULT_GOAL := book

VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
# The first Python >= 3.12 found; .python-version asks pyenv for 3.13.
PYTHON    ?= $(shell for p in python3.13 python3.12 python3; do \
               command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
               && { command -v $$p; break; }; done)
CHAPTERS  := $(sort $(wildcard book/[0-9]*.ipynb))
JB_FLAGS  := -W -n --keep-going

.PHONY: book test lint unit notebooks build-strict lock clean help

help:
	@sed -n '2,4p' Makefile

$(STAMP): requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (3.13 recommended): install it, e.g. 'pyenv install 3.13', and run make again." >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

book: $(STAMP)
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "Open $(CURDIR)/_build/html/index.html in a browser."

lint: $(STAMP)
	$(BIN)/ruff check helpers tests book
	$(BIN)/ruff format --check helpers tests book

unit: $(STAMP)
	$(BIN)/python -m pytest tests

notebooks: $(STAMP)
	$(BIN)/python -m pytest --nbmake --nbmake-timeout=300 $(CHAPTERS)

build-strict: book

test: lint unit notebooks build-strict

# Re-resolve every dependency from pyproject.toml and write the lock file.
lock:
	rm -rf /tmp/bs-lock-venv
	$(PYTHON) -m venv /tmp/bs-lock-venv
	/tmp/bs-lock-venv/bin/python -m pip install --quiet --upgrade pip
	/tmp/bs-lock-venv/bin/python -m pip install --quiet setuptools ".[dev]"
	{ echo "# Exact versions of every package the course installs (Python 3.13, Linux)."; \
	  echo "# Regenerate with 'make lock'; every install (make, CI, Binder, Colab) uses this file."; \
	  /tmp/bs-lock-venv/bin/python -m pip freeze --all --exclude-editable \
	    | grep -viE '^(pip|borrowing-strength)( @|==)'; } > requirements.lock
	$(PYTHON) .ci/sync_environment.py

clean:
	rm -rf _build
