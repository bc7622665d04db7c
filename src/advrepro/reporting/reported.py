"""The papers' reported numbers, read from the tidy CSV in shared/reference (never from code)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pandas as pd


def load_reported(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: reported-results CSV not found; set the config key "
            "'reported_results' to its path"
        )
    return pd.read_csv(path, dtype=str, keep_default_na=False)


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
