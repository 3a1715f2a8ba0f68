"""Both websites opened page by page in a real browser, offline.

Every page of the instructor site (``make book``) and of the student edition
(``make student``) is served from 127.0.0.1 and opened in headless Chromium.
Any request for another host is blocked and recorded, so a page that needs the
network (a CDN MathJax, a remote font or script) fails here. A screenshot of
every page is saved under ``_build/screens/<site>/`` (JPEG): its first screen,
or the whole page with ``SITE_SCREENSHOTS=full`` (a chapter is about 30 screens
tall, and encoding it was a fifth of the browser's time).

The browser work is done once per session, up front (:func:`crawl`): every
page is opened once, in its own browser context, and everything the tests ask
of it is recorded (errors, requests, images, math, links, the axe-core audit,
the screenshot, and on chapter pages the exercises and the solutions, each
solution clicked open); the searches run in the same pass, one tab per site,
beside the pages. Pages are opened :data:`TABS` at a time (Chromium renders
each in its own process, so a second core is used); the tests then check the
records.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

import htmltext
import nbformat
import pytest
from conftest import CHROMIUM_HELP, SCREENS, SITES, chapter_ids, pages, require_site, skip_or_fail

from tools import notebooks
from tools.book import BUILD, ROOT, repository
from tools.browser import chromium_executable, launch_chromium

STUDENT_NOTEBOOKS = SITES["student"] / "notebooks"

# Errors raised by third-party theme code, not by the course, each with why it
# is tolerated. Anything else a page raises or logs as an error fails the test.
THIRD_PARTY_ERRORS = {
    # sphinx-thebe 0.3.x injects its inline configuration script twice under
    # jupyter-book 1; the second `const` declaration throws. Thebe is not used.
    "Identifier 'THEBE_JS_URL' has already been declared",
    # pydata-sphinx-theme logs this on a first visit, before a light/dark mode
    # has been stored in localStorage; it then falls back to "auto".
    "Got invalid theme mode",
}
PAGE_TIMEOUT_MS = 30_000
#: Pages open at a time (SITE_TEST_TABS overrides): one more than the cores.
TABS = int(os.environ.get("SITE_TEST_TABS", (os.cpu_count() or 1) + 1))
#: Screenshots of whole pages (SITE_SCREENSHOTS=full) rather than of the first screen.
FULL_PAGE_SCREENSHOTS = os.environ.get("SITE_SCREENSHOTS") == "full"
# axe-core from npm (tools/axe, installed by make check-site), injected into
# every page; the rules of WCAG 2.0/2.1 levels A and AA.
AXE = ROOT / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_REPORT = BUILD / "axe"
_AXE_JS = """async tags => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                         resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5), count: v.nodes.length}));
}"""
_REFRESH = re.compile(r'<meta http-equiv="refresh" content="\d+;\s*url=([^"]+)"', re.I)


@dataclass
class Visit:
    """What happened while one page was open."""

    url: str
    errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    math: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)
    screenshot: str = ""
    violations: list[dict] = field(default_factory=list)  # axe-core, WCAG 2.1 A/AA
    # chapter pages: each exercise's visibility; each solution as found at load time
    # (title visible, number of body elements, those visible) and whether a click opened it
    exercises: list[bool] = field(default_factory=list)
    solutions: list[dict] = field(default_factory=list)
    solution_elements: int = 0  # anything with class "solution" (the student edition has none)
    launch: list[str] = field(default_factory=list)  # Binder and Colab buttons
    error: str = ""  # what stopped the visit, if anything did


def _third_party(message: str) -> bool:
    return any(known in message for known in THIRD_PARTY_ERRORS)


_REPORT_JS = """async () => {
  await Promise.all([...document.images].map(img => img.complete ? null :
      new Promise(done => {
        img.addEventListener('load', done);
        img.addEventListener('error', done);
      })));
  const math = [...document.querySelectorAll('.math')];
  return {
    images: [...document.images].map(img => ({src: img.currentSrc || img.src,
        width: img.naturalWidth, alt: img.getAttribute('alt')})),
    math: {blocks: math.length,
           typeset: math.filter(el => el.querySelector('mjx-container')).length,
           errors: document.querySelectorAll('mjx-merror').length,
           mathjax: !!window.MathJax},
    links: {
      binder: [...document.querySelectorAll('a[href*="mybinder.org"]')].map(a => a.href),
      colab: [...document.querySelectorAll('a[href*="colab.research.google.com"]')]
          .map(a => a.href),
      download: [...document.querySelectorAll('a.btn-download-source-button')].map(a => a.href),
    },
  };
}"""


async def _visit(browser, base: str, site: str, page: str) -> Visit:
    """Open one page in its own context and record everything the tests check."""
    result = Visit(url=urljoin(base, page))
    context = await browser.new_context(viewport={"width": 1280, "height": 900})

    async def route(r):
        if r.request.url.startswith(base) or r.request.url.startswith("data:"):
            await r.continue_()
        else:
            result.external.append(r.request.url)
            await r.abort()

    try:
        await context.route("**/*", route)
        tab = await context.new_page()
        tab.set_default_timeout(PAGE_TIMEOUT_MS)
        tab.on("pageerror", lambda err: result.errors.append(f"page error: {err}"))
        tab.on(
            "console",
            lambda msg: (
                result.errors.append(f"console error: {msg.text}") if msg.type == "error" else None
            ),
        )
        tab.on(
            "response",
            lambda resp: (
                result.failed.append(f"{resp.status} {resp.url}")
                if resp.url.startswith(base) and resp.status >= 400
                else None
            ),
        )
        tab.on(
            "requestfailed",
            lambda req: (
                result.failed.append(f"{req.failure} {req.url}")
                if req.url.startswith(base)
                else None
            ),
        )
        await tab.goto(result.url, wait_until="load")
        redirect = _REFRESH.search((SITES[site] / page).read_text())
        if redirect:  # index.html forwards to the first page: test where it lands
            await tab.wait_for_url(urljoin(result.url, redirect.group(1)))
            await tab.wait_for_load_state("load")
        if await tab.evaluate("() => !!(window.MathJax && MathJax.startup)"):
            await tab.wait_for_function("() => MathJax.startup.promise !== undefined")
            await tab.evaluate("() => MathJax.startup.promise")
        await tab.wait_for_load_state("networkidle")
        report = await tab.evaluate(_REPORT_JS)
        result.images, result.math, result.links = report["images"], report["math"], report["links"]
        await tab.add_script_tag(path=str(AXE))
        result.violations = await tab.evaluate(_AXE_JS, AXE_TAGS)
        record = AXE_REPORT / site / (page.removesuffix(".html") + ".json")
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(result.violations, indent=1))
        shot = SCREENS / site / (page.removesuffix(".html") + ".jpg")
        shot.parent.mkdir(parents=True, exist_ok=True)
        # JPEG: a third faster than PNG to encode, for a whole chapter 25,000 pixels tall
        await tab.screenshot(
            path=str(shot), full_page=FULL_PAGE_SCREENSHOTS, type="jpeg", quality=80
        )
        result.screenshot = str(shot)
        if page.removesuffix(".html") in chapter_ids():
            await _inspect_chapter(tab, result)  # last: it opens the solutions
    except Exception as err:  # recorded; every test of the page fails with it
        result.error = f"{type(err).__name__}: {err}"
    finally:
        await context.close()
    result.errors = [e for e in result.errors if not _third_party(e)]
    return result


async def _inspect_chapter(tab, result: Visit) -> None:
    """Record the exercises, the launch buttons and each solution, then click each open."""
    exercises = tab.locator("div.exercise")
    result.exercises = [await exercises.nth(i).is_visible() for i in range(await exercises.count())]
    result.solution_elements = await tab.locator("div.solution, .solution").count()
    result.launch = await tab.locator(
        'a[href*="mybinder.org"], a[href*="colab.research"]'
    ).evaluate_all("els => els.map(a => a.href)")
    solutions = tab.locator("div.solution")
    for i in range(await solutions.count()):
        solution = solutions.nth(i)
        title = solution.locator(":scope > .admonition-title")
        body = solution.locator(":scope > :not(.admonition-title):not(button)")
        found = {"title": await title.is_visible(), "bodies": await body.count(), "opens": False}
        found["visible"] = [j for j in range(found["bodies"]) if await body.nth(j).is_visible()]
        if found["title"] and found["bodies"]:
            await title.click()  # a reader can still open it
            await body.first.wait_for(state="visible")
            found["opens"] = True
        result.solutions.append(found)


async def _search(browser, base: str, words: list[str]) -> list[list[str] | str]:
    """Search the site for each of ``words`` (its search page, one after the other in
    one tab, as a reader searching again would); return the pages found for each,
    or the error."""
    context = await browser.new_context()

    async def route(r):
        await (r.continue_() if r.request.url.startswith(base) else r.abort())

    await context.route("**/*", route)
    found = []
    try:
        tab = await context.new_page()
        for word in words:
            try:
                await tab.goto(urljoin(base, f"search.html?q={word}"), wait_until="load")
                await tab.locator("#search-results .search-summary").wait_for(
                    timeout=PAGE_TIMEOUT_MS
                )
                await tab.wait_for_function(
                    "() => /found/i.test(document.querySelector("
                    "'#search-results .search-summary').textContent)",
                    timeout=PAGE_TIMEOUT_MS,
                )
                found.append(
                    await tab.locator("#search-results ul.search li a").evaluate_all(
                        "els => els.map(a => new URL(a.href).pathname)"
                    )
                )
            except Exception as err:
                found.append(f"{type(err).__name__}: {err}")
    finally:
        await context.close()
    return found


async def _crawl_all(servers: dict, searches: dict) -> tuple[dict, dict]:
    from playwright.async_api import async_playwright

    gate = asyncio.Semaphore(TABS)

    async def gated(job, *args):
        async with gate:
            return await job(*args)

    targets = [(site, page) for site in SITES if site in servers for page in pages(site)]
    asked = {site: [key for key in searches if key[0] == site] for site in servers}
    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        try:
            # The searches (one tab per site, a long job each) run outside the gate,
            # beside the pages: they mostly wait on the search page's timers and
            # fetches, and holding two of the gate's tabs left a core idle.
            found = await asyncio.gather(
                *(
                    _search(browser, servers[site], [searches[key][1] for key in keys])
                    for site, keys in asked.items()
                ),
                *(gated(_visit, browser, servers[site], site, page) for site, page in targets),
            )
        finally:
            await browser.close()
    results = {}
    for keys, hits in zip(asked.values(), found[: len(asked)], strict=True):
        results.update(zip(keys, hits, strict=True))
    return dict(zip(targets, found[len(asked) :], strict=True)), results


@pytest.fixture(scope="session")
def crawl(servers):
    """Every page of both sites visited, and every chapter searched for, once per session.

    Returns ``(visits, searches)``: ``{(site, page): Visit}`` and
    ``{(site, chapter): pages found, or the error}``.
    """
    if chromium_executable() is None:
        skip_or_fail(CHROMIUM_HELP)
    if not AXE.is_file():
        skip_or_fail(f"{AXE} is missing: run make check-site (npm ci --prefix tools/axe)")
    searches = {}
    for site in servers:
        for chapter in chapter_ids():
            with contextlib.suppress(AssertionError):  # that chapter's search test fails on it
                searches[(site, chapter)] = (site, _distinctive_word(chapter))
    # Playwright's async API, on its own event loop in its own thread
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _crawl_all(servers, searches)).result()


@pytest.fixture(scope="session")
def visits(crawl):
    """What happened on each page: ``visits(site, page)`` (a test fails on a broken visit)."""

    def visit(site: str, page: str) -> Visit:
        found = crawl[0][(site, page)]
        if found.error:
            pytest.fail(f"{site} {page}: the visit failed: {found.error}")
        return found

    return visit


def _page(page):
    site, path = page
    require_site(site)
    return site, path


def test_page_loads_without_errors_or_network(page, visits):
    site, path = _page(page)
    visit = visits(site, path)
    assert not visit.external, f"{path} tried to leave 127.0.0.1: {visit.external}"
    assert not visit.failed, f"{path}: failed requests {visit.failed}"
    assert not visit.errors, f"{path}: {visit.errors}"


def test_every_image_loads(page, visits):
    site, path = _page(page)
    broken = [img["src"] for img in visits(site, path).images if img["width"] == 0]
    assert not broken, f"{path}: images that did not load: {broken}"


def test_math_is_typeset_offline(page, visits):
    site, path = _page(page)
    math = visits(site, path).math
    if math["blocks"]:
        assert math["mathjax"], f"{path} has math but MathJax did not load"
    assert math["typeset"] == math["blocks"], f"{path}: {math}"
    assert math["errors"] == 0, f"{path}: MathJax reported {math['errors']} TeX errors"


def test_no_serious_or_critical_accessibility_violation(page, visits):
    """axe-core finds no serious or critical WCAG 2.1 A/AA violation (records in _build/axe)."""
    site, path = _page(page)
    bad = [v for v in visits(site, path).violations if v["impact"] in {"serious", "critical"}]
    assert not bad, f"{site} {path}: " + "; ".join(
        f"{v['impact']} {v['id']} ({v['help']}) x{v['count']} at {v['nodes']}" for v in bad
    )


def test_the_accessibility_audit_can_fail(browser, tmp_path):
    """Guard against a vacuous audit: axe reports a known violation on a bad page."""
    if not AXE.is_file():
        skip_or_fail(f"{AXE} is missing: run make check-site")
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.set_content(
            '<html><body><img src="data:,"><p style="color:#bbb;background:#fff">'
            "faint text</p></body></html>"
        )
        tab.add_script_tag(path=str(AXE))
        found = {v["id"]: v["impact"] for v in tab.evaluate(_AXE_JS, AXE_TAGS)}
    finally:
        context.close()
    assert found.get("image-alt") == "critical" and found.get("color-contrast") == "serious"


def test_screenshot_is_saved(page, visits):
    site, path = _page(page)
    shot = visits(site, path).screenshot
    with open(shot, "rb") as fh:
        assert fh.read(3) == b"\xff\xd8\xff", f"{shot} is not a JPEG"


def test_math_really_renders_on_a_chapter(visits):
    """Guard against a vacuous math check: the chapters do contain math."""
    require_site("instructor")
    blocks = sum(visits("instructor", f"{c}.html").math["blocks"] for c in chapter_ids())
    assert blocks > 0, "no chapter has math: the math check would test nothing"


# --- chapter pages ---------------------------------------------------------------


def test_chapter_has_binder_colab_and_download_links(chapter, visits, servers, browser):
    require_site("instructor")
    url, branch = repository()
    owner_repo = urlparse(url).path.strip("/")
    notebook = f"{chapter}.ipynb"
    links = visits("instructor", f"{chapter}.html").links
    assert links["binder"] == [
        f"https://mybinder.org/v2/gh/{owner_repo}/{branch}?urlpath=lab/tree/{notebook}"
    ]
    assert links["colab"] == [
        f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{notebook}"
    ]
    assert links["download"] == [urljoin(servers["instructor"], f"_sources/{notebook}")]
    reader = nbformat.read(BUILD / "notebooks" / Path(notebook).name, 4)  # not the MyST source
    _assert_download_is(browser, links["download"][0], reader)


def _assert_download_is(browser, url, expected):
    context = browser.new_context()
    try:
        response = context.request.get(url)
        assert response.ok, f"{url}: {response.status}"
        got = nbformat.reads(response.text(), as_version=4)
    finally:
        context.close()
    assert [c.source for c in got.cells] == [c.source for c in expected.cells], (
        f"{url} is not the chapter's notebook"
    )


def _count_directive(nb, name: str) -> int:
    pattern = re.compile(rf"^ {{0,3}}(`{{3,}}|~{{3,}}|:{{3,}})\{{{name}\}}", re.M)
    return sum(len(pattern.findall(c.source)) for c in nb.cells if c.cell_type == "markdown")


def test_exercises_render_and_solutions_are_collapsed(chapter, visits, source_notebooks):
    require_site("instructor")
    nb = source_notebooks[chapter]
    n_exercises = _count_directive(nb, "exercise")
    n_solutions = _count_directive(nb, "solution") + _count_directive(nb, "solution-start")
    visit = visits("instructor", f"{chapter}.html")
    assert len(visit.exercises) == n_exercises >= 4
    assert all(visit.exercises), f"{chapter}: hidden exercises {visit.exercises}"
    assert len(visit.solutions) == n_solutions >= 1
    for i, solution in enumerate(visit.solutions, 1):
        assert solution["title"], f"solution {i} has no visible title"
        assert solution["bodies"] > 0
        assert not solution["visible"], (
            f"solution {i} of {chapter} is open: solutions must start collapsed"
        )
        assert solution["opens"], f"solution {i} of {chapter} does not open when clicked"


@cache
def _page_words() -> dict[str, tuple[list[str], set[str]]]:
    """Each instructor page's prose words (6+ letters) and the set of all its words.

    Parsed once per session: every (site, chapter) search test needs all pages.
    """
    root = require_site("instructor")
    found = {}
    for path in root.rglob("*.html"):
        if "_static" in path.parts:
            continue
        page = htmltext.parse(path)
        found[path.relative_to(root).with_suffix("").as_posix()] = (
            re.findall(r"\b[a-z]{6,}\b", " ".join(page.prose).lower()),
            set(re.findall(r"\b[a-z]{6,}\b", " ".join(page.text).lower())),
        )
    return found


def _distinctive_word(chapter: str) -> str:
    """The most frequent word of the chapter's prose that no other page contains."""
    texts = _page_words()
    words = texts[chapter][0]
    others = set().union(*(every for doc, (_, every) in texts.items() if doc != chapter))
    unique = [w for w in words if w not in others]
    assert unique, f"{chapter} has no word of its own to search for"
    return max(sorted(set(unique)), key=unique.count)


@pytest.mark.parametrize("site", ["instructor", "student"])
def test_search_finds_the_chapter(site, chapter, crawl):
    require_site(site)
    word = _distinctive_word(chapter)
    hits = crawl[1][(site, chapter)]
    assert isinstance(hits, list), f"searching {word!r} on the {site} site failed: {hits}"
    assert f"/{chapter}.html" in hits, f"searching {word!r} on the {site} site found {hits}"


@pytest.mark.parametrize("site", ["instructor", "student"])
def test_launch_links_open_reader_notebooks_binder_can_build(site, chapter, visits, published):
    tree, ref = published
    links = visits(site, f"{chapter}.html").links
    owner_repo = urlparse(repository()[0]).path.strip("/")
    opened = []
    for url in links["binder"]:
        parts = urlparse(url)
        prefix = f"/v2/gh/{owner_repo}/"
        assert parts.path.startswith(prefix), url
        assert parts.path.removeprefix(prefix) == ref, f"{url} does not open the published ref"
        opened.append(parse_qs(parts.query)["urlpath"][0].removeprefix("lab/tree/"))
    for url in links["colab"]:
        prefix = f"/github/{owner_repo}/blob/{ref}/"
        assert urlparse(url).path.startswith(prefix), f"{url} does not open the published ref"
        opened.append(urlparse(url).path.removeprefix(prefix))
    if site == "instructor":
        assert len(opened) == 2, f"{chapter}: expected a Binder and a Colab link, got {links}"
    for name in ("environment.yml", "postBuild", "pyproject.toml", "requirements.lock"):
        assert (tree / name).is_file(), f"the published ref has no {name}: Binder cannot build it"
    expected = (
        BUILD / "notebooks" if site == "instructor" else SITES["student"] / "notebooks"
    ) / f"{Path(chapter).name}.ipynb"
    for path in opened:
        assert (tree / path).is_file(), f"{site} {chapter}: the published ref has no {path}"
        got = nbformat.read(tree / path, as_version=4)
        assert [c.source for c in got.cells] == [
            c.source for c in nbformat.read(expected, as_version=4).cells
        ], f"{path} of the published ref is not the {site} reader notebook"
        assert not notebooks.notebook_markup(got)


# --- student edition -------------------------------------------------------------


def test_student_chapter_has_exercises_and_no_solutions(chapter, visits, servers, browser):
    require_site("student")
    nb = nbformat.read(ROOT / f"{chapter}.ipynb", 4)
    visit = visits("student", f"{chapter}.html")
    assert len(visit.exercises) == _count_directive(nb, "exercise")
    assert all(visit.exercises), f"{chapter}: hidden exercises {visit.exercises}"
    assert visit.solution_elements == 0
    launch = visit.launch
    assert len(launch) == 2, f"{chapter}: expected a Binder and a Colab button, got {launch}"
    assert all(f"/student/{chapter}.ipynb" in url for url in launch), (
        f"launch buttons must open the student notebook (no solutions): {launch}"
    )
    download = visit.links["download"]
    assert download == [urljoin(servers["student"], f"_sources/{chapter}.ipynb")]
    clean = nbformat.read(STUDENT_NOTEBOOKS / f"{chapter.split('/')[-1]}.ipynb", 4)
    _assert_download_is(browser, download[0], clean)
