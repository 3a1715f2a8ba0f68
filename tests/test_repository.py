"""Checks of the repository itself: TOC, notebooks, pins and entry points agree."""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


def _toc_files():
    from tools.book import toc_documents

    return toc_documents(ROOT)


def test_toc_and_book_list_the_same_chapters():
    in_toc = [f for f in _toc_files() if re.match(r"book/\d\d_", f)]
    on_disk = [f"book/{nb.stem}" for nb in NOTEBOOKS]
    assert in_toc == on_disk, "every book/NN_*.ipynb must be in _toc.yml, in order"
    assert on_disk, "the book has no chapters"


def test_every_toc_entry_exists():
    for entry in _toc_files():
        matches = list(ROOT.glob(entry + ".*"))
        assert matches, f"_toc.yml lists {entry}, which does not exist"


def test_intro_chapter_map_links_every_chapter():
    intro = (ROOT / "book" / "intro.md").read_text()
    for nb in NOTEBOOKS:
        assert f"({nb.name})" in intro, f"book/intro.md chapter map misses {nb.name}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(nb):
    cells = json.loads(nb.read_text())["cells"]
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{nb.name} cell {i} has outputs"
            assert cell.get("execution_count") is None, f"{nb.name} cell {i} has a count"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_follow_conventions(nb):
    cells = json.loads(nb.read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells)
    assert "Learning objectives" in "".join(cells[1]["source"]) + "".join(cells[0]["source"])
    assert text.count("```{exercise}") >= 4, f"{nb.name} needs at least 4 exercises"
    code = [c for c in cells if c["cell_type"] == "code"]
    assert "%watermark" in "".join(code[-1]["source"]), f"{nb.name}: watermark cell must be last"
    assert "style.setup()" in text, f"{nb.name} must call helpers.style.setup()"
    if "pm.sample(" in text or "nutpie.sample(" in text:
        assert "check_sampling(" in text, f"{nb.name} samples without check_sampling"
    if "pm.sample(" in text:
        assert re.search(r"progressbar\W{1,4}False", text), (
            f"{nb.name}: progress bars pollute the page"
        )
    for i, cell in enumerate(code):
        fig = cell.get("metadata", {}).get("mystnb", {}).get("figure")
        if fig:
            assert fig.get("caption"), f"{nb.name} cell {i}: figure without caption"
            alt = cell["metadata"]["mystnb"].get("image", {}).get("alt")
            assert alt, f"{nb.name} cell {i}: figure without alt text"


#: A chapter's code cells are short: at most this many over LONG_CELL_LINES lines
#: (the generated Colab set-up cell aside), so computing, showing and checking
#: stay in cells of their own (CONTRIBUTING.md, "Shape").
MAX_LONG_CELLS, LONG_CELL_LINES = 2, 25


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_have_at_most_two_long_code_cells(nb):
    cells = json.loads(nb.read_text())["cells"]
    long = [
        cell.get("id")
        for cell in cells
        if cell["cell_type"] == "code"
        and "colab-setup" not in cell.get("metadata", {}).get("tags", [])
        and len("".join(cell["source"]).splitlines()) > LONG_CELL_LINES
    ]
    assert len(long) <= MAX_LONG_CELLS, (
        f"{nb.name}: code cells {long} are over {LONG_CELL_LINES} lines; "
        f"at most {MAX_LONG_CELLS} may be"
    )


def _lock_pins():
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def test_lock_pins_every_package_exactly():
    pins = _lock_pins()
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[^=\s]+", p) for p in pins), pins
    names = [p.split("==")[0].lower() for p in pins]
    assert len(names) == len(set(names))
    for required in [
        "jupyter-book",
        "pymc",
        "nutpie",
        "arviz",
        "numpy",
        "scipy",
        "pandas",
        "matplotlib",
        "statsmodels",
        "pytest",
        "nbmake",
        "sphinx-exercise",
        "sphinxcontrib-bibtex",
        "ruff",
        "watermark",
    ]:
        assert required in names, f"{required} missing from requirements.lock"


def _version(name):
    for pin in _lock_pins():
        if pin.split("==")[0].lower() == name:
            return pin.split("==")[1]
    raise AssertionError(name)


def test_lock_has_the_major_versions_the_course_is_written_for():
    assert _version("jupyter-book").startswith("1.")
    assert _version("pymc").startswith("6.")
    assert _version("arviz").startswith("1.")


def test_environment_yml_matches_lock_and_python_version():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = (ROOT / ".python-version").read_text().strip()
    deps = env["dependencies"]
    assert f"python={python}" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert set(pip) <= set(_lock_pins()), "environment.yml is stale: run `make lock`"


def test_environment_yml_has_the_runtime_and_no_development_tool():
    """Binder installs what notebooks import (and their requirements), no build or test tools.

    Playwright is not on the list: otter-grader, which the assignments import,
    requires nbconvert[webpdf], which requires it.
    """
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    names = {p.split("==")[0].lower() for p in pip}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    runtime = [*project["dependencies"], *extras["notebook"], *extras.get("assign", [])]
    runtime = {re.split(r"[<>=!~\[; ]", r)[0].lower() for r in runtime}
    assert runtime <= names, f"Binder lacks {runtime - names}"
    assert "ipykernel" in names
    tools = {
        "jupyter-book",
        "pytest",
        "nbmake",
        "ruff",
        "sphinx-book-theme",
        "sphinx-exercise",
        "sphinxcontrib-bibtex",
    }
    assert not tools & names, f"development tools on Binder: {sorted(tools & names)}"
    assert len(names) < len(_lock_pins()), "Binder installs the whole lock"


def test_python_version_file_matches_running_interpreter():
    python = (ROOT / ".python-version").read_text().strip()
    assert python == "3.13"
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == python


def test_environment_yml_is_what_the_generator_writes():
    out = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "sync_environment.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_binder_postbuild_installs_the_package():
    post = (ROOT / "postBuild").read_text()
    assert "pip install" in post and "-e ." in post


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme
    assert re.search(r"^make test\s*$", (ROOT / ".ci" / "run").read_text(), re.M)


def test_ci_installs_chromium_and_forbids_skipping_the_browser_tests():
    run = (ROOT / ".ci" / "run").read_text()
    assert "apt-get install" in run and "chromium" in run
    assert re.search(r"^export REQUIRE_BROWSER=1\s*$", run, re.M)
    assert run.index("REQUIRE_BROWSER=1") < run.index("make test")


def _chapters_drawing_models():
    return [
        p.name
        for p in sorted((ROOT / "book").glob("[0-9]*.ipynb"))
        if "model_to_graphviz" in p.read_text()
    ]


def test_graphviz_dot_is_installed_wherever_chapters_draw_models():
    """pm.model_to_graphviz runs Graphviz's dot, which no PyPI package installs.

    CI installs Debian's graphviz, Binder conda-forge's (environment.yml), and
    the README names it beside Chromium.
    """
    assert _chapters_drawing_models(), "no chapter draws its model: drop this test and Graphviz"
    run = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"command -v dot .*missing\+=\(graphviz\)", run)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "graphviz" in env["dependencies"], "Binder has no dot: run `make lock`"
    assert "apt-get install -y graphviz" in " ".join((ROOT / "README.md").read_text().split())


def test_repository_url_has_one_source():
    """_config.yml is the single source of the repository URL.

    The only other files allowed to hold it are CITATION.cff (whose
    ``repository-code`` tests/test_release.py compares with _config.yml), and
    chapters and assignments, only inside their Colab set-up cell, which must
    be exactly what tools/colab_cell.py writes from _config.yml (so editing
    _config.yml and not the notebooks fails here).
    """
    from tools import colab_cell
    from tools.book import assignments

    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    holders = [
        f for f in tracked if (ROOT / f).is_file() and url in (ROOT / f).read_text(errors="ignore")
    ]
    chapters = {f"book/{nb.name}" for nb in NOTEBOOKS}
    kinds = dict.fromkeys(chapters, "chapter") | {
        f"assignments/{nb.name}": "assignment" for nb in assignments()
    }
    assert "_config.yml" in holders
    for holder in set(holders) - {"_config.yml", "CITATION.cff"}:
        assert holder in kinds, f"{holder} repeats the repository URL of _config.yml"
        cells = json.loads((ROOT / holder).read_text())["cells"]
        setup = [c for c in cells if "colab-setup" in c.get("metadata", {}).get("tags", [])]
        expected = colab_cell.source(kind=kinds[holder])
        assert len(setup) == 1 and "".join(setup[0]["source"]) == expected, (
            f"{holder}: Colab set-up cell is stale: run make colab-cell"
        )
        rest = [c for c in cells if c is not setup[0]]
        assert not any(url in "".join(c["source"]) for c in rest), (
            f"{holder} repeats the repository URL outside its set-up cell"
        )


def test_licences_exist_and_are_named_where_adopters_look():
    """MIT for the code, CC BY 4.0 for the content: files, README, pyproject, site footer."""
    mit = (ROOT / "LICENSE").read_text()
    assert mit.startswith("MIT License") and "Permission is hereby granted" in mit
    content = (ROOT / "LICENSE-content").read_text()
    assert "Attribution 4.0 International Public License" in content
    assert "Section 8 -- Interpretation." in content, "the full legal code, not a summary"
    readme = (ROOT / "README.md").read_text()
    assert "(LICENSE)" in readme and "(LICENSE-content)" in readme
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT AND CC-BY-4.0"
    assert project["license-files"] == ["LICENSE", "LICENSE-content"]
    footer = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["extra_footer"]
    assert "LICENSE-content" in footer and "CC BY 4.0" in footer
    assert "(LICENSE)" in footer and "MIT" in footer


def test_every_shipped_data_set_states_its_source_and_terms():
    import helpers.datasets

    doc = helpers.datasets.__doc__
    shipped = sorted(p.name for p in (ROOT / "helpers" / "datasets").glob("*.csv"))
    assert shipped
    for name in shipped:
        assert f"``{name}``" in doc, f"helpers/datasets/__init__.py does not describe {name}"
        entry = doc.split(f"``{name}``", 1)[1].split("\n\n``", 1)[0]
        assert "Source:" in entry and "Terms:" in entry, f"{name}: state its Source: and Terms:"
        assert re.search(r"https://\S+", entry), f"{name}: link its source"


def test_issues_button_is_on_so_readers_can_report_a_problem():
    html = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]
    assert html["use_issues_button"] is True


def test_every_helpers_package_is_installed_and_no_module_is_long():
    # A non-editable install (Colab, Binder) ships only the packages pyproject lists.
    pyproject = (ROOT / "pyproject.toml").read_text()
    listed = set(re.findall(r'"(helpers[\w.]*)"', pyproject.split("[tool.setuptools]")[1]))
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in ROOT.glob("helpers/**/__init__.py")
    }
    assert on_disk <= listed, f"add {sorted(on_disk - listed)} to [tool.setuptools] packages"
    long = {
        str(p.relative_to(ROOT)): n
        for p in ROOT.glob("helpers/**/*.py")
        if (n := len(p.read_text().splitlines())) > 500
    }
    assert not long, f"helpers modules over 500 lines (split them): {long}"
