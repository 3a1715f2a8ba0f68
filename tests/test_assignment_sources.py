"""The assignment sources (assignments/NN_name.ipynb): otter format, points, plain Markdown.

Fast checks of the source notebooks only; building them with otter and grading
submissions is tested in tests/assignments (make test-assignments).
"""

import ast
import re

import nbformat
import pytest
import yaml

from tools import assignments as tool
from tools import colab_cell
from tools.book import ROOT, chapters

SOURCES = tool.assignments()
#: MyST-only markup that Jupyter, Colab and GitHub show verbatim.
MYST_ONLY = re.compile(
    r"```\{|:::|\{(glue|doc|eq|numref|ref|cite|cite:t|cite:p|math)\}`|\(\w[\w-]*\)="
)


def test_there_is_an_assignment_for_every_chapter_of_the_first_eight():
    names = {p.stem for p in SOURCES}
    firsts = [p.stem for p in chapters() if re.match(r"0[1-8]_", p.name)]
    assert len(firsts) == 8
    assert set(firsts) <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_assignment_is_named_after_a_chapter(path):
    assert path.stem in {p.stem for p in chapters()}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_assignment_config_and_questions(path):
    nb = nbformat.read(path, as_version=4)
    config = yaml.safe_load(nb.cells[0].source)
    assert nb.cells[0].cell_type == "raw" and nb.cells[0].source.startswith("# ASSIGNMENT CONFIG")
    assert config["name"] == path.stem
    assert config["tests"] == {"files": False}  # public tests travel inside the notebook
    questions = tool.questions(path)
    auto = [q for q in questions if not q["manual"]]
    assert 3 <= len(auto) <= 5
    assert any(q["manual"] for q in questions)
    assert [q["name"] for q in questions] == [f"q{i}" for i in range(1, len(questions) + 1)]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_points_stated_in_each_prompt_and_in_the_introduction(path):
    nb = nbformat.read(path, as_version=4)
    questions = {q["name"]: q for q in tool.questions(path)}
    for i, cell in enumerate(nb.cells):
        config = tool._raw_yaml(cell, "BEGIN QUESTION")
        if config is None:
            continue
        prompt = nb.cells[i + 1]
        q = questions[str(config["name"])]
        number = int(q["name"][1:])
        pattern = rf"\*\*Question {number} \((written, )?(\d+) points?\)\.\*\*"
        stated = re.search(pattern, prompt.source)
        assert stated, f"{path.name} {q['name']}: the prompt must state its points"
        assert int(stated.group(2)) == q["points"]
        assert bool(stated.group(1)) == q["manual"]
    total = sum(q["points"] for q in questions.values())
    assert f"{total} points in all" in nb.cells[1].source


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_every_autograded_question_has_public_and_hidden_tests(path):
    nb = nbformat.read(path, as_version=4)
    current, public, hidden, in_tests = None, {}, {}, False
    for cell in nb.cells:
        config = tool._raw_yaml(cell, "BEGIN QUESTION")
        if config is not None:
            current = str(config["name"])
        if cell.cell_type == "raw" and cell.source.strip() in ("# BEGIN TESTS", "# END TESTS"):
            in_tests = cell.source.strip() == "# BEGIN TESTS"
        elif in_tests and cell.cell_type == "code":
            kind = hidden if "hidden: true" in cell.source else public
            kind[current] = kind.get(current, 0) + 1
            if "hidden: true" in cell.source:
                assert re.search(r"^points: \d+$", cell.source, re.M)
    for q in tool.autograded(path):
        assert public.get(q["name"]) and hidden.get(q["name"]), f"{path.name} {q['name']}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_assignment_is_plain_markdown_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert not MYST_ONLY.search(cell.source), f"{path.name}: MyST-only markup"
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_assignment_starts_with_its_setup_cell_and_initialises_otter(path):
    nb = nbformat.read(path, as_version=4)
    assert not colab_cell.problems(nb, kind="assignment"), "run make colab-cell"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert f'grader = otter.Notebook("{path.name}")' in code[1].source


def test_assignment_setup_cell_installs_the_assign_extra():
    text = colab_cell.source(ROOT, "assignment")
    assert "borrowing-strength[assign] @ git+" in text
    # it installs when the course or otter-grader is missing (by distribution name)
    assert 'for name in ["borrowing-strength", "otter-grader"]:' in text
    assert colab_cell.MARKER.decode() in text


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_solution_markers_cover_whole_statements(path):
    """otter replaces each line marked `# SOLUTION` by `...` (or `name = ...`): a marked
    statement spread over several lines leaves the student a syntax error."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code" or "# SOLUTION" not in cell.source:
            continue
        lines = cell.source.split("\n")
        tree = ast.parse("\n".join("#" if s.lstrip().startswith("%") else s for s in lines))
        for node in tree.body:
            marked = [
                lines[i].rstrip().endswith("# SOLUTION")
                for i in range(node.lineno - 1, node.end_lineno)
            ]
            assert not any(marked) or node.lineno == node.end_lineno, (
                f"{path.name} cell {cell.id}: the statement at line {node.lineno} is marked "
                "`# SOLUTION` but spans several lines; split it into one-line statements"
            )
