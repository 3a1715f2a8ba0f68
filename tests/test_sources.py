"""The course speaks in its own voice and credits its public sources by name."""

import re

import nbformat
import pytest

from tools.book import ROOT, chapters

#: Phrases that refer to material the reader has never met.
UNKNOWN_SOURCES = re.compile(
    r"\bthe seeds?\b|\bthe seed's|\bthe (?:course's )?source notebooks?\b", re.I
)


def _prose(path):
    nb = nbformat.read(path, as_version=4)
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]


@pytest.mark.parametrize("chapter", chapters(), ids=lambda p: p.name)
def test_no_chapter_refers_to_the_seed_or_the_source_notebook(chapter):
    for i, text in _prose(chapter):
        match = UNKNOWN_SOURCES.search(text)
        assert match is None, (
            f"{chapter.name} cell {i} says {match.group(0)!r}: readers have never met it; "
            "state the fact in the course's voice and cite the public source"
        )


def test_no_page_refers_to_the_seed_or_the_source_notebook():
    for page in sorted((ROOT / "book").glob("*.md")):
        match = UNKNOWN_SOURCES.search(page.read_text())
        assert match is None, f"{page.name} says {match.group(0)!r}"


def test_the_pattern_catches_what_it_must_and_spares_random_seeds():
    for bad in ["The seed's PyStan run", "as in the course's source notebook", "the seeds"]:
        assert UNKNOWN_SOURCES.search(bad), bad
    for fine in ["the random seed", "seeded with 2024", "RANDOM_SEED", "one source notebook"]:
        assert not UNKNOWN_SOURCES.search(fine), fine
