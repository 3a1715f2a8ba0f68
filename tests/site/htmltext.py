"""Read a built HTML page offline: its text, ids, links and images (standard library only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
HIDDEN = {"script", "style", "template"}


@dataclass
class Page:
    """What one HTML file holds."""

    ids: set[str] = field(default_factory=set)
    links: list[tuple[str, str]] = field(default_factory=list)  # (tag, url)
    images: list[dict] = field(default_factory=list)
    text: list[str] = field(default_factory=list)  # all visible text
    prose: list[str] = field(default_factory=list)  # <p> text outside solutions
    solutions: list[list[str]] = field(default_factory=list)  # text of each solution


class _Parser(HTMLParser):
    def __init__(self, page: Page):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.stack: list[tuple[str, bool]] = []  # (tag, opens a solution)
        self.hidden = 0
        self.paragraphs = 0
        self.solution_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key) and (key == "id" or tag == "a"):
                self.page.ids.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key) is not None and tag in {"a", "link", "img", "script", "iframe"}:
                self.page.links.append((tag, attrs[key]))
        if tag == "img":
            self.page.images.append(attrs)
        if tag in VOID:
            return
        opens = "solution" in (attrs.get("class") or "").split()
        if opens:
            self.page.solutions.append([])
        self.stack.append((tag, opens))
        self.solution_depth += opens
        self.hidden += tag in HIDDEN
        self.paragraphs += tag == "p"

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID or all(t != tag for t, _ in self.stack):
            return
        while self.stack:
            open_tag, opens = self.stack.pop()
            self.solution_depth -= opens
            self.hidden -= open_tag in HIDDEN
            self.paragraphs -= open_tag == "p"
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self.hidden:
            return
        self.page.text.append(data)
        if self.solution_depth:
            self.page.solutions[-1].append(data)
        elif self.paragraphs:
            self.page.prose.append(data)


def parse(path: Path) -> Page:
    """Parse the HTML file at ``path`` (once per version of the file: do not modify the result)."""
    stat = Path(path).stat()
    return _parse(Path(path).resolve(), stat.st_mtime_ns, stat.st_size)


@cache
def _parse(path: Path, mtime_ns: int, size: int) -> Page:
    page = Page()
    parser = _Parser(page)
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return page


def normalise(text: str) -> str:
    """Collapse every run of whitespace to one space."""
    return " ".join(text.split())
