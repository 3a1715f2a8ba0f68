"""Fixtures for the tests of the built websites (``make check-site``).

These tests read ``_build/html`` (instructor site, ``make book``) and
``_build/student`` (``make student``); ``make unit`` leaves them out. When a
site or Chromium is missing they skip with a message saying what to run or
install; with ``REQUIRE_BROWSER=1`` (set by ``.ci/run``) every such skip is a
failure instead, so CI cannot pass without really testing the site.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools.book import BUILD, ROOT, chapters
from tools.browser import chromium_executable, free_port, launch_chromium, wait_for_port

SITES = {"instructor": BUILD / "html", "student": BUILD / "student"}
BUILD_COMMAND = {"instructor": "make book", "student": "make student"}
SCREENS = BUILD / "screens"
BENCH = BUILD / "bench.json"
CHROMIUM_HELP = (
    "Chromium is not installed; the real-browser tests need it: "
    "apt-get update && apt-get install -y chromium (Debian/Ubuntu), then make check-site"
)


def skip_or_fail(message: str):
    """Skip with ``message``, or fail with it when REQUIRE_BROWSER=1."""
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"{message} (REQUIRE_BROWSER=1 forbids skipping)")
    pytest.skip(message)


def pages(site: str) -> list[str]:
    """Every HTML page of a built site, relative to its root (assets excluded)."""
    root = SITES[site]
    if not root.is_dir():
        return []
    skip = {"_static", "_sources", "_images", "notebooks"}
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*.html")
        if not skip & set(p.relative_to(root).parts)
    )


def chapter_ids() -> list[str]:
    """The chapters of the table of contents, as ``book/NN_name`` documents."""
    return [p.relative_to(ROOT).with_suffix("").as_posix() for p in chapters()]


def pytest_generate_tests(metafunc):
    """Parametrize ``page`` over every page of both sites, ``chapter`` over the toc."""
    if "page" in metafunc.fixturenames:
        params = []
        for site in SITES:
            found = pages(site)
            params += [(site, p) for p in found] or [(site, None)]
        metafunc.parametrize("page", params, ids=[f"{s}:{p}" for s, p in params])
    if "chapter" in metafunc.fixturenames:
        metafunc.parametrize("chapter", chapter_ids())


def require_site(site: str) -> Path:
    """Return the root of a built site, or skip/fail saying how to build it."""
    root = SITES[site]
    if not (root / "index.html").is_file():
        skip_or_fail(f"the {site} site is not built: run {BUILD_COMMAND[site]}")
    return root


@pytest.fixture(scope="session")
def source_notebooks() -> dict[str, nbformat.NotebookNode]:
    """The committed chapters, keyed by document name (``book/NN_name``)."""
    return {
        p.relative_to(ROOT).with_suffix("").as_posix(): nbformat.read(p, as_version=4)
        for p in chapters()
    }


@pytest.fixture(scope="session")
def bench() -> dict:
    """The measurements ``make bench`` (or ``make book``) wrote."""
    if not BENCH.is_file():
        skip_or_fail("no _build/bench.json: run make bench")
    return json.loads(BENCH.read_text())


@pytest.fixture(scope="session")
def servers():
    """Serve each built site with ``python -m http.server`` on 127.0.0.1.

    Yields ``{site: base_url}``; the servers are stopped after the session.
    """
    started, urls = [], {}
    try:
        for site, root in SITES.items():
            if not (root / "index.html").is_file():
                continue
            port = free_port()
            proc = subprocess.Popen(
                [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                cwd=root,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            started.append(proc)
            if not wait_for_port(port, proc, timeout=15):
                raise RuntimeError(f"http.server for {site} did not start")
            urls[site] = f"http://127.0.0.1:{port}/"
        yield urls
    finally:
        for proc in started:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def published(tmp_path_factory):
    """The current build published, as tools/publish.py does, into a throwaway clone.

    Returns the published tree (as Binder checks it out) and its ref.
    """
    from tools import publish

    require_site("instructor")
    require_site("student")
    clone = tmp_path_factory.mktemp("published") / "repo"
    ref = publish.publish_clone(clone)
    return publish.export(ref, clone.parent / "tree", root=clone), ref


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (no browser is downloaded)."""
    if chromium_executable() is None:
        skip_or_fail(CHROMIUM_HELP)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()
