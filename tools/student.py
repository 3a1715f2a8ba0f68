"""Build the student edition: the same course with every solution cut out.

Usage: ``python tools/student.py`` after ``make book`` (``make student`` does both).
It has two steps, which ``make test`` runs apart: ``python tools/student.py
site`` needs only the chapters' execution (``make notebooks``), so it runs
while the instructor site is built; ``python tools/student.py notebooks``
then writes the reader notebooks, which take the numbers of figures,
equations and exercises from the instructor build.

Solutions come in two forms (CONTRIBUTING.md): a ``{solution}`` directive in a
markdown cell, and the gated form, a ``{solution-start}`` directive, code and
markdown cells, then ``{solution-end}``. :func:`strip_solutions` removes both
from a notebook: the directive blocks, every cell between the gates, and any
cell left empty. Nothing is hidden; the text is gone.

The edition is built without executing anything again. Each chapter's
outputs come from the instructor build's execution cache, which must hold the
chapter's current code (else this script stops: run ``make book``). The
executed chapters, stripped, and a copy of every other page go into a
temporary book (``_build/student-src``) whose configuration turns execution
off, points the Binder and Colab buttons at the student notebooks that
``make publish-notebooks`` puts under ``student/`` of the published ref
(``repository.path_to_book: student``), and drops the repository and edit
buttons (they lead to the sources, solutions included). Its introduction
has its own *How to use it* section (``book/student_how_to_use.md``). The
result:

- ``_build/student/``: the website;
- ``_build/student/notebooks/NN_name.ipynb``: each chapter stripped, as a
  reader notebook (plain Markdown, glued values filled in, no outputs; see
  ``tools/notebooks.py``); the site's download button offers the same files.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.book import BUILD, ROOT, chapters, config
from tools.fences import FENCE, closing
from tools.publish import STUDENT_PREFIX

SOURCE_TREE = BUILD / "student-src"
#: Pages of the table of contents that the student edition leaves out.
INSTRUCTOR_ONLY = {"book/instructors"}
#: The student edition's own *How to use it* section of the introduction.
STUDENT_HOW_TO = Path("book") / "student_how_to_use.md"
OUTPUT = BUILD / "student"

_SOLUTION = re.compile(r"^\{(solution|solution-start|solution-end)\}")


class SolutionSyntaxError(ValueError):
    """A notebook's solutions are not well formed (unclosed or unbalanced)."""


def _strip_markdown(text: str, gated: bool) -> tuple[str, bool, int]:
    """Cut solutions out of one markdown cell.

    Returns the remaining text, whether a gated solution is still open at the
    end of the cell, and the number of solutions that started in it.
    """
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    count = 0
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i].rstrip("\n"))
        if not fence:
            if not gated:
                kept.append(lines[i])
            i += 1
            continue
        end = closing(lines, i, fence.group(2), SolutionSyntaxError)
        directive = _SOLUTION.match(fence.group(3).strip())
        name = directive.group(1) if directive else None
        if name == "solution":
            if gated:
                raise SolutionSyntaxError("a {solution} inside a gated solution")
            count += 1
        elif name == "solution-start":
            if gated:
                raise SolutionSyntaxError("{solution-start} inside a gated solution")
            gated = True
            count += 1
        elif name == "solution-end":
            if not gated:
                raise SolutionSyntaxError("{solution-end} without {solution-start}")
            gated = False
        elif not gated:
            kept.extend(lines[i : end + 1])
        i = end + 1
    return "".join(kept), gated, count


def strip_solutions(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int]:
    """Return a copy of ``nb`` without solutions, and how many were removed.

    Raises
    ------
    SolutionSyntaxError
        If a fence is never closed, gates are unbalanced, or solution text
        would survive the cut.
    """
    out = copy.deepcopy(nb)
    out.cells = []
    gated = False
    removed = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            if not gated:
                out.cells.append(copy.deepcopy(cell))
            continue
        try:
            text, gated, count = _strip_markdown(cell.source, gated)
        except SolutionSyntaxError as err:
            raise SolutionSyntaxError(f"cell {index}: {err}") from None
        removed += count
        if text.strip():
            new = copy.deepcopy(cell)
            new.source = text.strip("\n")
            out.cells.append(new)
    if gated:
        raise SolutionSyntaxError("{solution-start} without {solution-end}")
    for cell in out.cells:
        if re.search(r"\{solution(-start|-end)?\}", cell.source):
            raise SolutionSyntaxError("solution text survived the cut")
    return out, removed


def student_intro(intro: str, how_to_use: str) -> str:
    """Return the introduction ``intro`` with its *How to use it* section for students.

    The instructor edition's section says where solutions are and how to build
    the course; the student edition's (``book/student_how_to_use.md``) says
    how to run the notebooks and where the exercises are, and nothing of
    solutions. The rest of the introduction is shared.
    """
    heading = how_to_use.lstrip().splitlines()[0]
    start = intro.find(f"\n{heading}\n")
    if start < 0:
        raise ValueError(f"book/intro.md has no {heading!r} section to replace")
    end = intro.find("\n## ", start + 1)
    end = len(intro) if end < 0 else end
    return intro[: start + 1] + how_to_use.strip() + "\n" + intro[end:]


def student_toc(toc: dict) -> dict:
    """Return the table of contents ``toc`` without the pages for instructors only.

    The "For instructors" page is about solutions, hidden tests and grading;
    the student edition leaves it out (:data:`INSTRUCTOR_ONLY`).
    """

    def keep(entries):
        kept = []
        for entry in entries or []:
            if entry.get("file") in INSTRUCTOR_ONLY:
                continue
            entry = dict(entry)
            for key in ("parts", "chapters", "sections"):
                if key in entry:
                    entry[key] = keep(entry[key])
            kept.append(entry)
        return kept

    out = dict(toc)
    for key in ("parts", "chapters", "sections"):
        if key in out:
            out[key] = keep(out[key])
    return out


def _executed(notebook: Path) -> nbformat.NotebookNode:
    """Return ``notebook`` with the outputs the instructor build used.

    They come from the book's execution cache, which matches a notebook on its
    code cells; no match means the book was not built from this version.
    """
    from jupyter_cache import get_cache

    execute = config().get("execute", {})
    if execute.get("execute_notebooks") != "cache":
        sys.exit("the student edition reuses the execution cache: set execute_notebooks: cache")
    cache = get_cache(str(ROOT / execute.get("cache", "_build/.jupyter_cache")))
    try:
        _, executed = cache.merge_match_into_notebook(nbformat.read(notebook, as_version=4))
    except KeyError:
        sys.exit(f"{notebook.relative_to(ROOT)} has not been executed yet: run make book first")
    return executed


def _student_config() -> dict:
    cfg = config()
    cfg["title"] = f"{cfg['title']} (student edition)"
    cfg.setdefault("execute", {})["execute_notebooks"] = "off"
    # Launch buttons open the student notebooks that `make publish-notebooks`
    # puts under student/ of the published ref (repository.branch), not the
    # chapters with their solutions.
    cfg["repository"]["path_to_book"] = STUDENT_PREFIX
    html = cfg.setdefault("html", {})
    # No repository or edit button (they lead to the sources, solutions included);
    # the issues button stays, so students can report a problem.
    html.update(use_repository_button=False, use_edit_page_button=False)
    local = cfg.setdefault("sphinx", {}).get("local_extensions") or {}
    for name, path in local.items():  # relative to _config.yml, which moves
        local[name] = str((ROOT / path).resolve())
    sphinx_cfg = cfg.setdefault("sphinx", {}).setdefault("config", {})
    sphinx_cfg["html_extra_path"] = [
        str((ROOT / p).resolve()) for p in sphinx_cfg.get("html_extra_path", [])
    ]
    return cfg


def build() -> None:
    """Build the student website, then write its reader notebooks."""
    build_site()
    write_notebooks()


def build_site() -> None:
    """Build the student website from the stripped executed chapters."""
    # Start from nothing: Sphinx reloads an existing search index and keeps the
    # words of earlier builds in it, so a stale build could carry old text.
    for folder in (SOURCE_TREE, OUTPUT, BUILD / "student-build"):
        shutil.rmtree(folder, ignore_errors=True)
    (SOURCE_TREE / "_build").mkdir(parents=True)

    chapter_paths = chapters()
    chapter_set = set(chapter_paths)
    shutil.copytree(
        ROOT / "book",
        SOURCE_TREE / "book",
        ignore=lambda folder, names: [
            n
            for n in names
            if (Path(folder) / n) in chapter_set or n in {".ipynb_checkpoints", "__pycache__"}
        ],
    )
    (SOURCE_TREE / "_toc.yml").write_text(
        "# Generated by tools/student.py from _toc.yml; do not edit.\n"
        + yaml.safe_dump(
            student_toc(yaml.safe_load((ROOT / "_toc.yml").read_text())), sort_keys=False
        )
    )
    for generated in ("bench.md", "assignments/timing.md"):  # files pages include from _build/
        if (BUILD / generated).is_file():
            (SOURCE_TREE / "_build" / generated).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(BUILD / generated, SOURCE_TREE / "_build" / generated)
    intro = SOURCE_TREE / "book" / "intro.md"
    intro.write_text(student_intro(intro.read_text(), (ROOT / STUDENT_HOW_TO).read_text()))
    (SOURCE_TREE / "_config.yml").write_text(
        "# Generated by tools/student.py from _config.yml; do not edit.\n"
        + yaml.safe_dump(_student_config(), sort_keys=False)
    )

    for notebook in chapter_paths:
        rel = notebook.relative_to(ROOT)
        _, removed = strip_solutions(nbformat.read(notebook, as_version=4))
        executed, removed_executed = strip_solutions(_executed(notebook))
        if removed != removed_executed:
            sys.exit(f"{rel}: the executed copy has different solutions; run make book")
        nbformat.write(executed, SOURCE_TREE / rel)
        print(f"{rel}: {removed} solutions removed")

    subprocess.run(
        [
            str(Path(sys.executable).parent / "jupyter-book"),
            "build",
            str(SOURCE_TREE),
            "--path-output",
            str(BUILD / "student-build"),
            "-W",
            "-n",
            "--keep-going",
        ],
        check=True,
    )
    shutil.copytree(BUILD / "student-build" / "_build" / "html", OUTPUT, dirs_exist_ok=True)


def write_notebooks() -> None:
    """Write the student reader notebooks, and offer them for download on the site.

    Runs after :func:`build_site` and after the instructor build, whose
    Sphinx environment numbers the figures, equations and exercises.
    """
    from tools import notebooks as reader

    if not (OUTPUT / "index.html").is_file():
        sys.exit("the student site is not built: run python tools/student.py site first")
    site = reader.site_from_build(edition="student")
    bib = reader.bibliography()
    exercises = reader.exercise_numbers(reader.chapter_sources())
    notebooks_dir = OUTPUT / "notebooks"
    shutil.rmtree(notebooks_dir, ignore_errors=True)
    notebooks_dir.mkdir(parents=True)
    for notebook in chapters():
        rel = notebook.relative_to(ROOT)
        source, _ = strip_solutions(nbformat.read(notebook, as_version=4))
        executed = nbformat.read(SOURCE_TREE / rel, as_version=4)  # stripped by build_site
        # The learner's notebook: plain Markdown, glued values filled in (tools/notebooks.py).
        clean = reader.convert(
            source,
            reader.glue_values(executed),
            docname=rel.with_suffix("").as_posix(),
            site=site,
            bib=bib,
            exercises=exercises,
        )
        left = reader.notebook_markup(clean)
        if left:
            sys.exit(f"{rel}: MyST markup left in the student notebook: {left}")
        nbformat.write(clean, notebooks_dir / notebook.name)
        nbformat.write(clean, OUTPUT / "_sources" / rel)  # what the download button offers
    size = sum(f.stat().st_size for f in OUTPUT.rglob("*") if f.is_file())
    print(f"Student edition: {OUTPUT.relative_to(ROOT)} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    steps = {"site": build_site, "notebooks": write_notebooks}
    step = sys.argv[1] if len(sys.argv) > 1 else None
    if step is not None and step not in steps:
        sys.exit(f"usage: python tools/student.py [{' | '.join(steps)}]")
    (steps[step] if step else build)()
