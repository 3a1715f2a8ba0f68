"""The notebooks learners get: readable in Jupyter, and what the buttons open.

Every notebook of the build that a learner can get (``_build/notebooks``,
``_build/student/notebooks`` and every notebook behind a download link of
either site) must have no MyST-only markup in its Markdown, and every value a
chapter glues into its prose must be in the reader notebook, formatted. The
glued values are read here from what myst-nb pasted into the pages
(``_build/jupyter_execute/*.glue.json``), not from the execution cache the
generator reads.

The Binder and Colab links of the site are checked in test_browser.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
from conftest import SITES, chapter_ids, require_site

from tools import notebooks
from tools.book import BUILD

_GLUE = re.compile(r"\{glue(?::(\w+))?\}`([^`]+)`")


def _learner_notebooks() -> list[Path]:
    found = sorted((BUILD / "notebooks").glob("*.ipynb"))
    found += sorted((SITES["student"] / "notebooks").glob("*.ipynb"))
    for site in SITES.values():
        found += sorted((site / "_sources").rglob("*.ipynb"))
    return found


def test_reader_notebooks_cover_the_book():
    require_site("instructor")
    assert sorted(p.stem for p in (BUILD / "notebooks").glob("*.ipynb")) == sorted(
        Path(c).name for c in chapter_ids()
    )


@pytest.mark.parametrize(
    "path", _learner_notebooks() or [None], ids=lambda p: str(p.relative_to(BUILD)) if p else "none"
)
def test_no_myst_markup_in_notebooks_learners_get(path):
    require_site("instructor")
    require_site("student")
    assert path is not None, "no notebooks were generated"
    left = notebooks.notebook_markup(nbformat.read(path, as_version=4))
    assert not left, f"{path.relative_to(BUILD)}: {len(left)} places of MyST markup: {left}"


def _glued(chapter: str) -> dict[str, dict]:
    """The values myst-nb glued into the chapter's page (its ``.glue.json``)."""
    path = BUILD / "jupyter_execute" / f"{chapter}.glue.json"
    assert path.is_file(), f"{path} missing: run make book"
    return {key: output["data"] for key, output in json.loads(path.read_text()).items()}


def _expected(kind: str | None, content: str, glued: dict[str, dict]) -> str:
    from myst_nb.core.variables import format_plain_text

    if kind == "text":
        key, fmt = content.rsplit(":", 1) if ":" in content else (content, "s")
        return format_plain_text(glued[key]["text/plain"], fmt)
    key = content.split(":", 1)[0]
    return glued[key].get("text/markdown", glued[key].get("text/plain", "")).strip()


@pytest.mark.parametrize("site", ["instructor", "student"])
def test_every_glued_value_is_in_the_reader_notebook(site, chapter, source_notebooks):
    root = require_site(site)
    folder = BUILD / "notebooks" if site == "instructor" else root / "notebooks"
    reader = nbformat.read(folder / f"{Path(chapter).name}.ipynb", as_version=4)
    cells = {c.id: c.source for c in reader.cells}
    glued = _glued(chapter)
    checked = 0
    for cell in source_notebooks[chapter].cells:
        if cell.cell_type != "markdown" or cell.id not in cells:
            continue  # the student edition drops cells that held only a solution
        for kind, content in _GLUE.findall(cell.source):
            value = _expected(kind or None, content, glued)
            if site == "student" and value not in cells[cell.id]:
                continue  # the role may sit in a cut-out solution; the site test checks the rest
            assert value in cells[cell.id], f"{chapter} cell {cell.id}: {content!r} -> {value!r}"
            checked += 1
    n_roles = sum(len(_GLUE.findall(c.source)) for c in source_notebooks[chapter].cells)
    if site == "instructor":
        assert checked == n_roles


def test_reader_notebook_links_go_to_the_website(chapter):
    require_site("instructor")
    base = notebooks.baseurl()
    reader = nbformat.read(BUILD / "notebooks" / f"{Path(chapter).name}.ipynb", as_version=4)
    links = [
        url
        for c in reader.cells
        if c.cell_type == "markdown"
        for url in re.findall(r"\]\(([^)\s]+)\)", c.source)
    ]
    for url in links:
        assert not url.endswith((".ipynb", ".md")), f"{chapter}: link to a source file {url}"
        if url.startswith(base):
            page = urlparse(url).path.removeprefix(urlparse(base).path)
            assert (SITES["instructor"] / page).is_file(), f"{chapter}: {url} is not a page"


#: Warnings a chapter may print, each because its prose discusses it: the
#: Pareto k-hat diagnostic of leave-one-out is one of chapter 8's lessons.
EXPECTED_WARNINGS = {
    "book/08_checking": ("UserWarning: Estimated shape parameter of Pareto distribution",),
}


def test_chapter_prints_no_warning_its_prose_does_not_discuss(bench, chapter):
    """A learner running the notebook sees every warning (the website hides stderr)."""
    rows = {row["chapter"]: row for row in bench["chapters"]}
    row = rows[f"{chapter}.ipynb"]
    assert "warnings" in row, "bench.json predates the warnings record: run make bench"
    allowed = EXPECTED_WARNINGS.get(chapter, ())
    unexpected = [w for w in row["warnings"] if not any(a in w for a in allowed)]
    assert not unexpected, f"{chapter} prints warnings a learner would see: {unexpected}"
    for expected in allowed:
        assert any(expected in w for w in row["warnings"]), (
            f"{chapter} no longer prints {expected!r}: drop it from EXPECTED_WARNINGS"
        )
