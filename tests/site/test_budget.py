"""Runtime budget: every chapter executes in at most 45 s and 1.2 GB (CONTRIBUTING.md).

The measurements come from ``_build/bench.json``, written from the one
execution of each chapter (nbmake under ``make notebooks``, ``make book`` or
``make bench``); see tools/bench.py for what is measured. They must be of the
committed chapters, and the Runtime page of the site must show them. Over the
hard budget a chapter fails; over the targets (4 x T_import with warm compile
caches, 6 x with empty ones, 600 MB) it gets a ``BudgetWarning`` in the
test summary, since a busy machine can stretch one run.
"""

from __future__ import annotations

import warnings

import htmltext
import pytest
from conftest import require_site

from tools.bench import ratio, sha256
from tools.book import ROOT, chapters

MAX_SECONDS = 45.0
MAX_RSS_MB = 1200.0  # 1.2 GB, in MB of 10^6 bytes
TARGETS = {"warm_ratio": 4.0, "cold_ratio": 6.0, "peak_rss_mb": 600.0}


class BudgetWarning(UserWarning):
    """A chapter missed a speed or memory target (not the hard budget)."""


def _record(bench, chapter):
    rows = {row["chapter"]: row for row in bench["chapters"]}
    assert f"{chapter}.ipynb" in rows, f"{chapter} was not measured: run make bench"
    return rows[f"{chapter}.ipynb"]


def test_bench_covers_exactly_the_current_chapters(bench):
    assert [row["chapter"] for row in bench["chapters"]] == [
        p.relative_to(ROOT).as_posix() for p in chapters()
    ]
    for row in bench["chapters"]:
        assert row["sha256"] == sha256(ROOT / row["chapter"]), (
            f"{row['chapter']} changed since it was measured: run make bench"
        )


def test_bench_states_the_course_budget(bench):
    assert bench["limits"] == {"wall_seconds": MAX_SECONDS, "peak_rss_mb": MAX_RSS_MB}
    assert bench["targets"] == TARGETS


def test_bench_measured_t_import_and_the_shares(bench):
    assert 0.5 < bench["machine"]["t_import_seconds"] < 120
    for row in bench["chapters"]:
        assert row["t_import_seconds"] > 0.5 and row["t_import_cpu_seconds"] > 0.5
        phases = row["phases"]
        assert set(phases) == {"import", "compile", "sample", "other"}
        assert min(phases.values()) >= 0
        assert sum(phases.values()) == pytest.approx(row["wall_seconds"], abs=0.1)
        assert phases["import"] > 0, f"{row['chapter']}: no import was timed"


def test_cold_and_warm_caches_give_the_same_numbers(bench, chapter):
    row = _record(bench, chapter)
    cold = {r["chapter"]: r for r in bench.get("cold", [])}.get(row["chapter"])
    if cold is None:
        pytest.skip("no run with empty caches: make bench COLD=1")
    assert cold["glued_sha256"] == row["glued_sha256"], (
        f"{chapter} glues other numbers with empty compile caches than with warm ones"
    )


def test_chapter_meets_the_speed_and_memory_targets(bench, chapter):
    row = _record(bench, chapter)
    missed = []
    if ratio(row) > TARGETS["warm_ratio"]:
        missed.append(f"{ratio(row):.1f} x T_import with warm caches")
    cold = {r["chapter"]: r for r in bench.get("cold", [])}.get(row["chapter"])
    if cold and ratio(cold) > TARGETS["cold_ratio"]:
        missed.append(f"{ratio(cold):.1f} x T_import with empty caches")
    if row["peak_rss_mb"] > TARGETS["peak_rss_mb"]:
        missed.append(f"peak {row['peak_rss_mb']:.0f} MB")
    if missed:
        warnings.warn(
            f"{chapter} misses its targets: {', '.join(missed)} "
            f"(load {row['load_1min']} when it started)",
            BudgetWarning,
            stacklevel=1,
        )


def test_chapter_runs_within_45_seconds(bench, chapter):
    row = _record(bench, chapter)
    assert row["wall_seconds"] <= MAX_SECONDS, (
        f"{chapter} took {row['wall_seconds']} s ({row['cpu_seconds']} s CPU, "
        f"load {row['load_1min']} when it started)"
    )


def test_chapter_peak_memory_within_1_2_gb(bench, chapter):
    row = _record(bench, chapter)
    assert row["peak_rss_mb"] > 50, "implausibly small: the kernel was not measured"
    assert row["peak_rss_mb"] <= MAX_RSS_MB, f"{chapter} peaked at {row['peak_rss_mb']} MB"


@pytest.mark.parametrize("site", ["instructor", "student"])
def test_runtime_page_shows_the_measurements(site, bench):
    root = require_site(site)
    text = htmltext.normalise(" ".join(htmltext.parse(root / "book" / "runtime.html").text))
    for row in bench["chapters"]:
        assert row["title"] in text
        shown = (
            f"{row['wall_seconds']:.1f} {ratio(row):.1f} {row['cpu_seconds']:.1f} "
            f"{row['peak_rss_mb']:.0f}"
        )
        assert f"{row['title']} {shown}" in text, (
            f"the Runtime page does not show the measurement of {row['chapter']}"
        )
    t_import = bench["machine"]["t_import_seconds"]
    assert "T_import" in text and f"took {t_import:.1f} s" in text
