"""Accessibility fixes to the theme's HTML (WCAG 2.1 AA), as a Sphinx extension.

The site tests audit every page with axe-core (tests/site/test_browser.py).
What the theme and docutils emit, and what this extension changes:

- pydata-sphinx-theme's search button and colour-mode switch carry an
  ``aria-label`` that does not contain their visible text (WCAG 2.5.3, label
  in name): overridden templates in ``tools/theme/_templates``;
- links on the tinted background of admonitions and exercises fall short of
  4.5:1 contrast (WCAG 1.4.3): a darker link colour, ``tools/theme/_static/a11y.css``;
- myst-nb's toggle of a hidden cell (``hide-input``) is a ``<summary>`` whose
  ``aria-label`` ("Toggle hidden content") hides its visible text ("Show code
  cell source"): the label is dropped, so the visible text is the name;
- docutils renders the bibliography as ``role="list"`` whose entries have the
  deprecated ARIA role ``doc-biblioentry``, so the list has no list items
  (``aria-required-children``): each entry becomes a ``listitem``.
"""

from __future__ import annotations

from pathlib import Path

THEME = Path(__file__).resolve().parent / "theme"


def _config_inited(app, config) -> None:
    config.templates_path = [str(THEME / "_templates"), *config.templates_path]
    config.html_static_path = [*config.html_static_path, str(THEME / "_static")]


def _page_context(app, pagename, templatename, context, doctree) -> None:
    if "body" in context:
        body = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')
        context["body"] = body.replace('<summary aria-label="Toggle hidden content">', "<summary>")


def setup(app):
    """Register the template and CSS overrides and the bibliography fix."""
    app.connect("config-inited", _config_inited)
    app.connect("html-page-context", _page_context)
    app.add_css_file("a11y.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
