"""The student edition's own introduction and table of contents (tools/student.py)."""

import re

import pytest
import yaml

from tools import student
from tools.book import ROOT


def _intro():
    return student.student_intro(
        (ROOT / "book" / "intro.md").read_text(), (ROOT / student.STUDENT_HOW_TO).read_text()
    )


def test_student_intro_replaces_how_to_use_and_keeps_the_rest():
    intro = (ROOT / "book" / "intro.md").read_text()
    ours = _intro()
    assert ours.count("## How to use it") == 1
    assert "Exercise 5.3 is the third exercise of chapter 5" in ours
    assert "make book" not in ours and "{doc}`instructors`" not in ours
    for heading in re.findall(r"^## .+$", intro, re.M):
        assert heading in ours, f"the student intro lost {heading!r}"
    assert ours.split("## Chapter map", 1)[1] == intro.split("## Chapter map", 1)[1]


def test_student_intro_and_pages_never_speak_of_solutions(tmp_path):
    assert not re.search(r"\bsolutions?\b", _intro(), re.I)
    toc = student.student_toc(yaml.safe_load((ROOT / "_toc.yml").read_text()))
    from tools.book import toc_documents

    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(toc))
    for doc in toc_documents(tmp_path):
        page = ROOT / f"{doc}.md"
        if page.is_file() and doc != "book/intro":
            assert not re.search(r"\bsolutions?\b", page.read_text(), re.I), doc


def test_student_toc_leaves_out_the_instructors_page_only():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    ours = student.student_toc(toc)
    text, full = yaml.safe_dump(ours), yaml.safe_dump(toc)
    assert "book/instructors" in full and "book/instructors" not in text
    assert text.count("file:") == full.count("file:") - 1
    assert ours["root"] == toc["root"]


def test_student_intro_needs_the_section_it_replaces():
    with pytest.raises(ValueError, match="How to use it"):
        student.student_intro("# Title\n\nNo such section.\n", "## How to use it\n\nx\n")
