"""Reader notebooks (tools/notebooks.py): MyST markup turned into plain Markdown."""

import nbformat
import pytest

from tools import notebooks
from tools.notebooks import Bibliography, ReaderError, Site, Target

v4 = nbformat.v4
SITE = Site(
    "https://example.org/course/",
    labels={
        "fig-ch5-forest": Target("book/05_markets", "fig-ch5-forest", "Forest plot", "3", "figure"),
        "eq-shrinkage": Target("book/02_x", "equation-eq-shrinkage", "", "4", "equation"),
        "sec-pooling": Target("book/02_x", "sec-pooling", "Partial pooling"),
    },
    titles={"book/02_x": "Eight schools, exactly", "book/05_markets": "Markets"},
)
BIB = Bibliography(
    labels={"gelman2006": ("Gelman", "2006"), "rubin1981": ("Rubin", "1981")},
    entries={"gelman2006": "Gelman (2006). Prior.", "rubin1981": "Rubin (1981). Estimation."},
)


def _convert(cells, glue=None, exercises=None):
    nb = v4.new_notebook(cells=cells)
    return notebooks.convert(
        nb,
        glue or {},
        docname="book/05_markets",
        site=SITE,
        bib=BIB,
        exercises=exercises or notebooks.exercise_numbers({"book/05_markets": nb}),
    )


def test_glue_text_is_formatted_as_myst_nb_does():
    glue = {
        "tau": {"text/plain": "0.123456"},
        "n": {"text/plain": "1234"},
        "s": {"text/plain": "'A'"},
    }
    out = _convert(
        [
            v4.new_markdown_cell(
                "t {glue:text}`tau:.2f`, {glue:text}`tau:.1%`, {glue:text}`n:,` {glue:text}`s`"
            )
        ],
        glue,
    )
    assert out.cells[0].source == "t 0.12, 12.3%, 1,234 A"


def test_glue_md_and_missing_glue():
    out = _convert(
        [v4.new_markdown_cell("worst: {glue:md}`w`")],
        {"w": {"text/markdown": "**B**", "text/plain": "x"}},
    )
    assert out.cells[0].source == "worst: **B**"
    with pytest.raises(ReaderError, match="no glued value 'nope'"):
        _convert([v4.new_markdown_cell("{glue:text}`nope:.2f`")])


def test_citations_author_year_and_references_cell():
    out = _convert(
        [v4.new_markdown_cell("As {cite:t}`rubin1981` showed {cite:p}`gelman2006,rubin1981`.")]
    )
    assert out.cells[0].source == "As Rubin (1981) showed (Gelman, 2006; Rubin, 1981)."
    assert (
        out.cells[-1].source
        == "## References\n\n- Gelman (2006). Prior.\n- Rubin (1981). Estimation."
    )
    with pytest.raises(ReaderError, match=r"not in references\.bib"):
        _convert([v4.new_markdown_cell("{cite:p}`nobody2000`")])


def test_cross_references_link_to_the_website():
    out = _convert(
        [
            v4.new_markdown_cell(
                "See {doc}`02_x`, {doc}`this page <02_x>`, {numref}`fig-ch5-forest`, "
                "{numref}`Figure %s <fig-ch5-forest>`, {eq}`eq-shrinkage`, {ref}`sec-pooling` "
                "and [chapter 2](02_x.ipynb)."
            )
        ]
    )
    base = "https://example.org/course/book/"
    assert out.cells[0].source == (
        f"See [Eight schools, exactly]({base}02_x.html), [this page]({base}02_x.html), "
        f"[Fig. 3]({base}05_markets.html#fig-ch5-forest), "
        f"[Figure 3]({base}05_markets.html#fig-ch5-forest), "
        f"[(4)]({base}02_x.html#equation-eq-shrinkage), "
        f"[Partial pooling]({base}02_x.html#sec-pooling) and [chapter 2]({base}02_x.html)."
    )
    with pytest.raises(ReaderError, match="unknown label"):
        _convert([v4.new_markdown_cell("{ref}`nowhere`")])


def test_equation_label_becomes_a_tag_and_targets_go():
    out = _convert(
        [
            v4.new_markdown_cell(
                "(sec-x)=\n## S\n\n% a comment\n$$\na = b\n$$ (eq-shrinkage)\n\n"
                "As {eq}`eq-shrinkage`."
            )
        ]
    )
    assert out.cells[0].source == (
        "## S\n\n$$\na = b\n\\tag{4}\n$$\n\n"
        "As [(4)](https://example.org/course/book/02_x.html#equation-eq-shrinkage)."
    )


def test_equation_label_in_the_middle_of_a_cell_becomes_a_tag():
    out = _convert([v4.new_markdown_cell("Since\n\n$$\na = b\n$$ (eq-shrinkage)\n\nso on.")])
    assert out.cells[0].source == "Since\n\n$$\na = b\n\\tag{4}\n$$\n\nso on."


def test_exercises_are_numbered_headings_and_solutions_details():
    cells = [
        v4.new_markdown_cell(
            "## Exercises\n\n```{exercise}\n:label: ex-ch5-a\nDo A.\n```\n\n"
            "````{solution} ex-ch5-a\n:class: dropdown\nAnswer A.\n```python\nx = 1\n```\n````\n\n"
            "```{exercise} Harder\n:label: ex-ch5-b\nDo B, unlike {ref}`ex-ch5-a`.\n```\n\n"
            "```{solution-start} ex-ch5-b\n:class: dropdown\n```"
        ),
        v4.new_code_cell("b = 2"),
        v4.new_markdown_cell("So B is 2.\n\n```{solution-end}\n```\n\nAfter."),
        v4.new_code_cell("after = 3"),
    ]
    out = _convert(cells)
    first = out.cells[0].source
    assert first.startswith("## Exercises\n\n### Exercise 5.1\n\nDo A.\n\n<details>\n")
    assert "<summary><b>Solution to Exercise 5.1</b></summary>\n\nAnswer A.\n```python" in first
    assert "### Exercise 5.2: Harder\n\nDo B, unlike [Exercise 5.1](" in first
    assert first.endswith(
        "<summary><b>Solution to Exercise 5.2</b></summary>\n\n"
        "The code cells that follow, up to the end of this solution, compute the "
        "answer; they are collapsed: click a cell's left bar to show its code.\n\n"
        "</details>"
    )
    assert out.cells[1].metadata["jupyter"]["source_hidden"] is True
    assert out.cells[2].source == (
        "<details>\n<summary><b>Solution to Exercise 5.2 (continued)</b></summary>\n\n"
        "So B is 2.\n\n</details>\n\nAfter."
    )
    assert "jupyter" not in out.cells[3].metadata
    assert [c.id for c in out.cells] == [c.id for c in cells]
    assert not notebooks.notebook_markup(out)


def test_admonitions_become_block_quotes():
    out = _convert(
        [
            v4.new_markdown_cell(
                "```{note}\nMind {cite:t}`rubin1981`.\n```\n\n:::{warning} Careful\nX\n:::"
            )
        ]
    )
    assert out.cells[0].source == "> **Note**\n>\n> Mind Rubin (1981).\n\n> **Careful**\n>\n> X"


def test_outputs_are_dropped_and_code_kept():
    code = v4.new_code_cell(
        "print(1)", outputs=[v4.new_output("stream", text="1\n")], execution_count=3
    )
    out = _convert([code])
    assert out.cells[0].source == "print(1)" and out.cells[0].outputs == []
    assert out.cells[0].execution_count is None


@pytest.mark.parametrize(
    "text",
    [
        "{glue:text}`a:.2f`",
        "```{note}\nx\n```",
        ":::{note}\nx\n:::",
        "(label)=\n# T",
        "$$\nx\n$$ (eq-x)",
        "% comment",
        "+++",
        "{{ subst }}",
        "{cite:p}`a`",
    ],
)
def test_myst_markup_is_detected(text):
    assert notebooks.myst_markup(text)


@pytest.mark.parametrize(
    "text",
    ["plain $x$ and `{glue:text}` in code", "```python\n{x}`y`\n```", "a { b } `c`", "50% of"],
)
def test_plain_markdown_is_not_flagged(text):
    assert notebooks.myst_markup(text) == []


def test_bibliography_labels_are_author_year_and_disambiguated(tmp_path):
    bib = tmp_path / "r.bib"
    bib.write_text(
        "@article{a, author={Gelman, Andrew}, title={B title}, journal={J}, year={2006}}\n"
        "@article{b, author={Gelman, Andrew}, title={A title}, journal={J}, year={2006}}\n"
        "@book{c, author={Gelman, Andrew and Hill, Jennifer}, title={T}, publisher={P},"
        " year={2007}}\n"
        "@book{d, author={Borenstein, M. and Hedges, L. and Higgins, J.}, title={I},"
        " publisher={W \\& S}, year={2009}}\n"
    )
    bib_ = notebooks.bibliography.__wrapped__(bib)
    assert bib_.labels == {
        "a": ("Gelman", "2006b"),
        "b": ("Gelman", "2006a"),
        "c": ("Gelman and Hill", "2007"),
        "d": ("Borenstein et al.", "2009"),
    }
    assert bib_.entries["c"].startswith("Gelman and Hill (2007). Andrew Gelman and Jennifer Hill.")
