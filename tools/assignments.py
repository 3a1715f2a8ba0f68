"""Build the otter-grader assignments and grade submissions locally.

Usage::

    python tools/assignments.py build [NN_name ...]        # make assignments
    python tools/assignments.py grade NN_name DIR [--timeout S] [--out CSV]   # make grade

``build`` runs ``otter assign`` on every source ``assignments/NN_name.ipynb`` and
writes ``_build/assignments/NN_name/student/NN_name.ipynb`` (what students get:
no solutions, no hidden tests; the public tests travel in its metadata) and
``_build/assignments/NN_name/autograder/`` (the solution notebook and
``NN_name-autograder.zip``, which holds every test). It then grades the solution
notebook with that zip, exactly as ``grade`` grades a submission, fails unless it
earns full marks (every assignment is built and graded before it fails, two at
a time on a machine with two cores or more), and records the wall time in
``_build/assignments/timing.json`` next to T_import measured in the same run
(the book's page for instructors reads it).

``grade`` scores every file in ``DIR`` (``.ipynb`` or not) and writes
``_build/grades/NN_name.csv``: one row per file with one column per autograded
question, ``total``, ``possible``, ``seconds`` and ``notes`` (why anything
scored 0). It never stops on a bad file. Each submission is graded on its own,
one after the other:

- a fresh working folder holds a copy of that one file (named ``NN_name.ipynb``,
  as the notebook expects), the autograder zip and a copy of the grader's
  PyTensor compile cache, and nothing else; ``otter run`` runs there with
  ``HOME``, ``TMPDIR`` and the compile caches pointing into it, and the folder
  is deleted afterwards;
- a time limit (``--timeout``, default :data:`TIMEOUT` seconds) ends the whole
  process tree of a submission that runs too long;
- where the grader runs as root on Linux with ``unshare`` and ``setpriv``, the
  submission runs in its own mount, PID and network namespaces: the
  submissions folder, the grades and the built assignments are covered by
  empty read-only file systems, ``/tmp``, ``/var/tmp`` and ``/dev/shm`` are
  private (or read-only, for the one holding the course), every other file
  system is read-only except the working folder,
  the network is loopback only, and every capability is dropped before the
  submission runs, so it cannot undo any of this. It can still read files
  outside those covered folders that the grading user can read (the course,
  the installed packages). Without these tools (not root), every row's notes
  say ``unsandboxed``: the code then runs as the grading user and could read
  or write whatever that user can.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import yaml

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.book import BUILD, ROOT, assignments

#: Seconds a submission may take before it is stopped and scored 0.
TIMEOUT = 300
OUT = BUILD / "assignments"
GRADES = BUILD / "grades"
#: Working folders of submissions being graded (each its own, deleted afterwards).
WORK = BUILD / "grading-work"
#: Folders a sandboxed submission gets its own empty copy of (unless the course lives there).
_PRIVATE_DIRS = ("/tmp", "/var/tmp", "/dev/shm")
#: Assignments built and graded at a time by ``build`` (``ASSIGNMENT_JOBS`` overrides):
#: one per core, at most two, since each grading runs a kernel with four chains.
JOBS = int(os.environ.get("ASSIGNMENT_JOBS", min(2, os.cpu_count() or 1)))
T_IMPORT_CODE = "import pymc, arviz, nutpie, matplotlib.pyplot, pandas, scipy.stats"


# --------------------------------------------------------------------------
# The assignment sources
# --------------------------------------------------------------------------


def source(name: str) -> Path:
    """Return the source notebook of assignment ``name`` (``NN_name``)."""
    path = ROOT / "assignments" / f"{name}.ipynb"
    if not path.is_file():
        known = ", ".join(p.stem for p in assignments())
        raise SystemExit(f"no assignment {name!r}; known: {known}")
    return path


def _raw_yaml(cell, marker: str) -> dict | None:
    """Return the YAML of a raw otter boundary cell starting ``# marker`` (else None)."""
    if cell.cell_type != "raw" or not cell.source.lstrip().startswith(f"# {marker}"):
        return None
    return yaml.safe_load(cell.source) or {}


def questions(path: Path) -> list[dict]:
    """Return ``name``, ``points`` and ``manual`` of every question of a source notebook."""
    nb = nbformat.read(path, as_version=4)
    found = []
    for cell in nb.cells:
        config = _raw_yaml(cell, "BEGIN QUESTION")
        if config is not None:
            found.append(
                {
                    "name": str(config["name"]),
                    "points": config.get("points", 1),
                    "manual": bool(config.get("manual", False)),
                }
            )
    return found


def autograded(path: Path) -> list[dict]:
    """Return the questions of a source notebook that the autograder scores."""
    return [q for q in questions(path) if not q["manual"]]


# --------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------


def autograder_zip(name: str) -> Path:
    """Path of the autograder zip of a built assignment."""
    return OUT / name / "autograder" / f"{name}-autograder.zip"


def build_one(path: Path) -> Path:
    """Run ``otter assign`` on one source; return the assignment's output folder.

    In this process (importing otter once serves every assignment); not from
    threads, since otter assign changes the working directory while it runs.
    """
    from otter.assign import main as otter_assign

    name = path.stem
    out = OUT / name
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    log, failure = io.StringIO(), ""
    cwd = Path.cwd()
    try:
        os.chdir(ROOT)
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            otter_assign(str(path.resolve()), str(out.resolve()))
    except Exception as err:  # reported with otter's output below
        failure = f"{type(err).__name__}: {err}"
    finally:
        os.chdir(cwd)
    zips = sorted((out / "autograder").glob(f"{name}-autograder_*.zip"))
    if failure or len(zips) != 1:
        raise RuntimeError(f"otter assign failed on {path.name}: {failure}\n{log.getvalue()}")
    zips[0].rename(autograder_zip(name))
    return out


def t_import() -> float:
    """Wall time of a fresh Python importing the course's heavy libraries."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", T_IMPORT_CODE], check=True)
    return time.perf_counter() - start


def _built(path: Path) -> tuple[Path | None, float, str | None]:
    """Build one assignment: its output folder (None if it failed), seconds, failure."""
    start = time.perf_counter()
    try:
        out = build_one(path)
    except RuntimeError as err:
        return None, time.perf_counter() - start, str(err)
    return out, time.perf_counter() - start, None


def _graded(path: Path, out: Path, build_seconds: float) -> tuple[dict, str | None]:
    """Grade one built assignment's solution; return its timing row and any failure."""
    name = path.stem
    row = grade_file(name, out / "autograder" / f"{name}.ipynb", TIMEOUT)
    qs = questions(path)
    possible = sum(q["points"] for q in qs if not q["manual"])
    record = {
        "build_seconds": round(build_seconds, 2),
        "grade_seconds": row["seconds"],
        "autograded_questions": sum(not q["manual"] for q in qs),
        "manual_questions": sum(q["manual"] for q in qs),
        "autograded_points": possible,
        "manual_points": sum(q["points"] for q in qs if q["manual"]),
    }
    print(f"{name}: built in {build_seconds:.1f} s, solution graded in {row['seconds']:.1f} s")
    if row["total"] != possible:
        return record, (
            f"{name}: the solution notebook scored {row['total']} of {possible}: {row['notes']}"
        )
    return record, None


def build(names: list[str] | None = None, jobs: int = JOBS) -> dict:
    """Build the assignments (all by default), grade each solution, write timing.json.

    ``jobs`` assignments are built and graded at a time (each grading is its own
    sandboxed process tree). Every assignment is built and graded even when one
    fails; then the build fails, naming every assignment whose solution did not
    earn full marks.
    """
    paths = [source(n) for n in names] if names else assignments()
    timing_path = OUT / "timing.json"
    timing = json.loads(timing_path.read_text()) if timing_path.is_file() else {}
    timing.setdefault("assignments", {})
    jobs = max(1, min(jobs, len(paths)))
    failures, graded = [], {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for path in paths:  # otter assign here, one after the other; gradings in the pool
            out, seconds, failure = _built(path)
            if failure:
                failures.append(failure)
            else:
                graded[path] = pool.submit(_graded, path, out, seconds)
    for path, future in graded.items():
        record, failure = future.result()
        timing["assignments"][path.stem] = record
        if failure:
            failures.append(failure)
    if failures:
        raise RuntimeError("\n".join(failures))
    timing["t_import"] = round(t_import(), 2)
    timing["timeout"] = TIMEOUT
    timing["sandboxed"] = sandbox_available()
    timing["jobs"] = jobs
    timing["cores"] = os.cpu_count()
    # make test builds the assignments beside the chapters at nice 19 (see the Makefile)
    timing["niceness"] = os.nice(0) if hasattr(os, "nice") else 0
    timing_path.write_text(json.dumps(timing, indent=1, sort_keys=True) + "\n")
    (OUT / "timing.md").write_text(timing_table(timing))
    return timing


def timing_table(timing: dict) -> str:
    """Return the measurements as the Markdown the page for instructors includes."""
    t_import = timing["t_import"]
    lines = [
        "| Assignment | Questions (autograded + written) | Points (autograded + written) "
        "| Build (s) | Grading one submission (s) | Grading / T_import |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in sorted(timing["assignments"].items()):
        lines.append(
            f"| `{name}` | {row['autograded_questions']} + {row['manual_questions']} "
            f"| {row['autograded_points']:g} + {row['manual_points']:g} "
            f"| {row['build_seconds']:.1f} | {row['grade_seconds']:.1f} "
            f"| {row['grade_seconds'] / t_import:.1f} |"
        )
    seconds = [row["grade_seconds"] for row in timing["assignments"].values()]
    sandbox = (
        "ran sandboxed (namespaces, read-only file systems, no network)"
        if timing["sandboxed"]
        else "ran unsandboxed (the grader was not root)"
    )
    jobs = timing.get("jobs", 1)
    shared = (
        f" The solutions were graded {jobs} at a time on {timing.get('cores')} cores, "
        "so each figure includes that sharing; graded one after the other, as `make grade` "
        "does, a submission takes a little less."
        if jobs > 1
        else ""
    )
    if timing.get("niceness", 0) > 0:
        shared += (
            " They were graded beside the execution of the chapters, at the lowest CPU "
            "priority, so each figure is an upper bound."
        )
    lines += [
        "",
        f"Measured when this site was built: grading one submission took "
        f"{min(seconds):.0f} to {max(seconds):.0f} s, that is "
        f"{min(seconds) / t_import:.1f} to {max(seconds) / t_import:.1f} times T_import, the "
        f"{t_import:.1f} s a fresh Python needed in the same run to import PyMC, ArviZ, "
        f"nutpie, matplotlib, pandas and SciPy. The submissions {sandbox}; the time limit "
        f"per submission was {timing['timeout']:g} s.{shared}",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Grading
# --------------------------------------------------------------------------


def sandbox_available() -> bool:
    """Whether submissions can run sandboxed (Linux, root, unshare, setpriv, ip, awk)."""
    return (
        sys.platform == "linux"
        and os.geteuid() == 0
        and shutil.which("unshare") is not None
        and shutil.which("setpriv") is not None
        and shutil.which("awk") is not None
        and shutil.which("ip") is not None
    )


def _sandboxed(work: Path, hidden: list[Path]) -> list[str]:
    """Return a command prefix: new namespaces, ``hidden`` covered, all but ``work`` read-only.

    As root in new mount, PID and network namespaces: bring up loopback (the
    kernel talks to the grader over it), cover each ``hidden`` folder with an
    empty file system, give the submission private ``/tmp``, ``/var/tmp`` and
    ``/dev/shm`` (except one the course itself lives in, e.g. a clone under
    ``/tmp``: that one is only made read-only), remount every other file
    system read-only except the working
    folder, then drop every capability (so nothing can be remounted or
    unmounted again) and run the command.
    """
    covers = "".join(f"mount -t tmpfs -o size=1m,ro tmpfs '{p}'; " for p in hidden if p.is_dir())
    # A fresh tmpfs over /tmp would also hide a course checked out under /tmp
    # (its .venv and the working folder): such a folder stays, read-only.
    private = [d for d in _PRIVATE_DIRS if not ROOT.resolve().is_relative_to(d)]
    privates = "".join(
        f"if [ -d {d} ]; then mount -t tmpfs -o size=512m,mode=1777 tmpfs {d}; fi; "
        for d in private
    )
    writable = "|".join(
        [f"'{work}'", *private, "/dev", "/dev/*", "/proc", "/proc/*", "/sys", "/sys/*"]
    )
    script = (
        "set -e; ip link set lo up; "
        + covers
        + privates
        + f"mount --bind '{work}' '{work}'; "
        + "awk '{print $5}' /proc/self/mountinfo | while read -r m; do case \"$m\" in "
        + f"{writable}) ;; "
        + '*) mount -o remount,bind,ro "$m" 2>/dev/null || true ;; esac; done; '
        + f"cd '{work}'; "
        + 'exec setpriv --no-new-privs --inh-caps=-all --bounding-set=-all -- "$@"'
    )
    return ["unshare", "--mount", "--pid", "--net", "--fork", "--", "sh", "-c", script, "sh"]


def _environment(work: Path) -> dict:
    """Environment of a submission: every home, cache and temporary folder inside ``work``."""
    env = dict(os.environ)
    env.update(
        HOME=str(work),
        TMPDIR=str(work / "tmp"),
        XDG_CACHE_HOME=str(work / ".cache"),
        MPLCONFIGDIR=str(work / ".matplotlib"),
        IPYTHONDIR=str(work / ".ipython"),
        JUPYTER_RUNTIME_DIR=str(work / ".jupyter-runtime"),
        NUMBA_CACHE_DIR=str(work / ".numba"),
        PYTENSOR_FLAGS=f"base_compiledir={work / '.pytensor'}",
        PYTHONDONTWRITEBYTECODE="1",
        MPLBACKEND="Agg",
    )
    return env


def _seed_compile_cache(target: Path) -> None:
    """Copy the grader's own PyTensor compile cache (with numba's) to ``target``.

    A submission then compiles only the models it changed (a third less CPU for
    a PyMC assignment). The copy is the submission's own, inside its working
    folder, and deleted with it; without a cache to copy, grading starts cold.
    """
    flags = dict(
        f.split("=", 1) for f in os.environ.get("PYTENSOR_FLAGS", "").split(",") if "=" in f
    )
    source = Path(flags.get("base_compiledir", Path.home() / ".pytensor"))
    if not source.is_dir():
        return
    try:
        shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns("lock_dir"))
    except (shutil.Error, OSError):  # a cache is an optimisation: start cold instead
        shutil.rmtree(target, ignore_errors=True)


def _check_notebook(path: Path) -> str | None:
    """Why ``path`` cannot be graded as a notebook (None when it can)."""
    if path.suffix != ".ipynb":
        return f"not a notebook ({path.suffix or 'no extension'})"
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # any unreadable file is a result, not a crash
        return f"not a valid notebook: {type(err).__name__}: {str(err)[:120]}"
    return None


def grade_file(name: str, submission: Path, timeout: float) -> dict:
    """Grade one file against built assignment ``name``; return its CSV row as a dict."""
    qs = autograded(source(name))
    row = {"file": submission.name, **{q["name"]: 0.0 for q in qs}}
    row.update(total=0.0, possible=float(sum(q["points"] for q in qs)), seconds=0.0)
    notes = [] if sandbox_available() else ["unsandboxed"]
    problem = _check_notebook(submission)
    if problem:
        row["notes"] = "; ".join([problem, *notes])
        return row
    WORK.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=WORK))
    try:
        (work / "tmp").mkdir()
        # under the assignment's own name, which its `otter.Notebook(...)` cell opens
        shutil.copy(submission, work / f"{name}.ipynb")
        shutil.copy(autograder_zip(name), work / "autograder.zip")
        _seed_compile_cache(work / ".pytensor")
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "_one",
            "autograder.zip",
            f"{name}.ipynb",
            "result.json",
        ]
        if sandbox_available():
            hidden = [submission.resolve().parent, GRADES, OUT]
            command = _sandboxed(work, hidden) + command
        start = time.perf_counter()
        proc = subprocess.Popen(
            command,
            cwd=work,
            env=_environment(work),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            log, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            row["seconds"] = round(time.perf_counter() - start, 2)
            row["notes"] = "; ".join([f"stopped at the time limit of {timeout:g} s", *notes])
            return row
        row["seconds"] = round(time.perf_counter() - start, 2)
        result_path = work / "result.json"
        if not result_path.is_file():
            tail = (log or "").strip().splitlines()[-1:] or ["no output"]
            row["notes"] = "; ".join([f"grader error: {tail[0][:200]}", *notes])
            return row
        result = json.loads(result_path.read_text())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for q in qs:
        row[q["name"]] = float(result["scores"].get(q["name"], 0.0))
    row["total"] = float(sum(row[q["name"]] for q in qs))
    missing = [q["name"] for q in qs if q["name"] not in result["scores"]]
    failed = [
        q["name"] for q in qs if q["name"] in result["scores"] and row[q["name"]] < q["points"]
    ]
    if result.get("error"):
        notes.insert(0, f"grader error: {result['error']}")
    if result.get("cell_errors"):
        notes.insert(0, "a cell raised " + result["cell_errors"][0])
    if missing:
        notes.insert(0, "not graded: " + ", ".join(missing))
    if failed:
        notes.insert(0, "lost points on " + ", ".join(failed))
    row["notes"] = "; ".join(notes)
    return row


def _one(zip_path: str, submission: str, out: str) -> None:
    """Grade one submission with ``otter run`` in this process; write scores as JSON."""
    from nbclient import NotebookClient
    from otter.run import main as otter_run

    # otter's last cell writes the scores; the kernel is then killed rather than
    # asked to shut down (its exit handlers cost about 1 s of CPU and wall per
    # submission). otter builds its ExecutePreprocessor (a NotebookClient) from
    # its own Config, so the default is set on the class.
    NotebookClient.class_traits()["shutdown_kernel"].default_value = "immediate"
    result: dict = {"scores": {}, "cell_errors": [], "error": None}
    try:
        results = otter_run(submission, autograder=zip_path, output_dir=None, no_logo=True)
        for name in results.test_files:
            result["scores"][name] = float(results.get_score(name))
        for cell in (results.notebook or {"cells": []})["cells"]:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    result["cell_errors"].append(f"{output['ename']}: {output['evalue'][:150]}")
    except Exception as err:  # the row records it; grading goes on with the next file
        result["error"] = f"{type(err).__name__}: {str(err)[:200]}"
    Path(out).write_text(json.dumps(result))


def grade(name: str, submissions: Path, timeout: float = TIMEOUT, out: Path | None = None) -> Path:
    """Grade every file in ``submissions``; write and return the CSV."""
    source(name)
    if not autograder_zip(name).is_file():
        raise SystemExit(f"{autograder_zip(name)} is missing: run make assignments first")
    if not submissions.is_dir():
        raise SystemExit(f"{submissions} is not a folder")
    files = sorted(p for p in submissions.iterdir() if p.is_file() and not p.name.startswith("."))
    out = out or GRADES / f"{name}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    columns = ["file", *(q["name"] for q in autograded(source(name)))]
    columns += ["total", "possible", "seconds", "notes"]
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for path in files:
            row = grade_file(name, path, timeout)
            writer.writerow(row)
            fh.flush()
            print(f"{path.name}: {row['total']:g} / {row['possible']:g} ({row['seconds']:.1f} s)")
    print(f"wrote {out}")
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: build, grade, or (internally) _one."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="otter assign every source; grade each solution")
    p_build.add_argument("names", nargs="*")
    p_build.add_argument("--jobs", type=int, default=JOBS, help="assignments at a time")
    p_grade = sub.add_parser("grade", help="grade every file of a folder")
    p_grade.add_argument("name")
    p_grade.add_argument("submissions", type=Path)
    p_grade.add_argument("--timeout", type=float, default=TIMEOUT)
    p_grade.add_argument("--out", type=Path)
    p_one = sub.add_parser("_one")
    p_one.add_argument("zip")
    p_one.add_argument("submission")
    p_one.add_argument("out")
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.names, args.jobs)
    elif args.command == "grade":
        grade(args.name, args.submissions, args.timeout, args.out)
    else:
        _one(args.zip, args.submission, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
