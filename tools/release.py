"""Versioned releases of the course, and pinning a copy of it to one.

Usage::

    python tools/release.py stamp            # make test, when every step passed
    python tools/release.py release 0.2.0    # make release VERSION=0.2.0
    python tools/release.py pin v0.2.0       # make pin REF=v0.2.0

``stamp`` records that the tests passed for the current commit, on a clean
tree, in ``_build/tests-passed.json``; ``make test`` runs it as its last step.

``release VERSION`` refuses unless the working tree is clean, that stamp names
the current commit, VERSION is a ``MAJOR.MINOR.PATCH`` newer than the current
version, and ``CHANGELOG.md`` has entries under ``## [Unreleased]``. It then
writes VERSION into ``pyproject.toml``, ``helpers/__init__.py`` and
``CITATION.cff`` (with today's date), turns the Unreleased section into
``## [VERSION] - YYYY-MM-DD`` under a new empty Unreleased section (so the
record survives copies of the repository that drop tags), commits, and tags
``vVERSION``. Pushing the commit and the tag is left to the person releasing.

``pin REF`` sets ``repository.branch`` in ``_config.yml`` (the one setting that
chooses the branch or tag the launch buttons and the Colab set-up cell use) and
rewrites every chapter's set-up cell, so that a copy of the course built for a
semester opens and installs exactly that release.
"""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.book import BUILD, ROOT

STAMP = BUILD / "tests-passed.json"
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")
_UNRELEASED = "## [Unreleased]"


class ReleaseError(RuntimeError):
    """A release or pin cannot go ahead; the message says why and what to do."""


def _git(*args: str, root: Path = ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


def _clean(root: Path) -> bool:
    return _git("status", "--porcelain", root=root) == ""


def stamp(root: Path = ROOT) -> dict:
    """Record that the tests passed for the current commit (and whether the tree was clean)."""
    record = {"commit": _git("rev-parse", "HEAD", root=root), "clean": _clean(root)}
    path = root / STAMP.relative_to(ROOT)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record) + "\n")
    note = "" if record["clean"] else " (uncommitted changes: not enough for a release)"
    print(f"tests passed for {record['commit'][:12]}{note}")
    return record


def current_version(root: Path = ROOT) -> str:
    """Return the version in ``pyproject.toml``."""
    match = re.search(r'^version = "([^"]+)"', (root / "pyproject.toml").read_text(), re.M)
    if match is None:
        raise ReleaseError("pyproject.toml has no version")
    return match.group(1)


def _replace(path: Path, pattern: str, new: str) -> None:
    text = path.read_text()
    updated, count = re.subn(pattern, new, text, count=1, flags=re.M)
    if count != 1:
        raise ReleaseError(f"{path.name}: found no {pattern!r} to update")
    path.write_text(updated)


def changelog_with_release(text: str, version: str, date: str) -> str:
    """Return ``text`` (a Keep a Changelog file) with Unreleased released as ``version``."""
    if _UNRELEASED not in text:
        raise ReleaseError(f"CHANGELOG.md has no '{_UNRELEASED}' section")
    head, rest = text.split(_UNRELEASED, 1)
    body, sep, tail = rest.partition("\n## [")
    if not re.search(r"^- ", body, re.M):
        raise ReleaseError("CHANGELOG.md: nothing under Unreleased; describe the release first")
    if f"## [{version}]" in text:
        raise ReleaseError(f"CHANGELOG.md already has a section for {version}")
    released = f"{_UNRELEASED}\n\n## [{version}] - {date}{body.rstrip()}\n"
    return head + released + (sep + tail if sep else "")


def release(version: str, root: Path = ROOT, today: datetime.date | None = None) -> str:
    """Release ``version``: check, update the version and changelog, commit and tag."""
    if not _VERSION.fullmatch(version):
        raise ReleaseError(f"VERSION must look like 1.2.3, got {version!r}")
    current = current_version(root)
    if tuple(map(int, version.split("."))) <= tuple(map(int, current.split("."))):
        raise ReleaseError(f"VERSION {version} is not newer than the current {current}")
    if not _clean(root):
        raise ReleaseError("the working tree has uncommitted changes: commit or stash them")
    head = _git("rev-parse", "HEAD", root=root)
    path = root / STAMP.relative_to(ROOT)
    record = json.loads(path.read_text()) if path.is_file() else {}
    if record.get("commit") != head or not record.get("clean"):
        raise ReleaseError(
            f"no passing test run for {head[:12]} on a clean tree: run make test first"
        )
    if _git("tag", "--list", f"v{version}", root=root):
        raise ReleaseError(f"tag v{version} exists already")
    date = (today or datetime.date.today()).isoformat()
    changelog = root / "CHANGELOG.md"
    changelog.write_text(changelog_with_release(changelog.read_text(), version, date))
    _replace(root / "pyproject.toml", r'^version = "[^"]+"', f'version = "{version}"')
    _replace(
        root / "helpers" / "__init__.py", r'^__version__ = "[^"]+"', f'__version__ = "{version}"'
    )
    citation = root / "CITATION.cff"
    _replace(citation, r'^version: "[^"]+"', f'version: "{version}"')
    if re.search(r"^date-released:", citation.read_text(), re.M):
        _replace(citation, r'^date-released: "[^"]+"', f'date-released: "{date}"')
    else:
        _replace(citation, r'^(version: "[^"]+")$', rf'\1\ndate-released: "{date}"')
    files = ["CHANGELOG.md", "pyproject.toml", "helpers/__init__.py", "CITATION.cff"]
    _git("add", *files, root=root)
    _git("commit", "--quiet", "-m", f"Release {version}", root=root)
    _git("tag", "--annotate", f"v{version}", "-m", f"Borrowing Strength {version}", root=root)
    print(f"Released {version} as tag v{version}. Publish with: git push origin HEAD v{version}")
    return f"v{version}"


def pin(ref: str, root: Path = ROOT) -> None:
    """Point the launch buttons and the Colab set-up cells at ``ref`` (a branch or tag)."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", ref):
        raise ReleaseError(f"REF must be a branch or tag name, got {ref!r}")
    _replace(root / "_config.yml", r"^  branch: .*$", f"  branch: {ref}")
    import nbformat

    from tools import colab_cell
    from tools.book import chapters

    for path in chapters(root):
        nb = nbformat.read(path, as_version=4)
        if colab_cell.apply(nb, root):
            nbformat.write(nb, path)
    print(f"launch buttons and set-up cells now use {ref}; rebuild the site (make book)")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (see the module docstring)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        if args == ["stamp"]:
            stamp()
        elif len(args) == 2 and args[0] == "release":
            release(args[1])
        elif len(args) == 2 and args[0] == "pin":
            pin(args[1])
        else:
            print(__doc__.split("\n\n")[1], file=sys.stderr)
            return 2
    except ReleaseError as err:
        print(f"release: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
