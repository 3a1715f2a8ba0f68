"""MyST code and directive fences, read the same way by every build tool.

A fence opens with up to 3 spaces, then 3 or more backticks, tildes or colons,
then its info string (a language, or ``{directive} argument``); it closes with a
line of the same character, at least as long. ``tools/notebooks.py`` (reader
notebooks) and ``tools/student.py`` (solutions cut out) both read fences here.
"""

from __future__ import annotations

import re

#: The opening line of a fence: indent, the fence itself, the info string.
FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,}|:{3,})\s*(.*)$")


def closing(lines: list[str], start: int, fence: str, error: type[Exception] = ValueError) -> int:
    """Return the index of the line closing ``fence``, opened on line ``start`` of ``lines``.

    Raises ``error`` (a ``ValueError`` unless the caller names its own class)
    when the fence is never closed.
    """
    char, width = fence[0], len(fence)
    pattern = re.compile(rf"^ {{0,3}}{re.escape(char)}{{{width},}}\s*$")
    for i in range(start + 1, len(lines)):
        if pattern.match(lines[i]):
            return i
    raise error(f"fence opened on line {start + 1} is never closed")
