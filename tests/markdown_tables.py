"""Markdown tables as GitHub renders them: a table whose separator or rows have another
number of cells than its header is shown as plain text, so every renderer's output is held
to this."""

from __future__ import annotations

import re

_SEPARATOR = re.compile(r"\|(\s*:?-+:?\s*\|)+")


def _cells(line: str) -> int:
    return len(re.split(r"(?<!\\)\|", line.strip())) - 2


def malformed_tables(text: str) -> list[str]:
    """Each table of ``text`` whose separator or rows disagree with its header's cell count."""
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        if i == 0 or not _SEPARATOR.fullmatch(line.strip()):
            continue
        header = _cells(lines[i - 1])
        rows = []
        for row in lines[i + 1 :]:
            if not row.startswith("|"):
                break
            rows.append(_cells(row))
        if _cells(line) != header or any(r != header for r in rows):
            found.append(
                f"line {i}: header {header} cells, separator {_cells(line)}, "
                f"rows {sorted(set(rows))}: {lines[i - 1][:80]}"
            )
    return found
