"""What the book consists of, read from ``_config.yml`` and ``_toc.yml``.

Every tool discovers the chapters here, so a chapter added to the table of
contents is built, measured, stripped and tested without further edits.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"


def config(root: Path = ROOT) -> dict:
    """Return the parsed ``_config.yml`` of the book at ``root``."""
    return yaml.safe_load((root / "_config.yml").read_text())


def toc_documents(root: Path = ROOT) -> list[str]:
    """Return every document of ``_toc.yml``, root first, in reading order.

    Entries are the toc's ``file`` values (paths without suffix, relative to
    ``root``); ``parts``, ``chapters`` and ``sections`` are walked depth first.
    """
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    found = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                found.append(entry["file"])
            for key in ("parts", "chapters", "sections"):
                walk(entry.get(key))

    for key in ("parts", "chapters", "sections"):
        walk(toc.get(key))
    return found


def chapters(root: Path = ROOT) -> list[Path]:
    """Return the notebooks of the table of contents (the chapters), in order."""
    return [
        root / f"{doc}.ipynb" for doc in toc_documents(root) if (root / f"{doc}.ipynb").is_file()
    ]


def assignments(root: Path = ROOT) -> list[Path]:
    """Return the assignment sources (``assignments/NN_name.ipynb``), in chapter order."""
    return sorted((root / "assignments").glob("[0-9]*.ipynb"))


def repository(root: Path = ROOT) -> tuple[str, str]:
    """Return ``(url, branch)`` of the course repository, from ``_config.yml``."""
    repo = config(root)["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")
