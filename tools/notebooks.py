"""Reader notebooks: the chapters as a learner opens them in Jupyter, Binder or Colab.

Usage: ``python tools/notebooks.py`` after the book is built (``make book``
runs it). The chapters are MyST notebooks: their prose holds roles and
directives (``{glue:text}``, ``{cite:p}``, ``{exercise}``, ...) that only the
book build understands; Jupyter, JupyterLab and Colab show them verbatim.
This script writes, for every chapter, a *reader notebook* whose Markdown is
plain CommonMark (plus the HTML and ``$`` math every Jupyter front end
renders):

- glued values (``{glue:text}``, ``{glue:md}``, ``{glue}``) replaced by the
  value the build computed, formatted as myst-nb formats it;
- citations as author-year text, the full references in a last cell;
- cross-references (``{doc}``, ``{ref}``, ``{numref}``, ``{eq}``, exercise
  labels, links to other chapters) as links to the page of the website
  (``html.baseurl`` of ``_config.yml``);
- each exercise under a numbered heading ("Exercise 5.3"), each solution in
  an HTML ``<details>`` block; the code cells of a gated solution stay
  ordinary, runnable cells, collapsed (``jupyter.source_hidden``) between the
  solution's ``<details>`` blocks;
- admonitions and other directives as block quotes with a bold title.

Code cells are kept as they are (the hidden Colab set-up cell included), so
a reader notebook runs exactly like the chapter. Values come from the
executed notebooks of the build (its execution cache): nothing is executed
again. Outputs are dropped: the notebooks are for running.

Results: ``_build/notebooks/NN_name.ipynb`` (and, replacing the MyST source,
``_build/html/_sources/book/NN_name.ipynb``: the page's download button).
``tools/student.py`` makes the student notebooks the same way, without
solutions; ``tools/publish.py`` publishes both for the launch buttons.
"""

from __future__ import annotations

import copy
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import nbformat

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.book import BUILD, ROOT, chapters, config
from tools.fences import FENCE, closing

OUTPUT = BUILD / "notebooks"

#: Directives rendered as a block quote with their name as the title.
ADMONITIONS = {
    "note",
    "tip",
    "hint",
    "important",
    "warning",
    "caution",
    "attention",
    "danger",
    "error",
    "seealso",
    "admonition",
    "dropdown",
    "margin",
    "sidebar",
    "topic",
    "epigraph",
    "card",
}
_ROLE = re.compile(r"\{([A-Za-z][\w:.+-]*)\}(`+)(.+?)\2", re.S)
_OPTION = re.compile(r"^:([\w-]+):\s*(.*)$")
_TARGET = re.compile(r"^\(([^()\s]+)\)=\s*$")
_EQ_LABEL = re.compile(r"\$\$[ \t]*\(([^()\s]+)\)[ \t]*$", re.M)
_EXPLICIT = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)
_CHAPTER_NUMBER = re.compile(r"^(\d+)_")


class ReaderError(ValueError):
    """A chapter's MyST markup cannot be turned into plain Markdown."""


# --- what the website knows: pages, labels, numbers ------------------------------


@dataclass(frozen=True)
class Target:
    """Where a label points: a page of the site, an anchor, its title and number."""

    docname: str
    anchor: str = ""
    title: str = ""
    number: str = ""
    kind: str = "section"  # section, figure, table, code-block, equation, exercise


@dataclass
class Site:
    """The labels and documents the book defines, and the website's address."""

    baseurl: str
    labels: dict[str, Target] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # docname -> title

    def url(self, docname: str, anchor: str = "") -> str:
        """Return the address of a page of the website, with an anchor if given."""
        return f"{self.baseurl}{docname}.html" + (f"#{anchor}" if anchor else "")


#: Where the student website is published, under the course website.
STUDENT_SITE = "student/"


def baseurl(root: Path = ROOT, edition: str = "instructor") -> str:
    """Return the address of a website, ending in ``/``.

    The course website is at ``html.baseurl`` of ``_config.yml``; the student
    edition at :data:`STUDENT_SITE` under it.
    """
    url = (config(root).get("html") or {}).get("baseurl", "")
    if not url.startswith(("https://", "http://")):
        raise ReaderError("_config.yml needs html.baseurl, the website's address")
    url = url.rstrip("/") + "/"
    return url + STUDENT_SITE if edition == "student" else url


def exercise_numbers(notebooks: dict[str, nbformat.NotebookNode]) -> dict[str, Target]:
    """Return the target of every labelled exercise, numbered "C.k" (chapter C, k-th)."""
    found = {}
    for docname, nb in notebooks.items():
        match = _CHAPTER_NUMBER.match(Path(docname).name)
        prefix = f"{int(match.group(1))}." if match else ""
        k = 0
        for cell in nb.cells:
            if cell.cell_type != "markdown":
                continue
            for block in _blocks(cell.source):
                if isinstance(block, _Directive) and block.name == "exercise":
                    if "nonumber" in block.options:
                        continue
                    k += 1
                    label = block.options.get("label", "")
                    if label:
                        found[label] = Target(
                            docname, label, block.argument, f"{prefix}{k}", "exercise"
                        )
    return found


def site_from_build(
    doctrees: Path = BUILD / ".doctrees", root: Path = ROOT, edition: str = "instructor"
) -> Site:
    """Read labels, titles and numbers from the Sphinx environment of the build."""
    import pickle

    with open(doctrees / "environment.pickle", "rb") as fh:
        env = pickle.load(fh)
    site = Site(baseurl(root, edition))
    site.titles = {doc: node.astext() for doc, node in env.titles.items()}
    std = env.domaindata.get("std", {})
    fignumbers = env.toc_fignumbers
    for label, (docname, anchor, title) in std.get("labels", {}).items():
        kind, number = "section", ""
        for figtype, ids in fignumbers.get(docname, {}).items():
            if anchor in ids:
                kind, number = figtype, ".".join(map(str, ids[anchor]))
        site.labels[label] = Target(docname, anchor, title, number, kind)
    for label, (docname, anchor) in std.get("anonlabels", {}).items():
        if label not in site.labels:
            site.labels[label] = Target(docname, anchor, site.titles.get(docname, ""))
    for label, value in env.domaindata.get("math", {}).get("objects", {}).items():
        docname, number = value[0], value[1]
        site.labels[label] = Target(docname, f"equation-{label}", "", str(number), "equation")
    return site


# --- the bibliography ------------------------------------------------------------


@dataclass
class Bibliography:
    """Author-year labels and full references of ``book/references.bib``."""

    labels: dict[str, tuple[str, str]]  # key -> (authors, year)
    entries: dict[str, str]  # key -> Markdown reference

    def cite(self, key: str) -> tuple[str, str]:
        """Return ``(authors, year)`` of a citation key."""
        if key not in self.labels:
            raise ReaderError(f"citation key {key!r} is not in references.bib")
        return self.labels[key]


def _latex_to_text(text: str) -> str:
    from pybtex.richtext import Text

    return str(Text.from_latex(text)).replace("\\&", "&")


def _surname(person) -> str:
    return _latex_to_text(" ".join(person.prelast_names + person.last_names))


@cache
def bibliography(path: Path = ROOT / "book" / "references.bib") -> Bibliography:
    """Parse the bibliography: labels as sphinxcontrib-bibtex's author_year style."""
    from pybtex.database import parse_file
    from pybtex.plugin import find_plugin

    data = parse_file(str(path))
    labels = {}
    for key, entry in data.entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [_surname(p) for p in people]
        if not names:
            authors = _latex_to_text(
                entry.fields.get("organization", entry.fields.get("title", key))
            )
        elif len(names) == 1:
            authors = names[0]
        elif len(names) == 2:
            authors = f"{names[0]} and {names[1]}"
        else:
            authors = f"{names[0]} et al."
        labels[key] = (authors, entry.fields.get("year", "n.d."))
    # Two works with the same label are told apart by a letter (Gelman 2006a, 2006b).
    by_label: dict[tuple[str, str], list[str]] = {}
    for key, label in labels.items():
        by_label.setdefault(label, []).append(key)
    for (authors, year), keys in by_label.items():
        if len(keys) > 1:
            ordered = sorted(keys, key=lambda k: data.entries[k].fields.get("title", k))
            for letter, key in zip("abcdefghijklmnopqrstuvwxyz", ordered, strict=False):
                labels[key] = (authors, f"{year}{letter}")
    style = find_plugin("pybtex.style.formatting", "plain")()
    backend = find_plugin("pybtex.backends", "markdown")()
    entries = {}
    for entry in style.format_entries(data.entries.values()):
        authors, year = labels[entry.key]
        text = re.sub(r"\\([.,:;()\[\]-])", r"\1", entry.text.render(backend))
        entries[entry.key] = f"{authors} ({year}). " + " ".join(text.split())
    return Bibliography(labels, entries)


# --- parsing MyST blocks ----------------------------------------------------------


@dataclass
class _Directive:
    name: str
    argument: str
    options: dict[str, str]
    body: str


def _blocks(text: str) -> list[str | _Directive]:
    """Split Markdown into plain text runs, code fences (kept as text) and directives."""
    lines = text.split("\n")
    out: list[str | _Directive] = []
    plain: list[str] = []
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence or (fence.group(2)[0] == ":" and not fence.group(3).startswith("{")):
            if fence and fence.group(2)[0] == ":":  # a bare ::: is not CommonMark either
                raise ReaderError(f"colon fence without a directive: {lines[i]!r}")
            plain.append(lines[i])
            i += 1
            continue
        end = closing(lines, i, fence.group(2), ReaderError)
        info = fence.group(3).strip()
        directive = re.match(r"^\{([\w:.+-]+)\}\s*(.*)$", info)
        if not directive:  # an ordinary code block: keep it verbatim
            plain.extend(lines[i : end + 1])
            i = end + 1
            continue
        body_lines = lines[i + 1 : end]
        options: dict[str, str] = {}
        if body_lines and body_lines[0].strip() == "---":  # YAML block of options
            close = body_lines.index("---", 1)
            import yaml

            options = {
                k: str(v) for k, v in (yaml.safe_load("\n".join(body_lines[1:close])) or {}).items()
            }
            body_lines = body_lines[close + 1 :]
        else:
            while body_lines and _OPTION.match(body_lines[0]):
                key, value = _OPTION.match(body_lines[0]).groups()
                options[key] = value.strip()
                body_lines = body_lines[1:]
        if plain:
            out.append("\n".join(plain))
            plain = []
        out.append(
            _Directive(
                directive.group(1), directive.group(2).strip(), options, "\n".join(body_lines)
            )
        )
        i = end + 1
    if plain:
        out.append("\n".join(plain))
    return out


# --- turning one notebook into a reader notebook ---------------------------------


class _Converter:
    """Converts the Markdown of one notebook, with what the build knows."""

    def __init__(self, docname, glue, site, bib, exercises, solutions=True):
        self.docname = docname
        self.glue = glue  # key -> mime bundle (dict)
        self.site = site
        self.bib = bib
        self.exercises = exercises
        self.solutions = solutions
        self.cited: list[str] = []
        self.equations = 0

    # inline roles -------------------------------------------------------------

    def role(self, name: str, content: str) -> str:
        if name.startswith("glue"):
            return self._glue(name, content)
        if name == "cite" or name.startswith("cite:"):
            return self._cite(name, content)
        if name in {"doc", "ref", "numref", "eq", "any", "term", "prf:ref"}:
            return self._xref(name, content)
        if name in {"math"}:
            return f"${content}$"
        if name in {"code", "literal", "samp", "file", "command", "kbd"}:
            return f"`{content}`"
        if name in {"sub", "sup"}:
            return f"<{name}>{content}</{name}>"
        if name in {"abbr"}:
            return _EXPLICIT.sub(r"\1", content)
        raise ReaderError(f"{self.docname}: no plain-Markdown form for the role {{{name}}}")

    def _glue(self, name: str, content: str) -> str:
        from myst_nb.core.variables import format_plain_text

        kind = name.split(":", 1)[1] if ":" in name else "any"
        key, fmt = content, ""
        if kind == "text":
            key, fmt = content.rsplit(":", 1) if ":" in content else (content, "s")
        elif kind == "md" and ":" in content:
            key = content.split(":", 1)[0]
        if "::" in key:
            raise ReaderError(
                f"{self.docname}: glue from another document ({key}) is not supported"
            )
        if key not in self.glue:
            raise ReaderError(f"{self.docname}: no glued value {key!r} in the executed notebook")
        data = self.glue[key]
        if kind == "text":
            return format_plain_text(data["text/plain"], fmt)
        if "text/markdown" in data:
            return data["text/markdown"].strip()
        if kind == "md":
            raise ReaderError(f"{self.docname}: {key!r} was not glued as Markdown")
        return data.get("text/plain", "")

    def _cite(self, name: str, content: str) -> str:
        keys = [k.strip() for k in content.split(",") if k.strip()]
        self.cited += [k for k in keys if k not in self.cited]
        cites = [self.bib.cite(k) for k in keys]
        variant = name.split(":", 1)[1] if ":" in name else "p"
        if variant.startswith("t"):
            return "; ".join(f"{a} ({y})" for a, y in cites)
        if variant == "author":
            return "; ".join(a for a, _ in cites)
        if variant == "year":
            return "; ".join(y for _, y in cites)
        return "(" + "; ".join(f"{a}, {y}" for a, y in cites) + ")"

    def _xref(self, name: str, content: str) -> str:
        explicit = _EXPLICIT.match(content)
        text, label = (explicit.group(1), explicit.group(2)) if explicit else (None, content)
        if name == "doc":
            docname = self._docname(label)
            title = text or self.site.titles.get(docname)
            if title is None:
                raise ReaderError(f"{self.docname}: {{doc}} to an unknown page {label!r}")
            return f"[{title}]({self.site.url(docname)})"
        target = self.exercises.get(label) or self.site.labels.get(label)
        if target is None:
            raise ReaderError(f"{self.docname}: {{{name}}} to an unknown label {label!r}")
        if target.kind == "exercise":
            default = f"Exercise {target.number}"
            number = target.number
        elif target.kind == "equation":
            default = f"({target.number})"
            number = target.number
        else:
            number = target.number
            prefix = {"figure": "Fig.", "table": "Table", "code-block": "Listing"}.get(target.kind)
            default = f"{prefix} {number}" if name == "numref" and prefix else target.title or label
        if text and "%s" in text:
            text = text.replace("%s", number)
        elif text and "{number}" in text:
            text = text.replace("{number}", number)
        return f"[{text or default}]({self.site.url(target.docname, target.anchor)})"

    def _docname(self, ref: str) -> str:
        ref = ref.removesuffix(".ipynb").removesuffix(".md")
        if ref.startswith("/"):
            return ref.lstrip("/")
        return (Path(self.docname).parent / ref).as_posix().removeprefix("./")

    def inline(self, text: str) -> str:
        """Replace the roles, targets, comments and links of a run of Markdown."""
        out = []
        in_code = None
        for line in text.split("\n"):
            fence = re.match(r"^ {0,3}(`{3,}|~{3,})", line)
            if in_code:
                out.append(line)
                if (
                    fence
                    and fence.group(1)[0] == in_code[0]
                    and len(fence.group(1)) >= len(in_code)
                ):
                    in_code = None
                continue
            if fence:
                in_code = fence.group(1)
                out.append(line)
                continue
            if _TARGET.match(line) or line.startswith("%") or line.strip() == "+++":
                continue
            out.append(line)
        text = "\n".join(out)
        text = self._math_labels(text)
        text = _ROLE.sub(lambda m: self.role(m.group(1), m.group(3)), text)
        return re.sub(r"\]\((?![a-z]+:|#)([^)\s]+?)\.(ipynb|md)(#[^)\s]*)?\)", self._link, text)

    def _link(self, match: re.Match) -> str:
        docname = self._docname(match.group(1))
        return f"]({self.site.url(docname)}{match.group(3) or ''})"

    def _math_labels(self, text: str) -> str:
        r"""``$$ ... $$ (label)`` becomes ``$$ ... \\tag{n} $$`` with the site's number."""

        def tag(match: re.Match) -> str:
            label = match.group(1)
            self.equations += 1
            target = self.site.labels.get(label)
            number = target.number if target else str(self.equations)
            return f"\\tag{{{number}}}\n$$"

        return _EQ_LABEL.sub(lambda m: tag(m), text) if "$$" in text else text

    # directives ---------------------------------------------------------------

    def directive(self, block: _Directive) -> str:
        name = block.name
        body = self.markdown(block.body) if block.body.strip() else ""
        if name == "exercise":
            target = self.exercises.get(block.options.get("label", ""))
            title = f"Exercise {target.number}" if target else "Exercise"
            if block.argument:
                title += f": {self.inline(block.argument)}"
            return f"### {title}\n\n{body}".rstrip()
        if name == "math":
            label = block.options.get("label")
            tag = ""
            if label:
                self.equations += 1
                target = self.site.labels.get(label)
                tag = f"\n\\tag{{{target.number if target else self.equations}}}"
            return f"$$\n{block.body.strip()}{tag}\n$$"
        if name in {"code-block", "code", "code-cell", "sourcecode"}:
            return f"```{block.argument}\n{block.body}\n```"
        if name in {"figure", "image"}:
            alt = block.options.get("alt", "")
            return f"![{alt}]({block.argument})" + (f"\n\n*{body}*" if body else "")
        if name in {"bibliography", "tableofcontents", "glue", "glue:any", "glue:figure"}:
            raise ReaderError(f"{self.docname}: no plain-Markdown form for {{{name}}}")
        if name == "glue:md":
            return self._glue("glue:md", block.argument)
        if name == "only":
            return body
        title = self.inline(block.argument) if block.argument else name.capitalize()
        if name == "seealso":
            title = "See also"
        if name not in ADMONITIONS and not name.startswith("admonition"):
            raise ReaderError(f"{self.docname}: no plain-Markdown form for {{{name}}}")
        quoted = "\n".join(f"> {ln}".rstrip() for ln in body.split("\n"))
        return f"> **{title}**\n>\n{quoted}"

    def markdown(self, text: str) -> str:
        parts = []
        for block in _blocks(text):
            parts.append(self.inline(block) if isinstance(block, str) else self.directive(block))
        return "\n\n".join(p.strip("\n") for p in parts if p.strip())

    # solutions ----------------------------------------------------------------

    def solution_title(self, argument: str) -> str:
        target = self.exercises.get(argument.strip())
        return f"Solution to Exercise {target.number}" if target else "Solution"


def details(summary: str, body: str) -> str:
    """Return an HTML ``<details>`` block; blank lines keep its body Markdown."""
    return f"<details>\n<summary><b>{summary}</b></summary>\n\n{body.strip()}\n\n</details>"


def _solution_part(title: str, continued: bool, markdown: list[str]) -> str:
    """Return the ``<details>`` of the Markdown of a gated solution within one cell."""
    summary = f"{title} (continued)" if continued else title
    body = "\n\n".join(p for p in markdown if p.strip()) or (
        "The code cells that follow, up to the end of this solution, compute the "
        "answer; they are collapsed: click a cell's left bar to show its code."
    )
    return details(summary, body)


def convert(
    nb: nbformat.NotebookNode,
    glue: dict[str, dict],
    *,
    docname: str,
    site: Site,
    bib: Bibliography,
    exercises: dict[str, Target],
) -> nbformat.NotebookNode:
    """Return the reader notebook of ``nb`` (a chapter, or a student copy of one).

    ``glue`` maps each glued key to its mime bundle (see :func:`glue_values`).
    Outputs and execution counts are dropped; code cells and cell ids are kept.
    """
    conv = _Converter(docname, glue, site, bib, exercises)
    out = copy.deepcopy(nb)
    out.cells = []
    gated: str | None = None  # title of the open gated solution
    for cell in nb.cells:
        new = copy.deepcopy(cell)
        if cell.cell_type == "code":
            new.outputs, new.execution_count = [], None
            if gated:  # part of a solution: runnable, collapsed until opened
                new.metadata.setdefault("jupyter", {})["source_hidden"] = True
            out.cells.append(new)
            continue
        if cell.cell_type != "markdown":
            out.cells.append(new)
            continue
        parts: list[str] = []
        pending: list[str] = []  # markdown of the open gated solution in this cell
        continued = gated is not None
        for block in _blocks(cell.source):
            name = block.name if isinstance(block, _Directive) else None
            if name == "solution-start":
                if gated:
                    raise ReaderError(f"{docname}: {{solution-start}} inside a solution")
                gated, continued = conv.solution_title(block.argument), False
                if block.body.strip():
                    pending.append(conv.markdown(block.body))
            elif name == "solution-end":
                if not gated:
                    raise ReaderError(f"{docname}: {{solution-end}} without {{solution-start}}")
                if pending or not continued:
                    parts.append(_solution_part(gated, continued, pending))
                    pending = []
                gated = None
            elif name == "solution":
                parts.append(
                    details(conv.solution_title(block.argument), conv.markdown(block.body))
                )
            else:
                text = conv.inline(block) if isinstance(block, str) else conv.directive(block)
                (pending if gated else parts).append(text)
        if gated and (pending or not continued):
            parts.append(_solution_part(gated, continued, pending))
        new.source = "\n\n".join(p.strip("\n") for p in parts if p.strip())
        new.pop("attachments", None) if not new.source else None
        if new.source:
            out.cells.append(new)
    if gated:
        raise ReaderError(f"{docname}: {{solution-start}} without {{solution-end}}")
    if conv.cited:
        refs = "\n".join(f"- {bib.entries[k]}" for k in sorted(conv.cited, key=bib.labels.get))
        cell = nbformat.v4.new_markdown_cell(f"## References\n\n{refs}")
        cell.id = "reader-references"
        out.cells.append(cell)
    out.metadata.pop("widgets", None)
    return out


def glue_values(executed: nbformat.NotebookNode) -> dict[str, dict]:
    """Return ``{key: mime bundle}`` of every value glued in an executed notebook."""
    found = {}
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            prefix = len(meta.get("mime_prefix", ""))
            found[meta["name"]] = {k[prefix:]: v for k, v in output.get("data", {}).items()}
    return found


# --- MyST-only markup: what must not be left ------------------------------------

_MYST_BLOCKS = [
    ("directive", re.compile(r"^ {0,3}(`{3,}|~{3,}|:{3,})\s*\{", re.M)),
    ("colon fence", re.compile(r"^ {0,3}:{3,}", re.M)),
    ("target", re.compile(r"^\([^()\s]+\)=\s*$", re.M)),
    ("equation label", re.compile(r"\$\$\s*\([^()\s]+\)\s*$", re.M)),
    ("comment", re.compile(r"^%", re.M)),
    ("block break", re.compile(r"^\+\+\+\s*$", re.M)),
    ("option line", re.compile(r"^:(label|class|name|nonumber|alt|caption):", re.M)),
]


def myst_markup(text: str) -> list[str]:
    """Return the MyST-only constructs left in a Markdown text (code excluded)."""
    plain = []
    in_code = None
    for line in text.split("\n"):
        fence = re.match(r"^ {0,3}(`{3,}|~{3,})(.*)$", line)
        if in_code:
            if fence and fence.group(1)[0] == in_code[0] and not fence.group(2).strip():
                in_code = None
            continue
        if fence and not fence.group(2).strip().startswith("{"):
            in_code = fence.group(1)
            continue
        plain.append(line)
    text = "\n".join(plain)
    found, kept, pos = [], [], 0
    for what, pattern in _MYST_BLOCKS:
        found += [f"{what}: {m.group(0).strip()!r}" for m in pattern.finditer(text)]
    # Inline code spans are code, except the one a role name opens.
    for match in re.finditer(r"(\{[A-Za-z][\w:.+-]*\})?(`+)", text):
        if match.start() < pos:
            continue
        close = text.find(match.group(2), match.end())
        if match.group(1):
            found.append(f"role: {text[match.start() : max(close, match.end()) + 1]!r}")
        kept.append(text[pos : match.start()])
        pos = match.end() if close < 0 else close + len(match.group(2))
    text = "".join(kept) + text[pos:]
    found += [f"substitution: {m.group(0)!r}" for m in re.finditer(r"\{\{[^{}]+\}\}", text)]
    return found


def notebook_markup(nb: nbformat.NotebookNode) -> list[str]:
    """MyST-only constructs in the Markdown cells of ``nb``, as ``cell N: ...``."""
    return [
        f"cell {i}: {found}"
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "markdown"
        for found in myst_markup(cell.source)
    ]


# --- the build step ---------------------------------------------------------------


def chapter_sources() -> dict[str, nbformat.NotebookNode]:
    """Return the committed chapters, keyed by docname (``book/NN_name``)."""
    return {
        p.relative_to(ROOT).with_suffix("").as_posix(): nbformat.read(p, as_version=4)
        for p in chapters()
    }


def write_all(
    sources: dict[str, nbformat.NotebookNode],
    executed: dict[str, nbformat.NotebookNode],
    folder: Path,
    *,
    site: Site,
) -> dict[str, nbformat.NotebookNode]:
    """Write one reader notebook per chapter into ``folder``; return them by docname."""
    bib = bibliography()
    exercises = exercise_numbers(chapter_sources())
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for docname, nb in sources.items():
        reader = convert(
            nb,
            glue_values(executed[docname]),
            docname=docname,
            site=site,
            bib=bib,
            exercises=exercises,
        )
        left = notebook_markup(reader)
        if left:
            raise ReaderError(f"{docname}: MyST markup left: {left}")
        nbformat.write(reader, folder / f"{Path(docname).name}.ipynb")
        written[docname] = reader
    return written


def build() -> None:
    """Write ``_build/notebooks/`` and put them behind the site's download buttons."""
    from tools.student import _executed

    sources = chapter_sources()
    executed = {doc: _executed(ROOT / f"{doc}.ipynb") for doc in sources}
    written = write_all(sources, executed, OUTPUT, site=site_from_build())
    for docname, reader in written.items():
        nbformat.write(reader, BUILD / "html" / "_sources" / f"{docname}.ipynb")
    print(f"Reader notebooks: {len(written)} in {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    try:
        build()
    except ReaderError as err:
        sys.exit(f"reader notebooks: {err}")
