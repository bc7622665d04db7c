"""The papers' reported numbers, read from the tidy CSV in shared/reference (never from code)."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pandas as pd


class ReportedResultsError(ValueError):
    """The reported-results CSV is malformed; the message names file, line and column."""


# Columns every row needs; a selector field of the config (attack, eps, setting, ...) that is
# not a column is named where it is used (find_reported).
REQUIRED_COLUMNS = ("paper", "item", "method", "value")
# Columns that hold numbers where they are not empty (selectors compare them as numbers)
NUMBER_COLUMNS = ("eps", "steps", "restarts")
# Columns that do not tell two reported numbers apart
NOT_A_KEY = ("value", "note")


def check_reported(path: str | Path) -> None:
    """Check the reported-results CSV the way the table jobs read it, so that a problem is
    found when the workflow starts (common.smk), not by a table job after all the compute:
    the required columns, one field per column on every row, a number in ``value`` (and in
    eps, steps, restarts where given), and no two rows for the same reported number (a table
    could not tell which one the paper printed). Raises ReportedResultsError naming file,
    line and column."""
    import csv

    path = Path(path)
    problems = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [c.strip() for c in next(reader, [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise ReportedResultsError(
                f"{path}: line 1: the header lacks the columns {', '.join(missing)} "
                f"(it has: {', '.join(header) or 'nothing'})"
            )
        key_columns = [i for i, c in enumerate(header) if c not in NOT_A_KEY]
        first_line: dict[tuple, int] = {}
        for row in reader:
            line = reader.line_num
            if not any(field.strip() for field in row):
                continue  # a blank line
            if len(row) != len(header):
                problems.append(
                    f"{path}: line {line} has {len(row)} fields, the header {len(header)}"
                )
                continue
            fields = dict(zip(header, row))
            problems += [
                f"{path}: line {line}, column '{column}': {fields[column]!r} is not a number"
                for column in ("value", *NUMBER_COLUMNS)
                if column in fields
                and (fields[column] != "" or column == "value")
                and not _is_number(fields[column])
            ]
            key = tuple(row[i].strip() for i in key_columns)
            if key in first_line:
                problems.append(
                    f"{path}: line {line} repeats the reported number of line "
                    f"{first_line[key]} ({', '.join(f'{header[i]} {row[i]}' for i in key_columns if row[i])}): "
                    "delete one, or tell them apart in a column"
                )
            else:
                first_line[key] = line
    if problems:
        shown = problems[:20] + (
            [f"... and {len(problems) - 20} more"] if len(problems) > 20 else []
        )
        raise ReportedResultsError(
            "reported-results CSV (config key 'reported_results'):\n  " + "\n  ".join(shown)
        )


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(parse_number(text))
    except (ValueError, ZeroDivisionError, TypeError):
        return False


def load_reported(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: reported-results CSV not found; set the config key "
            "'reported_results' to its path"
        )
    check_reported(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def parse_number(text: str | float | int | None) -> float | None:
    """'0.3' -> 0.3, '8/255' -> 0.0313..., '' -> None."""
    if text is None or text == "":
        return None
    if isinstance(text, (int, float)):
        return float(text)
    return float(Fraction(text.strip()))


def _same(field: str, wanted, found: str) -> bool:
    if field in ("eps", "steps", "restarts"):
        return parse_number(wanted) == parse_number(found)
    return str(wanted) == found


def find_reported(
    table: pd.DataFrame,
    paper: str,
    item: str,
    method: str,
    selector: dict,
    prefer: dict | None = None,
) -> pd.Series | None:
    """The single reported row for (paper, item, method, selector); None if the paper has none.
    ``prefer`` narrows several matches (e.g. the row's architecture in a table that prints two)."""
    rows = table[(table.paper == paper) & (table.item == item) & (table.method == method)]
    for field, wanted in selector.items():
        if field not in table.columns:
            raise KeyError(f"reported-results selector field '{field}' is not a CSV column")
        if rows.empty:
            break
        rows = rows.loc[
            rows[field]
            .map(lambda found, field=field, wanted=wanted: _same(field, wanted, found))
            .astype(bool)
        ]
    for field, wanted in (prefer or {}).items():
        if len(rows) > 1:
            rows = rows.loc[
                rows[field]
                .map(lambda found, field=field, wanted=wanted: _same(field, wanted, found))
                .astype(bool)
            ]
    if len(rows) > 1:
        raise ValueError(
            f"selector {selector} matches {len(rows)} reported rows for "
            f"{paper} {item} {method}; make it more specific"
        )
    return None if rows.empty else rows.iloc[0]
