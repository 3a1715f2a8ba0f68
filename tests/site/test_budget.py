"""Runtime budget: every chapter executes in at most 45 s and 1.2 GB (CONTRIBUTING.md).

The measurements come from ``_build/bench.json``, which ``make bench`` (and
``make book``, which runs the bench for chapters that changed) writes; see
tools/bench.py for what is measured. They must be of the committed chapters,
and the Runtime page of the site must show them.
"""

from __future__ import annotations

import htmltext
import pytest
from conftest import require_site

from tools.bench import sha256
from tools.book import ROOT, chapters

MAX_SECONDS = 45.0
MAX_RSS_MB = 1200.0  # 1.2 GB, in MB of 10^6 bytes


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
        shown = f"{row['wall_seconds']:.1f} {row['cpu_seconds']:.1f} {row['peak_rss_mb']:.0f}"
        assert f"{row['title']} {shown}" in text, (
            f"the Runtime page does not show the measurement of {row['chapter']}"
        )
