"""Measure every chapter's one execution: time, memory, and where the time goes.

Each chapter is executed once per build, by nbmake under pytest (``make
notebooks``, part of ``make test`` and ``make book``): that one execution gives
the test verdict, is measured here, and fills the book's execution cache, so
the book build does not execute it again. The pytest plugin
``tools/nbmake_bench.py`` hands nbmake the :class:`MeasuredClient` below.

Usage::

    python -m pytest -p tools.nbmake_bench --nbmake book/01_x.ipynb   # execute + measure
    python tools/bench.py table      # gather the records: _build/bench.json, bench.md
    python tools/bench.py t-import   # print T_import on this machine now

A record (``_build/bench/<chapter>.json``) holds:

- ``wall_seconds``: from just before the kernel starts until it is stopped
  (kernel start-up, imports, every cell). The kernel is stopped at once when
  the last cell has replied, as a learner closes a notebook: a graceful
  shutdown would add the time Python takes to finalise a kernel that has
  loaded PyMC and sampled (about 1.3 s here), which no reader waits for and
  which prints nothing;
- ``cpu_seconds``: CPU time (user + system) of the kernel and of what it ran
  (compilers), summed over threads;
- ``peak_rss_mb``: the kernel's peak resident set size, in MB (10^6 bytes),
  read by the kernel itself (``getrusage``, the high-water mark) after the
  last cell;
- ``phases``: seconds the kernel spent importing (inside ``import``
  statements), compiling (``nutpie.compile_pymc_model`` and
  ``pytensor.function``) and sampling (``nutpie.sample`` and ``pm.sample``,
  less the compiling inside it); each second is counted once, for the innermost
  of these it was spent in, and the rest of the wall time is ``other``
  (kernel start-up, numerical work, figures);
- ``t_import_seconds``: T_import of the same run (:func:`t_import`: the
  median of three fresh imports timed before the first chapter and three
  after the last), and ``t_import_cpu_seconds``, its CPU time;
  ``load_1min``: the load average when the chapter started;
- ``slowest_cells``: the three slowest code cells, to show where to look;
- ``glued_sha256``: a digest of every value the chapter glues into its prose,
  so that a cold and a warm run can be shown to print the same numbers; values
  that measure the build's own speed (names ending in ``_ess_s``, effective
  draws per second) are left out, since no two runs share them.

``make bench COLD=1`` executes every chapter with empty compile caches (a new
PyTensor ``base_compiledir`` per chapter, which also holds numba's caches; see
``helpers.style``) and writes its records to ``_build/bench-cold/``; the table
then shows the cold times beside the warm ones.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.util import run_sync

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.book import BUILD, ROOT, chapters, config

#: The hard budget every chapter must meet (CONTRIBUTING.md).
MAX_SECONDS = 45.0
MAX_RSS_MB = 1200.0
#: The targets, as ratios to T_import (warm and cold compile caches), and memory.
TARGET_WARM_RATIO = 4.0
TARGET_COLD_RATIO = 6.0
TARGET_RSS_MB = 600.0
BENCH_JSON = BUILD / "bench.json"
BENCH_MD = BUILD / "bench.md"
PARTS = BUILD / "bench"
COLD_PARTS = BUILD / "bench-cold"
#: What T_import imports: the libraries every chapter starts with.
T_IMPORT_CODE = "import pymc, arviz, nutpie, matplotlib.pyplot, pandas, scipy.stats"
PHASES = ("import", "compile", "sample")

# Runs inside the kernel before the first cell (in a namespace of its own, so
# the chapter's variables are untouched). It times import statements and wraps
# the compile and sample entry points as soon as their modules are imported.
PROBE = r"""
import builtins, functools, json, resource, sys, threading, time, types

clock = time.perf_counter
start = clock()
phases = {"import": 0.0, "compile": 0.0, "sample": 0.0}
stack = []  # [phase, time it was last resumed]; the innermost phase is charged
main_thread = threading.main_thread()


def enter(phase):
    now = clock()
    if stack:
        phases[stack[-1][0]] += now - stack[-1][1]
    stack.append([phase, now])


def leave():
    now = clock()
    phase, resumed = stack.pop()
    phases[phase] += now - resumed
    if stack:
        stack[-1][1] = now


def timed(phase, fn):
    if getattr(fn, "_bench_phase", None):
        return fn

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if threading.current_thread() is not main_thread:
            return fn(*args, **kwargs)
        enter(phase)
        try:
            return fn(*args, **kwargs)
        finally:
            leave()

    wrapper._bench_phase = phase
    return wrapper


def wrap_entry_points():
    for module, name, phase in (
        ("nutpie", "compile_pymc_model", "compile"),
        ("nutpie", "sample", "sample"),
        ("pymc", "sample", "sample"),
        ("pytensor", "function", "compile"),
    ):
        mod = sys.modules.get(module)
        fn = getattr(mod, name, None) if mod is not None else None
        if fn is not None and not getattr(fn, "_bench_phase", None):
            setattr(mod, name, timed(phase, fn))


original_import = builtins.__import__


def timed_import(name, globals=None, locals=None, fromlist=(), level=0):
    if (stack and stack[-1][0] == "import") or threading.current_thread() is not main_thread:
        return original_import(name, globals, locals, fromlist, level)
    enter("import")
    try:
        return original_import(name, globals, locals, fromlist, level)
    finally:
        leave()
        wrap_entry_points()


def report():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return json.dumps({
        "seconds": clock() - start,
        "phases": phases,
        "cpu_seconds": usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime,
        "peak_rss_mb": usage.ru_maxrss * scale / 1e6,
    })


builtins.__import__ = timed_import
wrap_entry_points()
sys.modules["_bench_probe"] = types.SimpleNamespace(report=report)
"""
PROBE_INSTALL = f'exec({PROBE!r}, {{"__name__": "_bench_probe"}})'
PROBE_REPORT = 'print(__import__("sys").modules["_bench_probe"].report())'


class MeasuredClient(NotebookClient):
    """A notebook client that measures the kernel it runs (see the module docstring).

    nbmake executes each chapter with it (``tools/nbmake_bench.py``); after a
    run, :attr:`measurement` holds the wall time and the kernel's own report.
    The most recent instance is :attr:`last`.
    """

    last: MeasuredClient | None = None

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("shutdown_kernel", "immediate")  # see wall_seconds above
        super().__init__(*args, **kwargs)
        self.measurement: dict | None = None
        self._probed = False
        self._kernel_report: dict | None = None
        MeasuredClient.last = self

    async def async_execute(self, reset_kc: bool = False, **kwargs):
        """Execute the notebook as NotebookClient does; time it from kernel start to stop."""
        load = os.getloadavg()[0]
        start = time.perf_counter()
        nb = await super().async_execute(reset_kc=reset_kc, **kwargs)
        wall = time.perf_counter() - start
        if self._kernel_report is None:
            raise RuntimeError("the kernel did not report its measurements")
        self.measurement = {"wall_seconds": wall, "load_1min": load, **self._kernel_report}
        return nb

    execute = run_sync(async_execute)  # NotebookClient binds execute to its own coroutine

    async def _run(self, code: str) -> str:
        chunks: list[str] = []

        def collect(msg):
            if msg["msg_type"] == "stream":
                chunks.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                chunks.append("\n".join(msg["content"]["traceback"]))

        reply = await self.kc.execute_interactive(
            code, store_history=False, output_hook=collect, timeout=60
        )
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"the measuring code failed in the kernel:\n{''.join(chunks)}")
        return "".join(chunks)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, **kwargs):
        """Execute one cell; install the probe before the first, read it after the last."""
        if not self._probed:
            self._probed = True
            await self._run(PROBE_INSTALL)
        result = await super().async_execute_cell(cell, cell_index, execution_count, **kwargs)
        if cell_index == len(self.nb.cells) - 1:
            self._kernel_report = json.loads(await self._run(PROBE_REPORT))
        return result


def sha256(path: Path) -> str:
    """Return the SHA-256 hex digest of the file at ``path``."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def t_import(repeat: int = 3, *, earlier: dict | None = None) -> dict:
    """Measure T_import: ``{"wall": s, "cpu": s, ...}``, medians of ``repeat`` fresh imports.

    Each is a new ``python -c "import pymc, arviz, nutpie, matplotlib.pyplot,
    pandas, scipy.stats"`` with this interpreter, as a learner starts a chapter.
    The CPU time (user + system) is less stretched than the wall time when
    other work competes for the machine. With ``earlier`` (a result of this
    function), the medians are over its imports and these together: the
    measuring session times three imports before the first chapter and three
    after the last, so that T_import describes the machine over the whole
    time the chapters ran. The result keeps every import's times
    (``"walls"``, ``"cpus"``).
    """
    walls, cpus = list((earlier or {}).get("walls", [])), list((earlier or {}).get("cpus", []))
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", T_IMPORT_CODE], check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return {
        "wall": statistics.median(walls),
        "cpu": statistics.median(cpus),
        "walls": walls,
        "cpus": cpus,
    }


def restate_t_import(path: Path, measured: dict) -> None:
    """Rewrite a chapter's record (a JSON file of :func:`record`) with T_import ``measured``."""
    entry = json.loads(path.read_text())
    entry["t_import_seconds"] = round(measured["wall"], 2)
    entry["t_import_cpu_seconds"] = round(measured["cpu"], 2)
    _write_record(path, entry)


def _write_record(path: Path, entry: dict) -> None:
    """Write a chapter's record as :func:`record` and :func:`restate_t_import` keep it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entry, indent=2) + "\n")


def _title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def _cell_seconds(cell) -> float | None:
    timing = cell.metadata.get("execution", {})
    begin, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (begin and end):
        return None
    parse = datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(begin.replace("Z", "+00:00"))).total_seconds()


TIMING_SUFFIX = "_ess_s"


def glued_values(nb) -> dict[str, str]:
    """Return every value the executed notebook glues, ``{name: text/plain}``.

    ``glue(..., display=False)`` stores the value under a prefixed MIME type
    (``application/papermill.record/text/plain``), named in the output's
    ``scrapbook`` metadata.
    """
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            scrapbook = out.get("metadata", {}).get("scrapbook", {})
            if "name" in scrapbook:
                key = scrapbook.get("mime_prefix", "") + "text/plain"
                values[scrapbook["name"]] = out.get("data", {}).get(key, "")
    return values


_WARNING = re.compile(r"\b(\w*Warning): (.*)")


def printed_warnings(nb) -> list[str]:
    """Return every warning the executed notebook printed, as ``"cell id: Category: text"``.

    Warnings go to stderr, which the website hides (``stderr_output: remove``)
    but a learner running the notebook sees.
    """
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                for match in _WARNING.finditer(out.get("text", "")):
                    found.append(f"{cell.get('id', '?')}: {match.group(1)}: {match.group(2)}")
    return found


def numbers(glued: dict[str, str]) -> dict[str, str]:
    """Return the glued values a cold and a warm run must share: all but speeds (``*_ess_s``)."""
    return {name: text for name, text in glued.items() if not name.endswith(TIMING_SUFFIX)}


def record(notebook: Path, nb, measurement: dict, t_import: dict, *, cold: bool = False) -> dict:
    """Write the record of one measured execution; cache a warm one for the book."""
    notebook = notebook.resolve()
    cells = [
        (seconds, cell.get("id", str(i)))
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (seconds := _cell_seconds(cell)) is not None
    ]
    wall = measurement["wall_seconds"]
    phases = {p: round(measurement["phases"][p], 2) for p in PHASES}
    phases["other"] = round(max(wall - sum(phases.values()), 0.0), 2)
    entry = {
        "chapter": notebook.relative_to(ROOT).as_posix(),
        "title": _title(nb),
        "sha256": sha256(notebook),
        "cold_caches": cold,
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(measurement["cpu_seconds"], 2),
        "peak_rss_mb": round(measurement["peak_rss_mb"], 1),
        "phases": phases,
        "t_import_seconds": round(t_import["wall"], 2),
        "t_import_cpu_seconds": round(t_import["cpu"], 2),
        "load_1min": round(measurement["load_1min"], 2),
        "glued_sha256": hashlib.sha256(
            json.dumps(numbers(glued_values(nb)), sort_keys=True).encode()
        ).hexdigest(),
        "warnings": printed_warnings(nb),
        "slowest_cells": [
            {"id": cid, "seconds": round(s, 2)} for s, cid in sorted(cells, reverse=True)[:3]
        ],
    }
    _write_record((COLD_PARTS if cold else PARTS) / f"{notebook.stem}.json", entry)
    execute = config().get("execute", {})
    if not cold and execute.get("execute_notebooks") == "cache":
        from jupyter_cache import get_cache
        from jupyter_cache.base import CacheBundleIn

        # the cache matches notebooks on their code cells, metadata included: drop
        # what the execution added (timings), so the book finds this execution
        executed = copy.deepcopy(nb)
        source = nbformat.read(notebook, as_version=4)
        for cell, original in zip(executed.cells, source.cells, strict=True):
            cell.metadata = copy.deepcopy(original.metadata)
        cache = get_cache(str(ROOT / execute.get("cache", "_build/.jupyter_cache")))
        cache.cache_notebook_bundle(
            CacheBundleIn(executed, str(notebook), data={"execution_seconds": wall}),
            check_validity=False,
            overwrite=True,
        )
    return entry


def _records(folder: Path, *, required: bool) -> list[dict] | None:
    rows = []
    for notebook in chapters():
        part = folder / f"{notebook.stem}.json"
        if not part.is_file():
            if required:
                sys.exit(f"no measurement of {notebook.name}: run make bench")
            return None
        row = json.loads(part.read_text())
        if row["sha256"] != sha256(notebook):
            if required:
                sys.exit(f"the measurement of {notebook.name} is stale: run make bench")
            return None
        rows.append(row)
    return rows


def ratio(row: dict) -> float:
    """Return a record's wall time as a multiple of the T_import of its run."""
    return row["wall_seconds"] / row["t_import_seconds"]


def cpu_ratio(row: dict) -> float:
    """Return a record's CPU time as a multiple of the CPU time of T_import (0 if unknown)."""
    cpu = row.get("t_import_cpu_seconds")
    return row["cpu_seconds"] / cpu if cpu else 0.0


def table() -> dict:
    """Gather the chapter records into ``bench.json`` and ``bench.md``; print the table."""
    rows = _records(PARTS, required=True)
    cold = {r["chapter"]: r for r in _records(COLD_PARTS, required=False) or []}
    bench = {
        "limits": {"wall_seconds": MAX_SECONDS, "peak_rss_mb": MAX_RSS_MB},
        "targets": {
            "warm_ratio": TARGET_WARM_RATIO,
            "cold_ratio": TARGET_COLD_RATIO,
            "peak_rss_mb": TARGET_RSS_MB,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": f"{platform.system()} {platform.machine()}",
            "t_import_seconds": statistics.median(r["t_import_seconds"] for r in rows),
        },
        "chapters": rows,
        "cold": [cold[r["chapter"]] for r in rows if r["chapter"] in cold],
    }
    BENCH_JSON.write_text(json.dumps(bench, indent=2) + "\n")
    t_imp = bench["machine"]["t_import_seconds"]
    head = (
        "| Chapter | Wall time (s) | × T_import | CPU time (s) | Peak memory (MB) "
        "| Importing | Compiling | Sampling | Other |"
    )
    rule = "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
    if bench["cold"]:
        head += " Empty caches: wall (s) | × T_import |"
        rule += "--:|--:|"
    lines = [head, rule]
    for row in rows:
        link = f"[{row['title'] or row['chapter']}]({Path(row['chapter']).name})"
        share = {p: 100 * s / row["wall_seconds"] for p, s in row["phases"].items()}
        line = (
            f"| {link} | {row['wall_seconds']:.1f} | {ratio(row):.1f} | {row['cpu_seconds']:.1f} "
            f"| {row['peak_rss_mb']:.0f} | {share['import']:.0f}% | {share['compile']:.0f}% "
            f"| {share['sample']:.0f}% | {share['other']:.0f}% |"
        )
        if bench["cold"]:
            c = cold.get(row["chapter"])
            line += f" {c['wall_seconds']:.1f} | {ratio(c):.1f} |" if c else " | |"
        lines.append(line)
    machine = bench["machine"]
    lines += [
        "",
        f"Measured on a {machine['cpus']}-CPU {machine['system']} machine with Python "
        f'{machine["python"]}, where T_import (a fresh `python -c "{T_IMPORT_CODE}"`) '
        f"took {t_imp:.1f} s in the same run. The targets are {TARGET_WARM_RATIO:.0f} × "
        f"T_import with warm compile caches, {TARGET_COLD_RATIO:.0f} × T_import with empty "
        f"ones and {TARGET_RSS_MB:.0f} MB; the hard budget is {MAX_SECONDS:.0f} s and "
        f"{MAX_RSS_MB:.0f} MB per chapter.",
    ]
    BENCH_MD.write_text("\n".join(lines) + "\n")

    width = max(len(r["chapter"]) for r in rows)
    print(f"T_import {t_imp:.2f} s")
    print(
        f"{'chapter':<{width}}  {'wall s':>7}  {'ratio':>5}  {'CPU s':>6}  {'cpu r':>5}  {'MB':>5}"
        f"  {'imp':>5} {'comp':>5} {'samp':>5} {'other':>5}  {'cold s':>6} {'ratio':>5}"
    )
    for r in rows:
        c = cold.get(r["chapter"])
        flags = []
        if r["wall_seconds"] > MAX_SECONDS or r["peak_rss_mb"] > MAX_RSS_MB:
            flags.append("OVER BUDGET")
        if ratio(r) > TARGET_WARM_RATIO:
            flags.append(f"over {TARGET_WARM_RATIO:.0f}x warm")
        if c and ratio(c) > TARGET_COLD_RATIO:
            flags.append(f"over {TARGET_COLD_RATIO:.0f}x cold")
        if c and c.get("glued_sha256") != r.get("glued_sha256"):
            flags.append("COLD AND WARM NUMBERS DIFFER")
        if r["peak_rss_mb"] > TARGET_RSS_MB:
            flags.append(f"over {TARGET_RSS_MB:.0f} MB")
        ph = r["phases"]
        cold_cols = f"{c['wall_seconds']:>6.1f} {ratio(c):>5.1f}" if c else f"{'':>6} {'':>5}"
        print(
            f"{r['chapter']:<{width}}  {r['wall_seconds']:>7.1f}  {ratio(r):>5.1f}"
            f"  {r['cpu_seconds']:>6.1f}  {cpu_ratio(r):>5.1f}  {r['peak_rss_mb']:>5.0f}"
            f"  {ph['import']:>5.1f} {ph['compile']:>5.1f} {ph['sample']:>5.1f} {ph['other']:>5.1f}"
            f"  {cold_cols}  {', '.join(flags)}"
        )
    print(f"written to {BENCH_JSON.relative_to(ROOT)}")
    return bench


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("table", help="gather the measurements of every chapter")
    sub.add_parser("t-import", help="measure T_import on this machine now")
    args = parser.parse_args(argv)
    if args.command == "table":
        table()
    else:
        measured = t_import()
        print(f"T_import {measured['wall']:.2f} s ({measured['cpu']:.2f} s CPU)")


if __name__ == "__main__":
    main()
