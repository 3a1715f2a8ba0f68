"""Rehearse Binder: the published notebooks in JupyterLab, as mybinder.org serves them.

Usage: ``python tools/binder_check.py`` after ``make student`` (``make
binder-check``). Steps, timed, mirroring what repo2docker does with this
repository:

1. publish the current build (``tools/publish.py``) into a throwaway clone and
   check out the published ref: the tree Binder builds;
2. a fresh Python 3.13 virtual environment with repo2docker's base packages
   for Python 3.13 (:data:`REPO2DOCKER_BASE`), then the ``pip`` section of the
   tree's ``environment.yml`` (repo2docker installs it into that same
   environment), then the tree's ``postBuild``; its one conda package besides
   Python and pip, Graphviz, is stood in for by this machine's ``dot``;
3. JupyterLab on 127.0.0.1 in that tree, with a fresh home directory (no
   PyTensor compile cache, as on Binder);
4. headless Chromium (Debian's, driven by Playwright) opens the URL path of
   each chapter's Binder button (read from the built site), runs every cell
   through JupyterLab's UI (``notebook:run-all-cells``), waits until the
   kernel is idle and fails on any error output; it also fails if the
   rendered Markdown shows MyST markup. Screenshots go to
   ``_build/screens/binder/``; timings to ``_build/binder-check.json``.

Chapters checked: :data:`CHAPTERS` (``BINDER_CHAPTERS=all`` for every chapter).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import yaml

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools import publish
from tools.book import BUILD, chapters, repository
from tools.browser import free_port, launch_chromium, wait_for_port
from tools.rehearsal import find_python, fresh_venv, run

#: repo2docker's base environment for Python 3.13, the packages a Binder
#: session is served with: repo2docker/buildpacks/conda/environment.py-3.13-linux-64.lock
#: of jupyterhub/repo2docker (commit 808ae6bb, 2026-08-21).
REPO2DOCKER_BASE = {
    "jupyterlab": "4.4.9",
    "notebook": "7.4.7",
    "jupyter_server": "2.17.0",
    "ipywidgets": "8.1.7",
    "jupyter-resource-usage": "1.2.0",
}
CHAPTERS = ["02_eight_schools_exact", "05_markets"]
WORK = BUILD / "binder"
SCREENS = BUILD / "screens" / "binder"
REPORT = BUILD / "binder-check.json"
RUN_TIMEOUT_S = 600
# MyST markup as it looks once rendered (code spans lose their backticks).
_RENDERED_MYST = re.compile(
    r"\{(glue|cite|doc|ref|numref|eq|exercise|solution|note|warning|tip|admonition|math|"
    r"figure|bibliography)[\w:.+-]*\}|^\([\w-]+\)=$|^:::|\$\$\s*\(",
    re.M,
)


def build_environment(tree: Path, venv: Path, timings: dict) -> None:
    """Install what repo2docker installs for ``tree`` into a fresh ``venv``."""
    start = time.monotonic()
    base = [f"{name}=={version}" for name, version in REPO2DOCKER_BASE.items()]
    pip = fresh_venv(find_python(13, "binder-check (repo2docker's Python here)"), venv, base)
    timings["base_environment_s"] = round(time.monotonic() - start, 1)
    start = time.monotonic()
    env_yml = yaml.safe_load((tree / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env_yml["dependencies"] if isinstance(d, dict))
    requirements = tree / ".binder-requirements.txt"
    requirements.write_text("\n".join(pip_section) + "\n")
    run([*pip, "-r", str(requirements)])
    requirements.unlink()
    timings["environment_yml_s"] = round(time.monotonic() - start, 1)
    start = time.monotonic()
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    run(["bash", "postBuild"], cwd=tree, env=env)
    timings["postBuild_s"] = round(time.monotonic() - start, 1)
    check = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "check"], capture_output=True, text=True
    )
    timings["pip_check"] = check.stdout.strip()


def start_lab(tree: Path, venv: Path, home: Path) -> tuple[subprocess.Popen, str, str]:
    """Start JupyterLab in ``tree``; return the process, its base URL and token."""
    port, token = free_port(), secrets.token_hex(16)
    # Render every cell, not only those in view, so the Markdown check sees them all.
    settings = venv / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(
        json.dumps({"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}})
    )
    env = {
        **os.environ,
        "HOME": str(home),
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        "JUPYTER_DATA_DIR": str(home / ".local" / "share" / "jupyter"),
    }
    env.pop("PYTENSOR_FLAGS", None)
    cmd = [
        str(venv / "bin" / "jupyter"),
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        "--LabApp.expose_app_in_browser=True",
        f"--ServerApp.root_dir={tree}",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(WORK / "jupyterlab.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT)
    if not wait_for_port(port, proc, timeout=120):
        sys.exit(f"JupyterLab did not start: see {WORK / 'jupyterlab.log'}")
    return proc, f"http://127.0.0.1:{port}/", token


def binder_urlpath(chapter: str) -> str:
    """Return the ``urlpath`` of the chapter's Binder button on the built site."""
    html = (BUILD / "html" / "book" / f"{chapter}.html").read_text()
    links = re.findall(r'href="(https://mybinder\.org/v2/[^"]+)"', html)
    if len(links) != 1:
        sys.exit(f"book/{chapter}.html has {len(links)} Binder links, expected one")
    url = urlparse(links[0].replace("&amp;", "&"))
    ref = url.path.rsplit("/", 1)[-1]
    if ref != repository()[1]:
        sys.exit(f"the Binder button opens {ref!r}, not the published {repository()[1]!r}")
    return parse_qs(url.query)["urlpath"][0]


_PANEL = "jupyterapp.shell.currentWidget"
_READY_JS = f"""path => {{
  const p = window.jupyterapp && {_PANEL};
  const k = p && p.sessionContext && p.sessionContext.session &&
            p.sessionContext.session.kernel;
  return !!(k && k.status === 'idle' && p.context.path === path && p.content.widgets.length);
}}"""
_STATE_JS = f"""() => {{
  const p = {_PANEL};
  const cells = p.content.widgets.map(w => w.model);
  const code = cells.filter(m => m.type === 'code');
  const errors = [];
  code.forEach((m, i) => {{
    for (const out of m.outputs.toJSON()) {{
      if (out.output_type === 'error')
        errors.push(`code cell ${{i}}: ${{out.ename}}: ${{out.evalue}}`);
    }}
  }});
  return {{status: p.sessionContext.session.kernel.status,
           executed: code.filter(m => m.executionCount !== null).length,
           code: code.length, errors}};
}}"""
_MARKDOWN_JS = """() => [...document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown')]
  .map(el => { const c = el.cloneNode(true);
               c.querySelectorAll('mjx-container, .MathJax, script').forEach(m => m.remove());
               return c.innerText; })"""


def run_chapter(context, base: str, token: str, chapter: str, result: dict) -> None:
    """Open the chapter at its Binder URL path, run every cell, check and screenshot."""
    urlpath = binder_urlpath(chapter)
    tab = context.new_page()
    tab.set_default_timeout(RUN_TIMEOUT_S * 1000)
    start = time.monotonic()
    # ?reset: a fresh workspace, as a new Binder session has (no other notebook open)
    tab.goto(f"{base}{urlpath}?token={token}&reset", wait_until="load")
    tab.wait_for_function(_READY_JS, arg=urlpath.removeprefix("lab/tree/"), polling=500)
    no_news = tab.get_by_role("button", name="No", exact=True)  # JupyterLab's news prompt
    if no_news.count():
        no_news.first.click()
    result["urlpath"] = urlpath
    result["open_s"] = round(time.monotonic() - start, 1)
    tab.screenshot(path=str(SCREENS / f"{chapter}-opened.png"))
    start = time.monotonic()
    tab.evaluate("() => jupyterapp.commands.execute('notebook:run-all-cells')")
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while True:
        time.sleep(1)
        state = tab.evaluate(_STATE_JS)
        done = state["executed"] == state["code"] and state["status"] == "idle"
        if done or (state["errors"] and state["status"] == "idle"):
            break
        if time.monotonic() > deadline:
            state["errors"].append(f"timeout after {RUN_TIMEOUT_S} s: {state}")
            break
    result["run_s"] = round(time.monotonic() - start, 1)
    result["code_cells"], result["executed"] = state["code"], state["executed"]
    result["errors"] = state["errors"]
    if state["executed"] != state["code"]:
        result["errors"].append(f"only {state['executed']} of {state['code']} code cells ran")
    texts = tab.evaluate(_MARKDOWN_JS)
    result["markdown_cells"] = len(texts)
    result["myst_markup"] = [
        f"markdown cell {i}: {m.group(0)!r}"
        for i, text in enumerate(texts)
        for m in _RENDERED_MYST.finditer(text)
    ]
    if not texts:
        result["errors"].append("no rendered Markdown found")
    for name, selector in (
        ("figure", ".jp-RenderedImage img"),
        ("exercises", '.jp-MarkdownCell h3:has-text("Exercise")'),
    ):
        target = tab.locator(selector).first
        if target.count():
            target.scroll_into_view_if_needed()
            if name == "exercises":  # open the first solution, as a learner would
                summary = tab.locator(".jp-MarkdownCell details > summary").first
                if summary.count():
                    summary.click()
                target.scroll_into_view_if_needed()
            tab.screenshot(path=str(SCREENS / f"{chapter}-{name}.png"))
    tab.evaluate(f"() => {_PANEL}.content.activeCellIndex = 0")
    tab.evaluate(f"() => {_PANEL}.content.scrollToItem(0)")
    tab.screenshot(path=str(SCREENS / f"{chapter}-ran.png"))
    tab.evaluate(f"() => {_PANEL}.sessionContext.shutdown()")
    tab.close()


def main() -> int:
    """Run the rehearsal; exit non-zero on any failure."""
    selected = (
        [p.stem for p in chapters()] if os.environ.get("BINDER_CHAPTERS") == "all" else CHAPTERS
    )
    shutil.rmtree(SCREENS, ignore_errors=True)
    SCREENS.mkdir(parents=True)
    WORK.mkdir(parents=True, exist_ok=True)
    timings: dict = {}
    report: dict = {"chapters": {}, "timings": timings}
    total = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="binder-check-") as tmp:
        clone = Path(tmp) / "clone"
        ref = publish.publish_clone(clone)
        tree = publish.export(ref, WORK / "repo", root=clone)
        venv = WORK / "venv"
        build_environment(tree, venv, timings)
        home = Path(tmp) / "home"
        home.mkdir()
        start = time.monotonic()
        lab, base, token = start_lab(tree, venv, home)
        timings["lab_start_s"] = round(time.monotonic() - start, 1)
        try:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                for chapter in selected:
                    result = report["chapters"][chapter] = {}
                    run_chapter(context, base, token, chapter, result)
                    print(f"{chapter}: {json.dumps(result)}", flush=True)
                browser.close()
        finally:
            lab.terminate()
            try:
                lab.wait(timeout=20)
            except subprocess.TimeoutExpired:
                lab.kill()
    timings["total_s"] = round(time.monotonic() - total, 1)
    REPORT.write_text(json.dumps(report, indent=1))
    failures = [
        f"{chapter}: {problem}"
        for chapter, result in report["chapters"].items()
        for problem in result["errors"] + result["myst_markup"]
    ]
    print(json.dumps(timings))
    print(f"screenshots: {sorted(p.name for p in SCREENS.glob('*.png'))}")
    if failures:
        print("binder-check FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print(f"binder-check passed: {', '.join(selected)} ran in JupyterLab without errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
