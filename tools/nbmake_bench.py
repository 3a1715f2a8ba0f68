"""pytest plugin: nbmake's one execution of each chapter is also measured and cached.

Loaded with ``python -m pytest -p tools.nbmake_bench --nbmake book/*.ipynb``
(``make notebooks``). nbmake executes every chapter in a fresh kernel and gives
the test verdict; this plugin hands it :class:`tools.bench.MeasuredClient`, so
the same execution also yields the chapter's record (``_build/bench/``: time,
memory, import/compile/sample shares) and, when it passes, fills the book's
execution cache, so ``jupyter-book build`` does not execute it again.

T_import is timed three times when the session starts and three times when it
ends; every chapter's record then holds the median of the six. With
``--bench-cold`` each chapter runs with empty compile caches (a new PyTensor
``base_compiledir``, which also holds numba's caches; see ``helpers.style``)
and its record goes to ``_build/bench-cold/``; nothing is cached for the book.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tools import bench

_state: dict = {}


def pytest_addoption(parser):
    """Add ``--bench-cold``."""
    parser.getgroup("nbmake").addoption(
        "--bench-cold",
        action="store_true",
        default=False,
        help="execute each notebook with empty PyTensor/numba compile caches",
    )


def pytest_configure(config):
    """Make nbmake execute notebooks with the measuring client."""
    if config.getoption("nbmake", default=False):
        import nbmake.nb_run

        nbmake.nb_run.NotebookClient = bench.MeasuredClient


def pytest_collection_finish(session):
    """Measure T_import before the first chapter, when chapters will run."""
    if any(getattr(item, "nbmake", False) for item in session.items):
        measured = _state["t_import"] = bench.t_import()
        _state["records"] = []
        print(f"\nT_import {measured['wall']:.2f} s ({measured['cpu']:.2f} s CPU)")


def pytest_sessionfinish(session):
    """Measure T_import again after the last chapter; give the records the median of both."""
    if not _state.get("records"):
        return
    before = _state["t_import"]
    measured = bench.t_import(earlier=before)
    for path in _state["records"]:
        bench.restate_t_import(path, measured)
    print(
        f"\nT_import {measured['wall']:.2f} s, the median of {len(measured['walls'])} imports "
        f"before and after the chapters ({before['wall']:.2f} s before)"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Around one chapter: empty caches if asked; afterwards, record and cache it."""
    if not getattr(item, "nbmake", False):
        yield
        return
    cold = item.config.getoption("bench_cold")
    saved = os.environ.get("PYTENSOR_FLAGS")
    scratch = None
    if cold:
        scratch = tempfile.TemporaryDirectory(prefix="bench-cold-")
        flags = [f for f in (saved or "").split(",") if f and not f.startswith("base_compiledir")]
        os.environ["PYTENSOR_FLAGS"] = ",".join([*flags, f"base_compiledir={scratch.name}"])
    bench.MeasuredClient.last = None
    try:
        outcome = yield
    finally:
        if cold:
            if saved is None:
                os.environ.pop("PYTENSOR_FLAGS", None)
            else:
                os.environ["PYTENSOR_FLAGS"] = saved
            scratch.cleanup()
    notebook = Path(item.config.rootdir) / item.filename
    part = (bench.COLD_PARTS if cold else bench.PARTS) / f"{notebook.stem}.json"
    client = bench.MeasuredClient.last
    if outcome.excinfo is not None or client is None or client.measurement is None:
        part.unlink(missing_ok=True)
        return
    row = bench.record(notebook, client.nb, client.measurement, _state["t_import"], cold=cold)
    _state["records"].append(part)
    print(
        f"\n{row['chapter']}: {row['wall_seconds']:.1f} s = {bench.ratio(row):.1f} x T_import "
        f"({row['cpu_seconds']:.1f} s CPU), peak {row['peak_rss_mb']:.0f} MB; "
        + ", ".join(f"{p} {s:.1f} s" for p, s in row["phases"].items())
    )
