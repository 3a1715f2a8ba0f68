"""Write environment.yml (Binder) from .python-version and requirements.lock.

Run by ``make lock``; ``tests/test_repository.py`` fails when the files disagree.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def render() -> str:
    """Return the text of environment.yml implied by the lock and .python-version."""
    python = (ROOT / ".python-version").read_text().strip()
    pins = [
        line.strip()
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    lines = [
        "# Binder (repo2docker) environment. Generated from requirements.lock by",
        "# `make lock`; do not edit by hand. postBuild installs the course package.",
        "name: borrowing-strength",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        f"  - python={python}",
        "  - pip",
        "  - pip:",
        *[f"      - {pin}" for pin in pins],
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    target = ROOT / "environment.yml"
    if "--check" in sys.argv:
        sys.exit(0 if target.read_text() == render() else "environment.yml is stale: run make lock")
    target.write_text(render())
