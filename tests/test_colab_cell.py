"""The hidden Colab set-up cell: present in every chapter, generated, and correct."""

import importlib.metadata
import importlib.util
import subprocess
import sys
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


def _run_cell(monkeypatch, installed):
    """Execute the set-up cell here, recording pip calls instead of running them."""
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append((a, k)))
    if not installed:
        real = importlib.metadata.distribution

        def missing(name):
            if name == colab_cell.DISTRIBUTION:
                raise importlib.metadata.PackageNotFoundError(name)
            return real(name)

        monkeypatch.setattr(importlib.metadata, "distribution", missing)
    exec(colab_cell.source(), {})
    return calls


def test_setup_cell_does_nothing_where_the_course_is_installed(monkeypatch):
    assert _run_cell(monkeypatch, installed=True) == []


def test_setup_cell_installs_the_package_with_the_lock_as_constraints(monkeypatch, capsys):
    url, ref = repository()
    calls = _run_cell(monkeypatch, installed=False)
    assert len(calls) == 1
    (command,), kwargs = calls[0]
    assert kwargs == {"check": True}
    assert command[1:7] == ["-m", "pip", "install", "--quiet", "--constraint", command[6]]
    owner_repo = url.removeprefix("https://github.com/")
    assert command[6] == f"https://raw.githubusercontent.com/{owner_repo}/{ref}/requirements.lock"
    requirement = Requirement(command[7])
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert requirement.name == project["name"] == colab_cell.DISTRIBUTION
    assert requirement.url == f"git+{url}@{ref}"
    assert requirement.extras == {"notebook"}
    # numpy etc. are imported in this test process, so the cell asks for a restart
    assert "restart the session" in capsys.readouterr().out


def test_the_course_package_carries_the_marker_the_cell_looks_for():
    assert colab_cell.MARKER in (ROOT / "helpers" / "__init__.py").read_bytes()
    assert colab_cell.MARKER.decode() in colab_cell.source()


def test_setup_cell_rejects_a_foreign_helpers_module_on_sys_path(monkeypatch, tmp_path):
    """A learner's helpers.py earlier on sys.path: the cell stops and says what to do."""
    (tmp_path / "helpers.py").write_text("def mean(x):\n    return sum(x) / len(x)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "helpers", raising=False)
    importlib.invalidate_caches()
    assert importlib.util.find_spec("helpers").origin == str(tmp_path / "helpers.py")
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    with pytest.raises(ImportError, match="rename") as err:
        exec(colab_cell.source(), {})
    assert str(tmp_path / "helpers.py") in str(err.value)
    assert calls == [], "the course is installed: nothing to install"


@pytest.mark.parametrize("kind", ["module", "package", "namespace"])
def test_setup_cell_in_a_fresh_kernel_next_to_a_foreign_helpers(tmp_path, kind):
    """As Jupyter runs it: a fresh Python whose first sys.path entry is the notebook's folder."""
    if kind == "module":
        (tmp_path / "helpers.py").write_text("x = 1\n")
    else:
        (tmp_path / "helpers").mkdir()
        if kind == "package":
            (tmp_path / "helpers" / "__init__.py").write_text("x = 1\n")
    out = subprocess.run(
        [sys.executable, "-c", colab_cell.source()],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1
    assert "ImportError: `import helpers` finds" in out.stderr
    assert str(tmp_path / "helpers") in out.stderr
    assert "rename that one" in out.stderr


def test_setup_cell_in_a_fresh_kernel_with_only_the_course(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", colab_cell.source()],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""


def test_setup_cell_installs_from_a_local_clone_for_the_rehearsal(monkeypatch, tmp_path):
    monkeypatch.setenv(colab_cell.REPOSITORY_ENV, f"file://{tmp_path}")
    (command,), _ = _run_cell(monkeypatch, installed=False)[0]
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
    nb.cells[1].source = nb.cells[1].source.replace('"main"', '"old-branch"')
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
