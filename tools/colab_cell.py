"""Insert or update the hidden Colab set-up cell of every chapter.

Usage: ``python tools/colab_cell.py`` (``make colab-cell``) rewrites the chapters
and the assignments (``assignments/*.ipynb``) in place; ``--check`` only reports
notebooks whose cell is missing or stale.

A chapter opened in Colab runs in a bare Python without the course package.
Its first code cell therefore installs the package (from the repository and
ref named in ``_config.yml``: ``repository.url`` and ``repository.branch``,
a branch or a release tag) with the locked versions of its dependencies when
the distribution ``borrowing-strength`` is not installed, and installs nothing
anywhere else: locally, on Binder (postBuild installs the package) and in the
book build. It then checks that ``import helpers`` finds the course's own
package (its ``__init__.py`` holds :data:`MARKER`), not a learner's
``helpers.py`` or ``helpers/`` folder next to the notebook, which Python would
import first; if not, it stops with an error that says what to rename. The
cell is tagged ``remove-cell``, so the website does not show it.

The repository URL and ref are written into the cell from ``_config.yml``;
``tests/test_colab_cell.py`` fails when a chapter's cell differs from what
this script writes, so ``_config.yml`` stays the single source.

An assignment's cell is the same with two differences: it also installs the
``assign`` extra (otter-grader, whose ``grader.check`` runs the public tests)
and it installs when either the course or otter-grader is missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.book import ROOT, assignments, chapters, repository

#: The course's distribution (``pyproject.toml``'s project name).
DISTRIBUTION = "borrowing-strength"

#: Environment variable that points the cell at another clone (``make colab-check``).
REPOSITORY_ENV = "BORROWING_STRENGTH_REPOSITORY"

#: Tags of the set-up cell: hidden on the website, and recognisable here.
TAGS = ["remove-cell", "colab-setup"]

_TEMPLATE = """\
# Set-up for Colab, hidden on the website. Where the course package is missing,
# install it from the course repository with the locked versions of its
# dependencies; where it is installed (locally, Binder, the book build) do nothing.
# Then check that `import helpers` finds the course's own package.
# Written by `make colab-cell` from _config.yml: do not edit by hand.
import importlib.metadata
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

REPOSITORY, REF = "{url}", "{ref}"
# `make colab-check` points the install at a local clone (file://) of the repository.
REPOSITORY = os.environ.get("{env}", REPOSITORY)
MARKER = {marker!r}  # in the course package's helpers/__init__.py
try:
    for name in [{distributions}]:
        importlib.metadata.distribution(name)
except importlib.metadata.PackageNotFoundError:
    raw = REPOSITORY.replace("https://github.com/", "https://raw.githubusercontent.com/")
    lock = f"{{raw}}/{{REF}}/requirements.lock"
    if REPOSITORY.startswith("file://"):  # a clone checked out at REF
        lock = f"{{REPOSITORY.removeprefix('file://')}}/requirements.lock"
    package = f"{dist}[{extras}] @ git+{{REPOSITORY}}@{{REF}}"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--constraint", lock, package]
    subprocess.run(pip, check=True)
    importlib.invalidate_caches()
    loaded = sorted({{"numpy", "scipy", "pandas", "matplotlib"}} & set(sys.modules))
    if loaded:
        print(f"{{loaded}} were imported before the install: restart the session, run again")
spec = importlib.util.find_spec("helpers")
origin = Path(spec.origin) if spec and spec.origin else None
if origin is None or not origin.is_file() or MARKER not in origin.read_bytes():
    found = origin or (spec and [*(spec.submodule_search_locations or [])]) or "nothing"
    raise ImportError(
        f"`import helpers` finds {{found}}, which is not this course's package. "
        "Another file or folder named `helpers` hides it: rename that one "
        "(for example to my_helpers), restart the kernel and run the notebook again."
    )
"""

#: The line of ``helpers/__init__.py`` that marks the course's own package.
MARKER = b'__course__ = "borrowing-strength"'


#: What a notebook's cell installs (the package's extra) when which distributions
#: are missing, by kind of notebook.
KINDS = {
    "chapter": {"extras": "notebook", "distributions": (DISTRIBUTION,)},
    "assignment": {"extras": "assign", "distributions": (DISTRIBUTION, "otter-grader")},
}


def source(root: Path = ROOT, kind: str = "chapter") -> str:
    """Return the set-up cell of a notebook of ``kind``, for the repository in ``_config.yml``."""
    url, ref = repository(root)
    if not url.startswith("https://github.com/"):
        raise ValueError(f"repository.url must be a GitHub URL for Colab, got {url!r}")
    spec = KINDS[kind]
    return _TEMPLATE.format(
        url=url,
        ref=ref,
        dist=DISTRIBUTION,
        marker=MARKER,
        env=REPOSITORY_ENV,
        extras=spec["extras"],
        distributions=", ".join(f'"{name}"' for name in spec["distributions"]),
    ).rstrip("\n")


def _kind(path: Path) -> str:
    return "assignment" if path.parent.name == "assignments" else "chapter"


def _first_code(nb) -> int | None:
    return next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), None)


def problems(nb, root: Path = ROOT, kind: str = "chapter") -> list[str]:
    """Return what is wrong with the set-up cell of ``nb`` (empty when it is right)."""
    index = _first_code(nb)
    if index is None:
        return ["no code cell"]
    cell = nb.cells[index]
    found = []
    if not set(TAGS) <= set(cell.metadata.get("tags", [])):
        found.append(f"the first code cell is not tagged {TAGS}")
    if cell.source != source(root, kind):
        found.append("the first code cell is not the current set-up cell")
    return found


def apply(nb, root: Path = ROOT, kind: str = "chapter") -> bool:
    """Insert or update the set-up cell of ``nb`` in place; return whether it changed."""
    if not problems(nb, root, kind):
        return False
    tagged = [c for c in nb.cells if "colab-setup" in c.metadata.get("tags", [])]
    first = _first_code(nb)
    if tagged and first is not None and nb.cells[first] is tagged[0]:
        cell = tagged.pop(0)  # update in place, keeping the cell's id
    else:
        cell = nbformat.v4.new_code_cell()
    nb.cells = [c for c in nb.cells if not any(c is t for t in tagged)]
    cell.source = source(root, kind)
    cell.metadata["tags"] = [*TAGS, *(t for t in cell.metadata.get("tags", []) if t not in TAGS)]
    if not any(c is cell for c in nb.cells):
        first = _first_code(nb)
        nb.cells.insert(len(nb.cells) if first is None else first, cell)
    return True


def main(argv: list[str] | None = None) -> int:
    """Update (or with ``--check`` verify) the set-up cell of every chapter."""
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    stale = []
    for path in [*chapters(), *assignments()]:
        nb = nbformat.read(path, as_version=4)
        if check:
            if problems(nb, kind=_kind(path)):
                stale.append(path.name)
        elif apply(nb, kind=_kind(path)):
            nbformat.write(nb, path)
            print(f"{path.relative_to(ROOT)}: set-up cell written")
    if stale:
        print(f"stale Colab set-up cell in {', '.join(stale)}: run make colab-cell")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
