"""Build every assignment with otter and grade real and broken submissions with `make grade`.

Slow (otter executes every submission in a fresh kernel): run by `make test-assignments`,
which `.ci/run` calls after `make test`; `make test` itself does not run these.

For every assignment, one folder of submissions is graded in one call, exactly as an
instructor would: the solution notebook, the untouched student notebook, a notebook
wrong on exactly one question, one raising in its first cell, one looping forever, a
file that is not JSON and a file that is not a notebook. Each row must have the right
total and say why points were lost.
"""

import csv
import json
import re
from pathlib import Path

import nbformat
import pytest

from tools import assignments as tool
from tools.book import ROOT

NAMES = [p.stem for p in tool.assignments()]


@pytest.fixture(scope="session")
def timing():
    """Build every assignment once (otter assign, then the solution graded in full)."""
    return tool.build()


def _notebooks(name):
    out = tool.OUT / name
    solution = nbformat.read(out / "autograder" / f"{name}.ipynb", as_version=4)
    student = nbformat.read(out / "student" / f"{name}.ipynb", as_version=4)
    return solution, student


def _answer_cells(nb):
    """Indices of answer cells and the question each belongs to (its next grader.check)."""
    found = {}
    pending = []
    for i, cell in enumerate(nb.cells):
        tags = set(cell.metadata.get("tags", []))
        if tags & {"otter_answer_cell", "otter_assign_solution_cell"} and cell.cell_type == "code":
            pending.append(i)
        match = re.fullmatch(r'grader\.check\("(\w+)"\)', cell.source.strip())
        if match:
            found[match.group(1)] = pending
            pending = []
    return found


def _first_code_after_setup(nb):
    return next(
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and "colab-setup" not in c.metadata.get("tags", [])
    )


def _submissions(name, folder: Path) -> dict:
    """Write the test submissions into ``folder``; return file name -> expected total."""
    solution, student = _notebooks(name)
    questions = tool.autograded(tool.source(name))
    full = float(sum(q["points"] for q in questions))
    expected = {}

    nbformat.write(solution, folder / "a_solution.ipynb")
    expected["a_solution.ipynb"] = (full, None)

    nbformat.write(student, folder / "b_untouched.ipynb")
    expected["b_untouched.ipynb"] = (0.0, "lost points on")

    # wrong on exactly one question: the last autograded one (no other question uses its
    # answer), whose answer cells get the student's version with every `...` set to 0.0
    last = questions[-1]
    wrong = nbformat.from_dict(json.loads(json.dumps(solution)))
    sol_cells, stu_cells = _answer_cells(solution), _answer_cells(student)
    for i, j in zip(sol_cells[last["name"]], stu_cells[last["name"]], strict=True):
        wrong.cells[i].source = student.cells[j].source.replace("...", "0.0")
    nbformat.write(wrong, folder / "c_wrong_last.ipynb")
    expected["c_wrong_last.ipynb"] = (full - last["points"], f"lost points on {last['name']}")

    raising = nbformat.from_dict(json.loads(json.dumps(solution)))
    first = _first_code_after_setup(raising)
    raising.cells[first].source = 'raise RuntimeError("broken first cell")\n' + (
        raising.cells[first].source
    )
    nbformat.write(raising, folder / "d_raises.ipynb")
    expected["d_raises.ipynb"] = (0.0, "a cell raised RuntimeError: broken first cell")

    looping = nbformat.from_dict(json.loads(json.dumps(solution)))
    looping.cells.insert(first + 1, nbformat.v4.new_code_cell("while True:\n    pass"))
    nbformat.write(looping, folder / "e_loops.ipynb")
    expected["e_loops.ipynb"] = (0.0, "stopped at the time limit")

    (folder / "f_not_json.ipynb").write_text("this is not a notebook {")
    expected["f_not_json.ipynb"] = (0.0, "not a valid notebook")

    (folder / "g_notes.txt").write_text("I could not get it to run.")
    expected["g_notes.txt"] = (0.0, "not a notebook (.txt)")
    return expected


def _limit(timing, name):
    """Time limit for the tests: twice the solution's grading time in this run, at least 60 s."""
    return max(60.0, 2 * timing["assignments"][name]["grade_seconds"])


@pytest.mark.parametrize("name", NAMES)
def test_grading_scores_every_kind_of_submission(name, timing, tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    expected = _submissions(name, folder)
    out = tool.grade(name, folder, timeout=_limit(timing, name), out=tmp_path / "grades.csv")
    rows = {row["file"]: row for row in csv.DictReader(out.open())}
    assert set(rows) == set(expected)
    questions = tool.autograded(tool.source(name))
    header = next(csv.reader(out.open()))
    names = [q["name"] for q in questions]
    assert header == ["file", *names, "total", "possible", "seconds", "notes"]
    for file, (total, note) in expected.items():
        row = rows[file]
        assert float(row["total"]) == total, (file, row)
        assert float(row["possible"]) == sum(q["points"] for q in questions)
        assert float(row["total"]) == sum(float(row[q["name"]]) for q in questions)
        if note is None:
            assert "lost points" not in row["notes"] and "raised" not in row["notes"], row
        else:
            assert note in row["notes"], (file, row["notes"])


@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_holds_no_solution_and_no_hidden_test(name, timing):
    source = nbformat.read(tool.source(name), as_version=4)
    student = json.loads((tool.OUT / name / "student" / f"{name}.ipynb").read_text())
    tests_code = [
        case["code"]
        for test in student["metadata"]["otter"]["tests"].values()
        for suite in test["suites"]
        for case in suite["cases"]
    ]
    student_text = "\n".join(["".join(c["source"]) for c in student["cells"]] + tests_code)
    secrets, public = [], []
    inside = None
    for cell in source.cells:
        if inside is None or (inside == "tests" and "hidden: true" not in cell.source):
            public.append(cell.source)  # what students may see: data, prompts, public tests
        if cell.cell_type == "raw":
            text = cell.source.strip()
            if text.startswith("# BEGIN SOLUTION"):
                inside = "solution"
            elif text.startswith("# BEGIN TESTS"):
                inside = "tests"
            elif text.startswith("# END"):
                inside = None
            continue
        if inside == "solution":
            for line in cell.source.splitlines():
                if line.rstrip().endswith("# SOLUTION"):
                    secrets.append(line.split("=", 1)[-1].replace("# SOLUTION", "").strip())
                elif cell.cell_type == "markdown" and len(line.strip()) >= 30:
                    secrets.append(line.strip())
        if inside == "tests" and "hidden: true" in cell.source:
            body = cell.source.split("# END TEST CONFIG", 1)[1]
            secrets += [ln.strip() for ln in body.splitlines() if len(ln.strip()) >= 20]
    public_text = "\n".join(public)
    secrets = [s for s in secrets if s not in public_text]
    assert secrets
    leaked = [s for s in secrets if len(s) >= 8 and s in student_text]
    assert not leaked, f"{name}: student notebook contains {leaked[:3]}"
    for test in student["metadata"]["otter"]["tests"].values():
        for suite in test["suites"]:
            assert not any(case["hidden"] for case in suite["cases"])
    solution_cells = [
        c for c in student["cells"] if "otter_assign_solution_cell" in c["metadata"].get("tags", [])
    ]
    assert not solution_cells


def test_build_records_the_grading_time_of_every_assignment(timing):
    assert set(timing["assignments"]) == set(NAMES)
    for name, row in timing["assignments"].items():
        assert row["grade_seconds"] > 0, name
        assert 3 <= row["autograded_questions"] <= 5 and row["manual_questions"] >= 1, name
    assert timing["t_import"] > 0


@pytest.mark.skipif(not tool.sandbox_available(), reason="no sandbox (needs root, unshare)")
def test_a_submission_cannot_read_others_or_write_outside_its_folder(timing, tmp_path):
    name = NAMES[0]
    folder = tmp_path / "submissions"
    folder.mkdir()
    solution, _ = _notebooks(name)
    (folder / "other_student.ipynb").write_text("secret answers")
    marker = ROOT / "_build" / "escaped.txt"
    marker.unlink(missing_ok=True)
    attack = nbformat.from_dict(json.loads(json.dumps(solution)))
    attack.cells.append(
        nbformat.v4.new_code_cell(
            f'leak = open("{folder / "other_student.ipynb"}").read()\nprint(leak)'
        )
    )
    attack.cells.append(nbformat.v4.new_code_cell(f'open("{marker}", "w").write("out")'))
    attack.cells.append(nbformat.v4.new_code_cell('open("/tmp/escaped.txt", "w").write("x")'))
    nbformat.write(attack, folder / "attack.ipynb")
    out = tool.grade(name, folder, timeout=_limit(timing, name), out=tmp_path / "grades.csv")
    rows = {row["file"]: row for row in csv.DictReader(out.open())}
    row = rows["attack.ipynb"]
    assert "a cell raised FileNotFoundError" in row["notes"], row
    assert float(row["total"]) == float(row["possible"])  # its own answers still count
    assert not marker.exists()
    assert not Path("/tmp/escaped.txt").exists()
    assert not list(tool.WORK.glob(f"{name}-*")), "working folders are removed"
