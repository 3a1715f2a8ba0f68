# Borrowing Strength: set-up, book and tests. `make help` lists the targets,
# from the `## ...` comment on each target's line.
SHELL := /bin/bash
.DEFAULT_GOAL := book

VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
# The installer of the lock: uv (pinned here, installed by pip into the venv)
# installs exactly the pins of requirements.lock, in parallel, about 4 x faster
# than pip. Bytecode is not compiled at install time (for the whole lock, 11,000
# modules, that is about 55 s of CPU): Python writes the .pyc of a module the
# first time a command run by make imports it, even where PYTHONDONTWRITEBYTECODE
# is set in the shell (unexported below; with no .pyc at all every import
# would compile its modules again: T_import 10 s instead of 3 s). The set-up's
# last step imports what T_import, a chapter's kernel and a grading import
# (about 3,000 modules, 15 s of CPU once): graders run with
# PYTHONDONTWRITEBYTECODE on a read-only site-packages and would compile what
# is missing again for every submission, and no measurement should include
# that one-off compilation.
UV        := uv==0.13.9
unexport PYTHONDONTWRITEBYTECODE
# Two halves of about equal work, imported by two processes at once (10 s, not 13 s).
WARM_IMPORTS := pymc, nutpie, arviz, helpers.exact, helpers.models
WARM_IMPORTS_TOO := matplotlib.pyplot, pandas, scipy.stats, statsmodels.api, helpers.classical, \
                    ipykernel.ipkernel, ipykernel.debugger, ipykernel_launcher, requests, \
                    otter.run.run_autograder.runners.python_runner
# The first Python >= 3.12 found; .python-version asks pyenv for 3.13.
PYTHON    ?= $(shell for p in python3.13 python3.12 python3; do \
               command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
               && { command -v $$p; break; }; done)
CHAPTERS  := $(sort $(wildcard book/[0-9]*.ipynb))
ASSIGNMENTS := $(sort $(wildcard assignments/[0-9]*.ipynb))
ASSIGNMENTS_BUILT := _build/assignments/timing.json
JB_FLAGS  := -W -n --keep-going
HELPERS_SRC := $(shell find helpers -type f -not -path '*/__pycache__/*')
# MathJax, installed from npm (exact version in tools/mathjax/package-lock.json)
# and served by the site itself: see html_extra_path in _config.yml.
MATHJAX_NPM := tools/mathjax
# The throw-away environment `make lock` resolves in.
LOCK_VENV   ?= /tmp/bs-lock-venv
MATHJAX     := _build/extra/_static/mathjax/tex-mml-chtml.js
# axe-core (exact version in tools/axe/package-lock.json): the site tests inject
# it into every page for the WCAG 2.1 A/AA audit; it is not part of the site.
AXE_NPM     := tools/axe
AXE         := $(AXE_NPM)/node_modules/axe-core/axe.min.js

.PHONY: book student bench test lint unit notebooks check-site colab-cell lock clean help \
        release pin assignments grade test-assignments publish-notebooks binder-check colab-check

help: ## list the targets and what they do
	@awk -F ':.*## ' '/^[a-z][a-z-]*:.*## / {printf "  make %-16s %s\n", $$1, $$2}' $(firstword $(MAKEFILE_LIST))

$(STAMP): requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (3.13 recommended): install it, e.g. 'pyenv install 3.13', and run make again." >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(UV)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	export PYDEVD_DISABLE_FILE_VALIDATION=1; $(BIN)/python -c "import $(WARM_IMPORTS)" & first=$$!; \
	  $(BIN)/python -c "import $(WARM_IMPORTS_TOO)" && wait $$first
	@touch $@

$(MATHJAX): $(MATHJAX_NPM)/package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js) is needed to install MathJax, e.g. apt-get install -y nodejs npm" >&2; exit 1; }
	npm ci --prefix $(MATHJAX_NPM) --no-audit --no-fund --loglevel=error
	rm -rf $(@D) && mkdir -p $(@D)
	cd $(MATHJAX_NPM)/node_modules/mathjax/es5 && cp -r tex-mml-chtml.js input output ui a11y sre adaptors $(CURDIR)/$(@D)/

$(AXE): $(AXE_NPM)/package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js) is needed to install axe-core, e.g. apt-get install -y nodejs npm" >&2; exit 1; }
	npm ci --prefix $(AXE_NPM) --no-audit --no-fund --loglevel=error
	@touch $@

# Every chapter is executed once per build, by nbmake under pytest (the test
# verdict); the same execution is measured (tools/bench.py: time, memory,
# import/compile/sample shares, T_import of this run) and fills the book's
# execution cache, so the book build does not execute it again. Only chapters
# that changed run again, or all of them when helpers, tools or the
# environment changed.
NBMAKE    := $(BIN)/python -m pytest -p tools.nbmake_bench --nbmake --nbmake-timeout=300 -p no:cacheprovider
EXECUTED  := _build/bench/.executed
# The chapters draw their models with pm.model_to_graphviz, which runs Graphviz's dot.
NEED_DOT  := @command -v dot >/dev/null || { echo "Graphviz's dot is needed to draw the chapters' models, e.g. apt-get install -y graphviz" >&2; exit 1; }
$(EXECUTED): $(CHAPTERS) $(HELPERS_SRC) tools/bench.py tools/nbmake_bench.py _config.yml $(STAMP)
	$(NEED_DOT)
	@mkdir -p $(@D)
	$(NBMAKE) $(if $(filter-out $(CHAPTERS),$?),$(CHAPTERS),$(filter $(CHAPTERS),$?))
	@touch $@

_build/bench.json: $(EXECUTED) _toc.yml
	$(BIN)/python tools/bench.py table

# COLD=1: every chapter with empty PyTensor/numba compile caches, recorded
# beside the warm measurement (_build/bench-cold), nothing cached for the book.
bench: $(STAMP) ## execute and measure every chapter afresh (COLD=1: with empty compile caches)
	$(NEED_DOT)
ifeq ($(COLD),1)
	rm -rf _build/bench-cold
	$(NBMAKE) --bench-cold $(CHAPTERS)
	test ! -f _build/bench/.executed || $(BIN)/python tools/bench.py table
else
	rm -rf _build/bench
	$(MAKE) --no-print-directory _build/bench.json
endif

# Every assignment through otter assign, then its solution graded as a submission
# would be (full marks or the build fails); the grading times go to the page for
# instructors (_build/assignments/timing.md).
$(ASSIGNMENTS_BUILT): $(ASSIGNMENTS) tools/assignments.py $(HELPERS_SRC) $(STAMP)
	$(BIN)/python tools/assignments.py build

assignments: $(ASSIGNMENTS_BUILT) ## build the otter-grader assignments into _build/assignments (each solution graded)

grade: $(ASSIGNMENTS_BUILT) ## grade a folder: make grade ASSIGNMENT=NN_name SUBMISSIONS=dir [TIMEOUT=s]
	@test -n "$(ASSIGNMENT)" -a -n "$(SUBMISSIONS)" || { echo "usage: make grade ASSIGNMENT=NN_name SUBMISSIONS=dir [TIMEOUT=s]" >&2; exit 2; }
	$(BIN)/python tools/assignments.py grade $(ASSIGNMENT) $(SUBMISSIONS) $(if $(TIMEOUT),--timeout $(TIMEOUT))

# Grades the solution, the untouched student notebook and broken submissions of
# every assignment (about 20 minutes on 2 cores): run by .ci/run, not by make test.
test-assignments: $(ASSIGNMENTS_BUILT) ## grade real and broken submissions of every assignment (slow; .ci/run)
	$(BIN)/python -m pytest tests/assignments

book: $(STAMP) $(MATHJAX) _build/bench.json $(ASSIGNMENTS_BUILT) ## build the website into _build/html (chapters executed and measured once)
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	$(BIN)/python tools/notebooks.py
	@echo "Open $(CURDIR)/_build/html/index.html in a browser."

# The student edition is built from the instructor build's executed notebooks,
# with every solution cut out; nothing is executed again.
student: book ## build the student edition, without solutions, into _build/student
	$(BIN)/python tools/student.py

lint: $(STAMP) ## ruff lint of helpers, tests, book, tools and assignments; format check of all but assignments
	$(BIN)/ruff check helpers tests book tools assignments
	$(BIN)/ruff format --check helpers tests book tools

unit: $(STAMP) ## unit tests of helpers and tools (not the site, not the assignments' grading)
	$(BIN)/python -m pytest tests --ignore=tests/site --ignore=tests/assignments

# Every chapter as a test under pytest (nbmake), in a fresh kernel each: the
# one execution described above.
notebooks: $(EXECUTED) ## execute every chapter that changed as a test (nbmake), measured and cached for the book

# Tests of the built sites: real browser, links, student edition, runtime budget.
SITE_TESTS := $(BIN)/python -m pytest tests/site
check-site: book student $(AXE) ## test both built sites in a real browser (screenshots in _build/screens)
	$(SITE_TESTS)

# The chapters' kernel uses one core most of the time (both only while a sampler
# runs), so the unit tests and the assignments run beside the chapters on the
# other core, at the lowest CPU priority (nice 19): they take mostly what the
# chapters leave idle (a chapter's measured time still includes that sharing,
# of memory bandwidth and of the second core while it samples). The
# solutions are graded one at a time there (ASSIGNMENT_JOBS=1): Jupyter starts
# each kernel in a session of its own, which Linux's autogroup scheduling
# weighs like the chapter's kernel whatever its nice value, so two gradings at
# once would take a share of the chapter's core. Their output is shown when
# they finish (_build/unit-and-assignments.log). The last step records that
# every test passed for this commit (make release checks it).
BESIDE_LOG := _build/unit-and-assignments.log
# Then the two sites: Sphinx builds each on one core, so the student site (which
# needs only the executed chapters) is built beside the instructor site; its
# reader notebooks follow, numbered from the instructor build. Then the site tests.
STUDENT_LOG := _build/student-site.log
test: lint ## everything: lint, unit tests, chapters, strict book build, student edition, site
	@mkdir -p $(dir $(BESIDE_LOG))
	@ASSIGNMENT_JOBS=1 nice -n 19 $(MAKE) --no-print-directory unit assignments $(MATHJAX) $(AXE) \
	  > $(BESIDE_LOG) 2>&1 & beside=$$!; \
	  $(MAKE) --no-print-directory notebooks; chapters=$$?; \
	  wait $$beside; others=$$?; \
	  echo "--- unit tests and assignments (run beside the chapters, nice 19) ---"; cat $(BESIDE_LOG); \
	  test $$chapters -eq 0 -a $$others -eq 0
	$(MAKE) --no-print-directory _build/bench.json
	@echo "--- the student site, built beside the instructor site ($(STUDENT_LOG)) ---"
	@$(BIN)/python tools/student.py site > $(STUDENT_LOG) 2>&1 & student=$$!; \
	  $(MAKE) --no-print-directory book; book=$$?; \
	  wait $$student; site=$$?; cat $(STUDENT_LOG); \
	  test $$book -eq 0 -a $$site -eq 0
	$(BIN)/python tools/student.py notebooks
	$(SITE_TESTS)
	$(BIN)/python tools/release.py stamp

colab-cell: $(STAMP) ## insert or update the hidden Colab set-up cell of every chapter and assignment
	$(BIN)/python tools/colab_cell.py

# Releases: see tools/release.py and "Teaching from a release" in README.md.
release: $(STAMP) ## VERSION=x.y.z: version, changelog, commit and tag (clean tree, tests passed)
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=x.y.z" >&2; exit 2; }
	$(BIN)/python tools/release.py release $(VERSION)

pin: $(STAMP) ## REF=v0.2.0: launch buttons and Colab set-up cells use that tag or branch
	@test -n "$(REF)" || { echo "usage: make pin REF=v0.2.0 (a tag or branch)" >&2; exit 2; }
	$(BIN)/python tools/release.py pin $(REF)

# Commit the reader notebooks (instructor and student) to the branch that the
# launch buttons open (repository.branch of _config.yml); PUSH=origin pushes it.
publish-notebooks: student ## commit the reader notebooks to the branch the launch buttons open (PUSH=origin pushes)
	$(BIN)/python tools/publish.py $(if $(PUSH),--push $(PUSH))

# Rehearsals of Binder and Colab with the published notebooks (slow: minutes).
binder-check: student ## rehearse Binder: published notebooks run in JupyterLab in Chromium (minutes)
	$(BIN)/python tools/binder_check.py

colab-check: student ## rehearse Colab: the set-up cell and a PyMC chapter in a Colab-like Python 3.12
	$(BIN)/python tools/colab_check.py

# Re-resolve every dependency from pyproject.toml and write the lock file, then
# environment.yml: Binder's runtime subset of the same resolution (no dev tools).
lock: ## re-resolve every dependency from pyproject.toml into requirements.lock and environment.yml
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet setuptools ".[dev]"
	{ echo "# Exact versions of every package the course installs (Python 3.13, Linux)."; \
	  echo "# Regenerate with 'make lock'; every install (make, CI, Binder, Colab) uses this file."; \
	  $(LOCK_VENV)/bin/python -m pip freeze --all --exclude-editable \
	    | grep -viE '^(pip|borrowing-strength)( @|==)'; } > requirements.lock
	/tmp/bs-lock-venv/bin/python .ci/sync_environment.py

clean: ## remove _build
	rm -rf _build
