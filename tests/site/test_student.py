"""The student edition holds no solution, anywhere; the instructor site keeps them all.

The solutions are found independently of ``tools/student.py``: from the
source notebooks by a deliberately simple reading of the two forms, with
their number checked against the solutions sphinx-exercise rendered in the
instructor site. Then every artifact of ``_build/student`` (HTML, search
index, ``_sources``, notebooks, everything) is searched for

- each solution's distinctive source lines (lines found nowhere else in the
  chapter), which the instructor site's ``_sources`` must contain;
- each distinctive line of text the instructor site rendered inside a
  solution (prose, code and outputs as a reader sees them);
- each word that only solutions use, as the search index stores it (stemmed),
  which the instructor site's search index must contain.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import htmltext
import nbformat
import pytest
from conftest import SITES, require_site

from tools.book import ROOT, chapters

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,}|:{3,})\s*(\S*)")
MIN_LINE = 12


def _solutions(nb) -> list[list[str]]:
    """Return the source lines of each solution of ``nb``, in order."""
    found: list[list[str]] = []
    gated = False
    for cell in nb.cells:
        lines = cell.source.splitlines()
        if gated and cell.cell_type != "markdown":
            found[-1] += lines
            continue
        if cell.cell_type != "markdown":
            continue
        i = 0
        while i < len(lines):
            fence = _FENCE.match(lines[i])
            if gated and not (fence and fence.group(2).startswith("{solution-end}")):
                found[-1].append(lines[i])
                i += 1
                continue
            if fence and fence.group(2).startswith("{solution"):
                kind = fence.group(2)
                close = re.compile(
                    rf"^ {{0,3}}{re.escape(fence.group(1)[0])}{{{len(fence.group(1))},}}\s*$"
                )
                j = next(k for k in range(i + 1, len(lines)) if close.match(lines[k]))
                if kind.startswith("{solution}"):
                    found.append(lines[i + 1 : j])
                elif kind.startswith("{solution-start}"):
                    found.append(lines[i + 1 : j])
                    gated = True
                else:
                    gated = False
                i = j + 1
                continue
            i += 1
    assert not gated, "a {solution-start} without {solution-end}"
    return found


#: A MyST role or substitution: published notebooks carry its rewritten form
#: (a link, a formatted value), so a line holding one is not searched verbatim;
#: the rendered text of the solutions is checked separately.
_MYST_ROLE = re.compile(r"\{[\w:.-]+\}`|\{\{")


def _meaningful(line: str) -> bool:
    line = line.strip()
    return (
        len(line) >= MIN_LINE
        and not re.match(r"^(`{3,}|~{3,}|:{3,}|:\w[\w-]*:)", line)
        and not _MYST_ROLE.search(line)
    )


@cache
def _student_corpus() -> tuple[tuple[str, str], ...]:
    """Every file of the student edition as searchable text: ``(name, text)``."""
    root = require_site("student")
    corpus = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        raw = path.read_bytes().decode("utf-8", errors="ignore")
        texts = [raw]
        if path.suffix == ".ipynb":
            nb = nbformat.reads(raw, as_version=4)
            for cell in nb.cells:
                texts.append(cell.source)
                for out in cell.get("outputs", []):
                    texts.append(json.dumps(out, ensure_ascii=False))
                    texts += [v for v in out.get("data", {}).values() if isinstance(v, str)]
                    texts.append(out.get("text", ""))
        elif path.suffix == ".html":
            texts.append("".join(htmltext.parse(path).text))
        corpus.append((str(path.relative_to(root)), htmltext.normalise("\n".join(texts))))
    return tuple(corpus)


_WORD = re.compile(r"\w+")


@cache
def _student_words() -> tuple[frozenset[str], ...]:
    """The words of each file of :func:`_student_corpus` (maximal runs of ``\\w``)."""
    return tuple(frozenset(_WORD.findall(text)) for _, text in _student_corpus())


def _leaks(needle: str) -> list[str]:
    """The files of the student edition whose text contains ``needle``.

    A word of ``needle`` with a non-word character on each side of it inside
    ``needle`` is a whole word of any text containing ``needle``, so only the
    files holding every such word are searched: the same answer, found faster.
    """
    needle = htmltext.normalise(needle)
    inner = {m.group() for m in _WORD.finditer(needle) if m.start() > 0 and m.end() < len(needle)}
    return [
        name
        for (name, text), words in zip(_student_corpus(), _student_words(), strict=True)
        if inner <= words and needle in text
    ]


def _chapters():
    from conftest import chapter_ids

    return chapter_ids()


@cache
def _rendered_outside_solutions() -> str:
    """The instructor site's text, every page, with the solutions cut out."""
    root = require_site("instructor")
    texts = []
    for path in sorted(root.rglob("*.html")):
        if "_static" in path.parts:
            continue
        page = htmltext.parse(path)
        text = htmltext.normalise("".join(page.text))
        for solution in page.solutions:
            text = text.replace(htmltext.normalise("".join(solution)), " ")
        texts.append(text)
    return "\n".join(texts)


@cache
def _source_outside_solutions() -> str:
    """Every source page of the book (chapters, markdown pages) minus the solutions."""
    texts = [p.read_text() for p in (ROOT / "book").rglob("*.md")]
    for nb in (nbformat.read(p, as_version=4) for p in chapters()):
        text = "\n".join(c.source for c in nb.cells)
        for lines in _solutions(nb):
            for line in lines:
                text = text.replace(line, "", 1)
        texts.append(text)
    return "\n".join(texts)


@pytest.fixture(scope="module")
def instructor_pages():
    root = require_site("instructor")
    return {c: htmltext.parse(root / f"{c}.html") for c in _chapters()}


def test_every_solution_is_found_by_this_test(chapter, source_notebooks, instructor_pages):
    """The simple reader here sees as many solutions as sphinx-exercise rendered."""
    assert len(_solutions(source_notebooks[chapter])) == len(instructor_pages[chapter].solutions)


def test_solution_source_lines_are_absent(chapter, source_notebooks):
    root = require_site("instructor")
    solutions = _solutions(source_notebooks[chapter])
    assert solutions, f"{chapter} has no solutions"
    outside = _source_outside_solutions()
    instructor_source = nbformat.read(root / "_sources" / f"{chapter}.ipynb", 4)
    instructor_text = "\n".join(c.source for c in instructor_source.cells)
    for number, lines in enumerate(solutions, 1):
        distinctive = [ln for ln in lines if _meaningful(ln) and ln.strip() not in outside]
        assert distinctive, f"{chapter} solution {number} has no line of its own to look for"
        for line in distinctive:
            assert line in instructor_text, f"positive control: {line!r} not in the instructor site"
            assert not _leaks(line), f"{chapter} solution {number}: {line!r} in {_leaks(line)}"


def test_rendered_solution_text_is_absent(chapter, instructor_pages):
    outside = _rendered_outside_solutions()
    checked = 0
    for number, solution in enumerate(instructor_pages[chapter].solutions, 1):
        lines = {htmltext.normalise(s) for s in "".join(solution).splitlines()}
        for line in sorted(ln for ln in lines if len(ln) >= MIN_LINE and ln not in outside):
            checked += 1
            assert not _leaks(line), f"{chapter} rendered solution {number}: {line!r} leaked"
    assert checked, f"{chapter}: no rendered solution text to look for"


@cache
def _stems_outside_solutions() -> frozenset[str]:
    """The stems of every word the instructor site shows outside the solutions."""
    from sphinx.search.en import SearchEnglish

    stem = SearchEnglish({}).stem
    words = set(re.findall(r"[a-z]+", _rendered_outside_solutions().lower()))
    return frozenset(stem(w) for w in words)


@cache
def _index_terms(site: str) -> set[str]:
    text = (SITES[site] / "searchindex.js").read_text()
    index = json.loads(text[text.index("(") + 1 : text.rindex(")")])
    return set(index["terms"]) | set(index.get("titleterms", {}))


def test_search_index_has_no_solution_words(chapter, instructor_pages):
    from sphinx.search.en import SearchEnglish

    require_site("student")
    stem = SearchEnglish({}).stem
    other_stems = _stems_outside_solutions()
    solution_text = " ".join("".join(s) for s in instructor_pages[chapter].solutions).lower()
    solution_stems = {stem(w) for w in re.findall(r"\b[a-z]{5,}\b", solution_text)}
    instructor_terms, student_terms = _index_terms("instructor"), _index_terms("student")
    only_in_solutions = (solution_stems - other_stems) & instructor_terms
    assert only_in_solutions, f"{chapter}: no solution-only word in the search index to look for"
    leaked = only_in_solutions & student_terms
    assert not leaked, f"solution words in the student search index: {leaked}"


def test_student_files_carry_no_solution_markup():
    root = require_site("student")
    for name, text in _student_corpus():
        assert "{solution" not in text, f"{name} holds solution markup"
    for html in root.rglob("*.html"):
        assert not htmltext.parse(html).solutions, f"{html} renders a solution"


def test_student_notebooks_are_the_chapters_without_solutions(chapter, source_notebooks):
    root = require_site("student")
    name = Path(chapter).name
    student = nbformat.read(root / "notebooks" / f"{name}.ipynb", 4)
    for cell in student.cells:
        assert not cell.get("outputs"), f"{name}: student notebooks are committed-style, no outputs"
    source = source_notebooks[chapter]
    kept = [c.source for c in student.cells if c.cell_type == "code"]
    all_code = [c.source for c in source.cells if c.cell_type == "code"]
    assert kept and set(kept) <= set(all_code)
    n_ex = sum(c.source.count("{exercise}") for c in source.cells)
    headings = re.compile(r"^### Exercise \d+\.\d+", re.M)  # reader notebooks (tools/notebooks.py)
    assert sum(len(headings.findall(c.source)) for c in student.cells) == n_ex


def test_student_notebooks_cover_the_book():
    root = require_site("student")
    assert sorted(p.stem for p in (root / "notebooks").glob("*.ipynb")) == sorted(
        Path(c).name for c in _chapters()
    )


def test_instructor_site_keeps_solutions_as_dropdowns(chapter, source_notebooks):
    root = require_site("instructor")
    html = (root / f"{chapter}.html").read_text()
    n = len(_solutions(source_notebooks[chapter]))
    assert len(re.findall(r'<div class="solution dropdown admonition', html)) == n


def test_the_reader_finds_both_solution_forms():
    v4 = nbformat.v4
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell(
                "Intro\n\n````{solution} ex-a\n:class: dropdown\nA\n```py\nx\n```\n````"
            ),
            v4.new_markdown_cell("```{solution-start} ex-b\n:class: dropdown\n```\nB text"),
            v4.new_code_cell("y = 2"),
            v4.new_markdown_cell("B end\n```{solution-end}\n```\nafter"),
        ]
    )
    assert _solutions(nb) == [
        [":class: dropdown", "A", "```py", "x", "```"],
        [":class: dropdown", "B text", "y = 2", "B end"],
    ]


def test_the_leak_search_finds_what_the_student_edition_holds():
    """Positive control of ``_leaks``: lines the student edition does hold are found,
    in exactly the files a plain search of every file finds them in."""
    root = require_site("student")
    corpus = _student_corpus()
    lines = []
    for path in sorted((root / "notebooks").glob("*.ipynb")):  # 4 lines of each notebook
        found = [ln for c in nbformat.read(path, 4).cells for ln in c.source.splitlines()]
        found = [ln for ln in found if _meaningful(ln)]
        lines += found[:: max(1, len(found) // 4)][:4]
    assert len(lines) >= 40, "too few lines to test the search with"
    for line in lines:
        needle = htmltext.normalise(line)
        found = _leaks(line)
        assert found, f"{line!r} is in a student notebook but was not found"
        assert found == [name for name, text in corpus if needle in text], line
