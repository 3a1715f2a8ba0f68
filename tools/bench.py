"""Execute each chapter in a fresh kernel and measure its time and peak memory.

Usage::

    python tools/bench.py run book/01_x.ipynb --out _build/bench/01_x.json
    python tools/bench.py table

``run`` executes one chapter exactly as the book build does (jupyter-cache's
executor, the notebook's folder as working directory, the timeout of
``_config.yml``), in a new kernel started by this process, and writes one
JSON record:

- ``wall_seconds``: from just before the kernel starts until it has shut down
  (kernel start-up, imports, every cell, shutdown); the Python start-up of
  this runner, about 0.3 s, is not included;
- ``peak_rss_mb``: the peak resident set size of the kernel process, in MB
  (10^6 bytes). The kernel is a child of this runner; once it has exited and
  been reaped, ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the largest peak of
  any descendant, which is the kernel (compilers it starts are smaller). It is
  the kernel's true peak, not a sample;
- ``cpu_seconds``: CPU time (user + system) of the kernel and what it ran,
  summed over threads; next to the wall time and the load it tells a slow
  chapter from a busy machine;
- ``runner_rss_mb``: the peak of this runner itself (notebook client), for
  reference; it is not part of the chapter's budget;
- ``load_1min``: the machine's load average when the run started, to show when
  other work was competing for the CPU.

A successful run also stores the executed notebook in the book's execution
cache (``execute.cache`` in ``_config.yml``), keyed, as jupyter-cache keys
it, on the code cells. The book build then takes the outputs from the cache
instead of executing the chapter a second time, so ``make test`` executes each
chapter once. A failing cell fails the run with the cell's traceback.

``table`` gathers the records of the chapters in ``_toc.yml`` into
``_build/bench.json``, prints the table, and writes ``_build/bench.md``,
which the book's Runtime page includes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.book import BUILD, ROOT, chapters, config

#: The budget every chapter must meet (CONTRIBUTING.md).
MAX_SECONDS = 45.0
MAX_RSS_MB = 1200.0
BENCH_JSON = BUILD / "bench.json"
BENCH_MD = BUILD / "bench.md"
PARTS = BUILD / "bench"


def sha256(path: Path) -> str:
    """Return the SHA-256 hex digest of the file at ``path``."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def run(notebook: Path, out: Path) -> dict:
    """Execute ``notebook`` in a fresh kernel, measure it, cache it and write ``out``."""
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.executors.utils import single_nb_execution

    notebook = notebook.resolve()
    execute = config().get("execute", {})
    nb = nbformat.read(notebook, as_version=4)
    load = os.getloadavg()[0]
    start = time.perf_counter()
    result = single_nb_execution(
        nb,
        cwd=str(notebook.parent),
        timeout=execute.get("timeout", 30),
        allow_errors=execute.get("allow_errors", False),
        meta_override=True,
    )
    wall = time.perf_counter() - start
    if result.err is not None:
        sys.exit(f"{notebook.relative_to(ROOT)} failed:\n{result.exc_string}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    kernel_kib = children.ru_maxrss
    if kernel_kib == 0:
        sys.exit("the kernel was not reaped, so its peak memory is unknown")
    if execute.get("execute_notebooks") == "cache":
        cache = get_cache(str(ROOT / execute.get("cache", "_build/.jupyter_cache")))
        cache.cache_notebook_bundle(
            CacheBundleIn(nb, str(notebook), data={"execution_seconds": result.time}),
            check_validity=False,
            overwrite=True,
        )
    record = {
        "chapter": notebook.relative_to(ROOT).as_posix(),
        "title": _title(nb),
        "sha256": sha256(notebook),
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(children.ru_utime + children.ru_stime, 2),
        "peak_rss_mb": round(kernel_kib * 1024 / 1e6, 1),
        "runner_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6, 1),
        "load_1min": round(load, 2),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(
        f"{record['chapter']}: {record['wall_seconds']:.1f} s "
        f"({record['cpu_seconds']:.1f} s CPU), "
        f"kernel peak {record['peak_rss_mb']:.0f} MB (load {load:.2f})"
    )
    return record


def table() -> dict:
    """Gather the chapter records into ``bench.json`` and ``bench.md``; print the table."""
    rows = []
    for notebook in chapters():
        part = PARTS / f"{notebook.stem}.json"
        if not part.is_file():
            sys.exit(f"no measurement of {notebook.name}: run make bench")
        record = json.loads(part.read_text())
        if record["sha256"] != sha256(notebook):
            sys.exit(f"the measurement of {notebook.name} is stale: run make bench")
        rows.append(record)
    bench = {
        "limits": {"wall_seconds": MAX_SECONDS, "peak_rss_mb": MAX_RSS_MB},
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": f"{platform.system()} {platform.machine()}",
        },
        "chapters": rows,
    }
    BENCH_JSON.write_text(json.dumps(bench, indent=2) + "\n")
    lines = [
        "| Chapter | Wall time (s) | CPU time (s) | Peak memory of the kernel (MB) "
        "| Load when started |",
        "|---|--:|--:|--:|--:|",
    ]
    for row in rows:
        link = f"[{row['title'] or row['chapter']}]({Path(row['chapter']).name})"
        lines.append(
            f"| {link} | {row['wall_seconds']:.1f} | {row['cpu_seconds']:.1f} "
            f"| {row['peak_rss_mb']:.0f} "
            f"| {row['load_1min']:.2f} |"
        )
    machine = bench["machine"]
    lines += [
        "",
        f"Measured on a {machine['cpus']}-CPU {machine['system']} machine with "
        f"Python {machine['python']}; the budget is {MAX_SECONDS:.0f} s and "
        f"{MAX_RSS_MB:.0f} MB per chapter.",
    ]
    BENCH_MD.write_text("\n".join(lines) + "\n")
    width = max(len(r["chapter"]) for r in rows)
    print(f"{'chapter':<{width}}  {'wall s':>7}  {'CPU s':>7}  {'peak MB':>8}  {'load':>5}")
    for r in rows:
        flag = (
            "  OVER BUDGET"
            if r["wall_seconds"] > MAX_SECONDS or r["peak_rss_mb"] > MAX_RSS_MB
            else ""
        )
        print(
            f"{r['chapter']:<{width}}  {r['wall_seconds']:>7.1f}  {r['cpu_seconds']:>7.1f}"
            f"  {r['peak_rss_mb']:>8.0f}"
            f"  {r['load_1min']:>5.2f}{flag}"
        )
    print(f"written to {BENCH_JSON.relative_to(ROOT)}")
    return bench


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("run", help="execute and measure one chapter")
    one.add_argument("notebook", type=Path)
    one.add_argument("--out", type=Path, required=True)
    sub.add_parser("table", help="gather the measurements of every chapter")
    args = parser.parse_args(argv)
    if args.command == "run":
        run(args.notebook, args.out)
    else:
        table()


if __name__ == "__main__":
    main()
