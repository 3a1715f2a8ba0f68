"""Bibliography labels that keep a year's letter: ``[Gel06a]``, not ``[Gel6a]``.

Two works by the same authors in the same year carry ``year = {2006a}`` and
``{2006b}`` in ``book/references.bib``, so that the author-year citations in the
text tell them apart ("Gelman, 2006a"). pybtex's ``alpha`` labels take the last
two characters of the year, which would turn ``2006a`` into ``6a``; this Sphinx
extension registers the bibliography style ``course`` (``plain`` with these
labels), which ``_config.yml`` selects with ``bibtex_default_style``.

A work by an organisation may give a ``shorthand`` field (biblatex's name for
it), used in place of the authors' initials: ``shorthand = {FDA}`` labels the
FDA's guidance ``[FDA26]`` rather than ``[USFaDAdministration26]``.
"""

from __future__ import annotations

import re

from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels.alpha import LabelStyle as AlphaLabelStyle

_YEAR = re.compile(r"(\d{2})(\d{2})([a-z]?)")


class LabelStyle(AlphaLabelStyle):
    """``alpha`` labels, with two digits of the year and then its letter, if any."""

    def format_label(self, entry):
        """Return the label of ``entry``, e.g. ``Gel06a`` for ``year = {2006a}``."""
        label = super().format_label(entry)
        if "shorthand" in entry.fields:
            label = entry.fields["shorthand"] + entry.fields.get("year", "")[-2:]
        year = _YEAR.fullmatch(entry.fields.get("year", ""))
        if year is None:
            return label
        stem = label[: -len(year.group(0)[-2:])]
        return stem + year.group(2) + year.group(3)


class Style(PlainStyle):
    """The ``plain`` bibliography style with :class:`LabelStyle` labels."""

    default_label_style = "course"


def setup(app):
    """Register the ``course`` label and bibliography styles with pybtex."""
    register_plugin("pybtex.style.labels", "course", LabelStyle)
    register_plugin("pybtex.style.formatting", "course", Style)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
