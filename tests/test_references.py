"""The bibliography: every work can be followed, and no two cite alike in the text."""

import re
from collections import Counter
from pathlib import Path

import pytest
from pybtex.database import parse_file

ROOT = Path(__file__).resolve().parent.parent
BIB = parse_file(str(ROOT / "book" / "references.bib"))

#: The public sources the course builds on (credited at the point of use).
SOURCES = {
    "pymc_discourse_joint": "https://discourse.pymc.io/t/joint-linear-hypothesis-bayesian-version/13375",
    "ticknor_eight_schools": "https://github.com/bticknor/eight_schools_problem",
    "pymc_meta_analysis": "https://www.pymc.io/projects/examples/en/latest/causal_inference/"
    "multiple_experiments_meta_analysis.html",
    "pymc_assurance": "https://www.pymc.io/projects/examples/en/latest/causal_inference/"
    "assurance_planning_simulation.html",
}


@pytest.mark.parametrize("key", sorted(BIB.entries), ids=str)
def test_every_reference_can_be_followed(key):
    """A DOI or a URL for every work: each one cited here has one."""
    fields = BIB.entries[key].fields
    assert fields.get("doi") or fields.get("url"), f"{key}: give a doi or url"
    if "doi" in fields:
        assert re.fullmatch(r"10\.\d{4,9}/\S+", fields["doi"]), f"{key}: doi is not a bare DOI"
    if "url" in fields:
        assert fields["url"].startswith("https://"), f"{key}: url must be https"


@pytest.mark.parametrize("key", sorted(BIB.entries), ids=str)
def test_guidance_documents_carry_their_identifier(key):
    """A regulator's guidance is found by its docket number (and its page)."""
    entry = BIB.entries[key]
    if "guidance" not in entry.fields.get("title", "").lower():
        return
    assert re.search(r"Docket No\. [A-Z]+-\d{4}-[A-Z]-\d+", entry.fields.get("number", "")), (
        f"{key}: a guidance needs its docket number in `number`"
    )
    assert entry.fields.get("url"), f"{key}: a guidance needs its URL"


def _label(entry):
    """The in-text author-year label: surnames of up to two authors, and the year."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [" ".join(p.last_names) for p in people]
    if len(names) > 2:
        names = [names[0] + " et al."]
    who = " and ".join(names)
    return who, entry.fields["year"]


def test_no_two_references_cite_alike():
    """Two works by the same authors in one year are 2006a and 2006b, not both 2006."""
    labels = Counter(_label(entry) for entry in BIB.entries.values())
    assert not [label for label, n in labels.items() if n > 1]


def test_same_author_same_year_works_are_lettered_in_title_order():
    plain = {}
    for entry in BIB.entries.values():
        who, year = _label(entry)
        title = entry.fields["title"].replace("{", "").replace("}", "")
        plain.setdefault((who, year.rstrip("abcdefgh")), []).append((title, year))
    for (who, year), works in plain.items():
        if len(works) > 1:
            letters = [y for _, y in sorted(works)]
            assert letters == [year + chr(ord("a") + i) for i in range(len(works))], (who, works)


@pytest.mark.parametrize("key", sorted(SOURCES))
def test_the_public_sources_are_in_the_bibliography(key):
    assert key in BIB.entries, f"{key} missing from book/references.bib"
    assert BIB.entries[key].fields["url"] == SOURCES[key]


def test_bibliography_labels_keep_the_year_letter():
    from pybtex.plugin import find_plugin

    from tools import bibstyle

    bibstyle.setup(None)
    style = find_plugin("pybtex.style.formatting", "course")()
    entries = sorted(BIB.entries.values(), key=lambda e: e.key)
    labels = dict(zip((e.key for e in entries), style.format_labels(entries), strict=True))
    assert labels["gelman2006multilevel"] == "Gel06a"
    assert labels["gelman2006prior"] == "Gel06b"
    assert labels["fda2026bayesian"] == "FDA26"
    assert labels["rubin1981"] == "Rub81"
    assert len(set(labels.values())) == len(labels)
