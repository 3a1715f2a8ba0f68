"""Link hygiene of both built sites, checked offline by walking their HTML.

Every relative ``href``/``src`` must name a file of the site, every
``#anchor`` an id on the target page, and every image must have alt text.
External links (http, https, mailto) are not followed: the tests run offline.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import htmltext
import pytest
from conftest import SITES, pages, require_site

EXTERNAL = ("http:", "https:", "mailto:", "data:", "javascript:", "tel:")


@cache
def _parsed(path: Path) -> htmltext.Page:
    return htmltext.parse(path)


def _broken_links(root: Path, page: str) -> list[str]:
    source = root / page
    broken = []
    for tag, url in _parsed(source).links:
        if not url or url == "#" or url.startswith(EXTERNAL) or url.startswith("//"):
            continue
        parts = urlsplit(url)
        target = source if not parts.path else (source.parent / unquote(parts.path)).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file() or root.resolve() not in target.resolve().parents:
            broken.append(f"<{tag}> {url}: no such file")
            continue
        fragment = unquote(parts.fragment)
        if fragment and target.suffix == ".html" and fragment not in _parsed(target).ids:
            broken.append(f"<{tag}> {url}: no id {fragment!r} on {target.name}")
    return broken


def test_every_internal_link_and_anchor_resolves(page):
    site, path = page
    root = require_site(site)
    broken = _broken_links(root, path)
    assert not broken, f"{site} {path}: {broken}"


def test_every_image_has_alt_text(page):
    site, path = page
    root = require_site(site)
    missing = [img.get("src") for img in _parsed(root / path).images if not img.get("alt")]
    assert not missing, f"{site} {path}: images without alt text: {missing}"


@pytest.mark.parametrize("site", list(SITES))
def test_the_link_check_sees_links(site):
    """Guard against a vacuous check: pages do link to other pages and anchors."""
    root = require_site(site)
    links = [url for p in pages(site) for _, url in _parsed(root / p).links]
    assert any(".html#" in u for u in links), "no cross-page anchor link found"
    assert any(u.startswith("#") and len(u) > 1 for u in links), "no in-page anchor found"


def test_a_broken_link_is_reported(tmp_path):
    (tmp_path / "a.html").write_text(
        '<a href="b.html#there">ok</a><a href="b.html#gone">x</a><a href="c.html">y</a>'
        '<img src="b.html"><a href="https://example.org/none">ext</a>'
    )
    (tmp_path / "b.html").write_text('<h1 id="there">B</h1>')
    assert _broken_links(tmp_path, "a.html") == [
        "<a> b.html#gone: no id 'gone' on b.html",
        "<a> c.html: no such file",
    ]


@pytest.mark.parametrize("site", list(SITES))
def test_colab_setup_cell_is_hidden_on_the_site(site, chapter):
    from tools.colab_cell import source

    root = require_site(site)
    text = htmltext.normalise("".join(_parsed(root / f"{chapter}.html").text))
    first_line = source().splitlines()[0].lstrip("# ")
    assert "importlib.util.find_spec" not in text and first_line not in text
