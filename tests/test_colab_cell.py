"""The hidden Colab set-up cell: present in every chapter, generated, and correct."""

import importlib.util
import subprocess
import tomllib

import nbformat
import pytest
from packaging.requirements import Requirement

from tools import colab_cell
from tools.book import ROOT, chapters, repository

CHAPTERS = chapters()


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_every_chapter_starts_with_the_setup_cell(nb):
    problems = colab_cell.problems(nbformat.read(nb, as_version=4))
    assert not problems, f"{nb.name}: {problems}; run make colab-cell"


def _run_cell(monkeypatch, helpers_installed):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append((a, k)))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: real_find_spec(name, *a) if helpers_installed else None,
    )
    exec(colab_cell.source(), {})
    return calls


def test_setup_cell_does_nothing_where_helpers_is_installed(monkeypatch):
    assert _run_cell(monkeypatch, helpers_installed=True) == []


def test_setup_cell_installs_the_package_with_the_lock_as_constraints(monkeypatch, capsys):
    url, branch = repository()
    calls = _run_cell(monkeypatch, helpers_installed=False)
    assert len(calls) == 1
    (command,), kwargs = calls[0]
    assert kwargs == {"check": True}
    assert command[1:7] == ["-m", "pip", "install", "--quiet", "--constraint", command[6]]
    owner_repo = url.removeprefix("https://github.com/")
    assert (
        command[6] == f"https://raw.githubusercontent.com/{owner_repo}/{branch}/requirements.lock"
    )
    requirement = Requirement(command[7])
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert requirement.name == project["name"]
    assert requirement.url == f"git+{url}@{branch}"
    assert requirement.extras == {"notebook"}
    # numpy etc. are imported in this test process, so the cell asks for a restart
    assert "restart the session" in capsys.readouterr().out


def test_setup_cell_installs_from_a_local_clone_for_the_rehearsal(monkeypatch, tmp_path):
    monkeypatch.setenv(colab_cell.REPOSITORY_ENV, f"file://{tmp_path}")
    (command,), _ = _run_cell(monkeypatch, helpers_installed=False)[0]
    assert command[6] == f"{tmp_path}/requirements.lock"
    assert Requirement(command[7]).url == f"git+file://{tmp_path}@{repository()[1]}"


def test_notebook_extra_is_pinned_by_the_lock():
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["notebook"]
    lock = (ROOT / "requirements.lock").read_text().lower()
    for name in extra:
        assert f"\n{Requirement(name).name.lower()}==" in lock, f"{name} is not in the lock"


def _notebook():
    v4 = nbformat.v4
    return v4.new_notebook(
        cells=[
            v4.new_markdown_cell("# Title"),
            v4.new_code_cell("import numpy as np"),
            v4.new_code_cell("x = 1", metadata={"tags": ["colab-setup"]}),
        ]
    )


def test_apply_inserts_before_the_first_code_cell_and_is_idempotent():
    nb = _notebook()
    assert colab_cell.problems(nb)
    assert colab_cell.apply(nb) is True
    assert [c.source for c in nb.cells][::2] == ["# Title", "import numpy as np"]
    assert nb.cells[1].source == colab_cell.source()
    assert nb.cells[1].metadata["tags"] == colab_cell.TAGS
    assert len(nb.cells) == 3, "the misplaced tagged cell is replaced, not kept"
    assert colab_cell.problems(nb) == []
    assert colab_cell.apply(nb) is False


def test_apply_updates_a_stale_cell_in_place():
    nb = _notebook()
    colab_cell.apply(nb)
    cell_id = nb.cells[1].id
    nb.cells[1].source = nb.cells[1].source.replace("main", "old-branch")
    nb.cells[1].metadata["tags"] = ["colab-setup", "hide-input"]
    assert colab_cell.problems(nb)
    assert colab_cell.apply(nb) is True
    assert nb.cells[1].id == cell_id
    assert nb.cells[1].source == colab_cell.source()
    assert nb.cells[1].metadata["tags"] == [*colab_cell.TAGS, "hide-input"]


def test_setup_cell_needs_a_github_repository(tmp_path):
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://gitlab.com/a/b\n")
    with pytest.raises(ValueError, match=r"repository\.url"):
        colab_cell.source(tmp_path)
