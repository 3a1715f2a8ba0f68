"""What the Binder and Colab rehearsals share: a given Python, and a fresh venv of it.

Both rehearsals (``tools/binder_check.py``, ``tools/colab_check.py``) install
with pip, as Binder's repo2docker and Colab's set-up cell do, into a fresh
virtual environment of the Python those services run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def run(cmd: list, **kwargs) -> subprocess.CompletedProcess:
    """Print ``cmd`` and run it; raise if it fails."""
    print("+", " ".join(map(str, cmd)), flush=True)
    return subprocess.run(cmd, check=True, **kwargs)


def find_python(minor: int, why: str) -> str:
    """Return a Python 3.``minor`` interpreter (on PATH or pyenv's), or exit saying ``why``."""
    candidates = [shutil.which(f"python3.{minor}"), shutil.which("python3")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += sorted(str(p) for p in pyenv.glob(f"3.{minor}*/bin/python3.{minor}"))
    for path in filter(None, candidates):
        ok = subprocess.run(
            [path, "-c", f"import sys; sys.exit(sys.version_info[:2] != (3, {minor}))"],
            capture_output=True,
            check=False,
        )
        if ok.returncode == 0:
            return path
    sys.exit(f"{why} needs Python 3.{minor}, e.g. pyenv install 3.{minor}")


def fresh_venv(python: str, venv: Path, packages: list[str]) -> list[str]:
    """Make a new ``venv`` of ``python`` with a current pip and ``packages``.

    Returns the command prefix that pip-installs into it.
    """
    shutil.rmtree(venv, ignore_errors=True)
    run([python, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    run([*pip, "--upgrade", "pip"])  # Binder's and Colab's pip are recent; a new venv's is not
    run([*pip, *packages])
    return pip
