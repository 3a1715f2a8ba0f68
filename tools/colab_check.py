"""Rehearse Colab: the set-up cell and a PyMC chapter in a Colab-like Python.

Usage: ``python tools/colab_check.py`` after ``make student`` (``make
colab-check``). Colab gives a bare Python 3.12 with NumPy, SciPy, pandas and
matplotlib already installed, and already imported by its kernel; the course
package is not there. This rehearsal:

1. publishes the current build (``tools/publish.py``) into a local clone,
   checked out at the published ref (the one the Colab button opens);
2. makes a fresh Python 3.12 virtual environment with Colab's versions of
   :data:`COLAB_PREINSTALLED`, plus the kernel machinery;
3. in a kernel of it, imports those packages, then runs the chapter's Colab
   set-up cell with ``BORROWING_STRENGTH_REPOSITORY`` pointing the install at
   the local clone (``file://``) instead of GitHub, and times it;
4. restarts the kernel, as the cell asks when NumPy was already imported,
   and executes the chapter's reader notebook with nbclient from an empty
   working directory (Colab's ``/content``), failing on any error.

Timings go to ``_build/colab-check.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools import publish
from tools.book import BUILD
from tools.colab_cell import REPOSITORY_ENV as ENV_VAR
from tools.rehearsal import find_python, fresh_venv

#: What Colab's Python 3.12 image has preinstalled (and its kernel imports).
COLAB_PREINSTALLED = {
    "numpy": "2.0.2",
    "scipy": "1.14.1",
    "pandas": "2.2.2",
    "matplotlib": "3.9.2",
}
KERNEL = ["ipykernel", "nbclient", "nbformat"]
CHAPTER = "03_eight_schools_pymc"
WORK = BUILD / "colab"
REPORT = BUILD / "colab-check.json"

CELL_TIMEOUT_S = 900

# Runs inside the Colab-like environment: its own kernel, its own nbclient.
_DRIVER = r"""
import json, sys, time
import nbformat
from nbclient import NotebookClient

setup_source, reader_path, workdir, timeout = sys.argv[1:5]
report = {}
preload = "import numpy, scipy, pandas, matplotlib, matplotlib.pyplot"
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(preload),
                                     nbformat.v4.new_code_cell(open(setup_source).read())])
client = NotebookClient(nb, timeout=int(timeout), kernel_name="python3",
                        resources={"metadata": {"path": workdir}})
with client.setup_kernel():
    client.execute_cell(nb.cells[0], 0)
    start = time.monotonic()
    client.execute_cell(nb.cells[1], 1)
    report["setup_cell_s"] = round(time.monotonic() - start, 1)
report["setup_cell_output"] = "".join(o.get("text", "") for o in nb.cells[1].outputs)
reader = nbformat.read(reader_path, as_version=4)
start = time.monotonic()
NotebookClient(reader, timeout=int(timeout), kernel_name="python3",
               resources={"metadata": {"path": workdir}}).execute()
report["chapter_s"] = round(time.monotonic() - start, 1)
report["code_cells"] = sum(c.cell_type == "code" for c in reader.cells)
report["errors"] = [o["ename"] for c in reader.cells for o in c.get("outputs", [])
                    if o.get("output_type") == "error"]
print("REPORT " + json.dumps(report))
"""


def main() -> int:
    """Run the rehearsal; exit non-zero on any failure."""
    WORK.mkdir(parents=True, exist_ok=True)
    report: dict = {"chapter": CHAPTER, "preinstalled": COLAB_PREINSTALLED}
    total = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="colab-check-") as tmp:
        clone = Path(tmp) / "clone"
        publish.publish_clone(clone, checkout=True)
        venv = WORK / "venv"
        start = time.monotonic()
        image = [f"{n}=={v}" for n, v in COLAB_PREINSTALLED.items()] + KERNEL
        fresh_venv(find_python(12, "colab-check (Colab's Python)"), venv, image)
        report["colab_image_s"] = round(time.monotonic() - start, 1)
        reader = clone / "book" / f"{CHAPTER}.ipynb"  # what the Colab button opens
        import nbformat

        nb = nbformat.read(reader, as_version=4)
        setup = next(c for c in nb.cells if "colab-setup" in c.metadata.get("tags", []))
        setup_file = Path(tmp) / "setup_cell.py"
        setup_file.write_text(setup.source)
        content = Path(tmp) / "content"  # Colab's empty working directory
        content.mkdir()
        env = {
            **os.environ,
            ENV_VAR: f"file://{clone}",
            "HOME": str(Path(tmp) / "home"),  # no PyTensor compile cache, as on Colab
            "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache/pip")),
            "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
        }
        env.pop("PYTHONPATH", None)
        env.pop("PYTENSOR_FLAGS", None)
        result = subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                _DRIVER,
                str(setup_file),
                str(reader),
                str(content),
                str(CELL_TIMEOUT_S),
            ],
            env=env,
            cwd=content,
            capture_output=True,
            text=True,
            check=False,
        )
        lines = [ln for ln in result.stdout.splitlines() if ln.startswith("REPORT ")]
        if result.returncode or not lines:
            print(result.stdout[-4000:], result.stderr[-8000:], file=sys.stderr)
            report["errors"] = [f"the rehearsal failed (exit {result.returncode})"]
        else:
            report.update(json.loads(lines[-1].removeprefix("REPORT ")))
    report["total_s"] = round(time.monotonic() - total, 1)
    REPORT.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    if report.get("errors"):
        print(f"colab-check FAILED: {report['errors']}", file=sys.stderr)
        return 1
    print(
        f"colab-check passed: set-up cell {report['setup_cell_s']} s, "
        f"{CHAPTER} {report['chapter_s']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
