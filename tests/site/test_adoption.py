"""What an instructor adopting the course checks on the built sites.

Licences named on every page, the student edition's own introduction and its
silence about solutions, and exercises and figures numbered per chapter in both
editions. Read from the built HTML (``make book``, ``make student``).
"""

from __future__ import annotations

import re

import htmltext
import pytest
from conftest import SITES, chapter_ids, pages, require_site

from tools.book import ROOT, repository

SOLUTION_WORD = re.compile(r"\bsolutions?\b", re.I)


def _text(site: str, page: str) -> str:
    return htmltext.normalise(" ".join(htmltext.parse(SITES[site] / page).text))


@pytest.mark.parametrize("site", sorted(SITES))
def test_every_page_names_both_licences_in_its_footer(site):
    require_site(site)
    for name in ["LICENSE", "LICENSE-content", "CITATION.cff"]:
        assert (ROOT / name).is_file(), f"{name} is missing"
    found = [p for p in pages(site) if "http-equiv" not in (SITES[site] / p).read_text()[:300]]
    assert found
    for page in found:  # every page but the redirect at the root
        text = _text(site, page)
        for name in ["CC BY 4.0 (LICENSE-content)", "MIT (LICENSE)", "CITATION.cff"]:
            assert name in text, f"{site}:{page}: the footer does not name {name}"


def test_instructor_introduction_tells_where_solutions_are():
    """The check below is not vacuous: the instructor intro does speak of solutions."""
    require_site("instructor")
    assert SOLUTION_WORD.search(_text("instructor", "book/intro.html"))


def test_student_edition_mentions_no_solution_anywhere():
    require_site("student")
    found = pages("student")
    assert any(p.startswith("book/0") for p in found)
    for page in found:
        match = SOLUTION_WORD.search(_text("student", page))
        assert match is None, f"student:{page} mentions {match.group(0)!r}"


def test_student_introduction_is_its_own():
    require_site("student")
    text = _text("student", "book/intro.html")
    assert "Exercises close every chapter" in text
    assert "Exercise 5.3 is the third exercise of chapter 5" in text
    assert "download icon" in text and "rocket icon" in text
    assert "make book" not in text, "building the course is for instructors"
    instructor = _text("instructor", "book/intro.html") if (SITES["instructor"]).is_dir() else ""
    if instructor:
        assert "third exercise of chapter 5" not in instructor


def _number(chapter: str) -> int:
    """The chapter's number: its place in the table of contents (1 for the first)."""
    return chapter_ids().index(chapter) + 1


@pytest.mark.parametrize("site", sorted(SITES))
def test_exercises_and_figures_are_numbered_per_chapter(site, chapter, source_notebooks):
    """Exercise and figure titles read "Exercise 5.3", "Fig. 5.2" in chapter 5."""
    require_site(site)
    n = _number(chapter)
    html = (SITES[site] / f"{chapter}.html").read_text()
    numbers = re.findall(r'class="caption-number">(Exercise|Fig\.) (\d+)\.(\d+) <', html)
    exercises = [int(k) for kind, c, k in numbers if kind == "Exercise" and int(c) == n]
    figures = [int(k) for kind, c, k in numbers if kind == "Fig." and int(c) == n]
    assert all(int(c) == n for _, c, _ in numbers), f"{chapter}: numbered {numbers}"
    assert exercises == list(range(1, len(exercises) + 1)) and len(exercises) >= 4, exercises
    captioned = sum(
        "figure" in c.metadata.get("mystnb", {}) for c in source_notebooks[chapter].cells
    )
    # (the student edition drops the figures drawn inside solutions)
    assert figures == list(range(1, len(figures) + 1)), figures
    assert len(figures) == captioned if site == "instructor" else len(figures) <= captioned


def test_chapters_are_numbered_in_the_navigation():
    require_site("instructor")
    text = _text("instructor", "book/intro.html")
    for chapter in chapter_ids():
        assert re.search(rf"\b{_number(chapter)}\. ", text), f"{chapter} is not numbered"


def test_student_launch_buttons_open_the_student_notebooks(chapter):
    """Binder and Colab open student/book/NN_name.ipynb of the published ref, no solutions."""
    require_site("student")
    url, ref = repository()
    owner_repo = url.removeprefix("https://github.com/")
    notebook = f"student/{chapter}.ipynb"
    links = {href for _, href in htmltext.parse(SITES["student"] / f"{chapter}.html").links}
    binder = f"https://mybinder.org/v2/gh/{owner_repo}/{ref}?urlpath=lab/tree/{notebook}"
    colab = f"https://colab.research.google.com/github/{owner_repo}/blob/{ref}/{notebook}"
    assert binder in links, f"{chapter}: no Binder button to {notebook}"
    assert colab in links, f"{chapter}: no Colab button to {notebook}"
    assert not {h for h in links if ("mybinder.org" in h or "colab.research" in h)} - {
        binder,
        colab,
    }, "a launch button opens a notebook other than the student one"
    assert f"/tree/{chapter}.ipynb" not in " ".join(links)
