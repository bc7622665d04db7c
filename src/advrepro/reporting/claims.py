"""Each paper's claims as checkable statements, evaluated on the artifacts' CSVs.

A claim (config ``claims.<paper>[]``) quotes the paper's sentence (``quote``, ``source``), names
a ``check`` kind and the artifact it reads. Every claim is checked twice:

* on our numbers (each cell's mean over seeds): ``holds`` / ``fails``, ``not comparable`` (a
  claim about a reported number, on a run that is not the paper's setting) or ``not run``;
* on the paper's own numbers (each cell's printed number, read from the reported CSV):
  ``holds``, ``the paper's own numbers contradict it``, or ``no printed numbers to check it
  on`` (a claim about training cost, or a figure whose other points the paper does not print);
  a claim of ours (no ``quote``) is not checked there.

Relative claims (MCT beats AT) are evaluated on whatever data ran; the ``scope`` column says
whether that was the paper's setting or a stand-in at reduced scale.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from advrepro.config import CLAIM_DEFAULTS
from advrepro.registry import function_registry
from advrepro.reporting.verdict import outcome

CHECKS = {}

CONTRADICTED = "the paper's own numbers contradict it"
UNPRINTED = "no printed numbers to check it on"


class NotRun(Exception):
    """A cell the claim needs has no number (not computed, or not printed)."""


check_kind = function_registry(CHECKS)
Value = Callable[[str, str], float]


def _ours(table: pd.DataFrame) -> Value:
    def value(row: str, column: str) -> float:
        cell = table[(table.row == row) & (table.column == column)]
        if cell.empty or cell.iloc[0].status != "ok" or math.isnan(cell.iloc[0].ours_mean):
            raise NotRun(f"no value for {row} / {column}")
        return float(cell.iloc[0].ours_mean)

    return value


def _printed(table: pd.DataFrame) -> Value:
    def value(row: str, column: str) -> float:
        cell = table[(table.row == row) & (table.column == column)]
        if cell.empty or "reported" not in cell or math.isnan(cell.iloc[0].reported):
            raise NotRun(f"nothing printed for {row} / {column}")
        return float(cell.iloc[0].reported)

    return value


def _columns(table: pd.DataFrame, claim: dict) -> list[str]:
    columns = claim.get("columns") or list(dict.fromkeys(table.column))
    return [
        c
        for c in columns
        if c not in claim.get("exclude_columns", CLAIM_DEFAULTS["exclude_columns"])
    ]


def _margins(claim: dict, columns: list[str], value: Value) -> list[tuple[float, str, str]]:
    """(row minus the best of ``others``, column, that best other) per column."""
    margins = []
    for column in columns:
        mine = value(claim["row"], column)
        best_other, best = max((value(o, column), o) for o in claim["others"])
        margins.append((mine - best_other, column, best))
    return margins


@check_kind("beats")
def _beats(table: pd.DataFrame, claim: dict, value: Value) -> tuple[bool, str]:
    """``row`` has a higher value than every one of ``others`` in every column."""
    margins = _margins(claim, _columns(table, claim), value)
    worst, largest = min(margins), max(margins)
    losses = [f"{c} (best other {o})" for m, c, o in margins if m <= 0]
    evidence = (
        f"smallest margin {worst[0]:+.2f} points ({worst[1]}, vs {worst[2]}), largest "
        f"{largest[0]:+.2f} ({largest[1]}, vs {largest[2]})"
    )
    return not losses, evidence + ("" if not losses else "; not ahead under " + ", ".join(losses))


@check_kind("improves_on_average")
def _improves_on_average(table: pd.DataFrame, claim: dict, value: Value) -> tuple[bool, str]:
    """The mean over the columns of ``row`` minus the best of ``others`` is positive (the
    paper's "average improvement ... compared to" those models)."""
    margins = _margins(claim, _columns(table, claim), value)
    average = sum(m for m, _, _ in margins) / len(margins)
    return average > 0, (
        f"average improvement over the best of {', '.join(claim['others'])}: "
        f"{average:+.2f} points over {len(margins)} columns"
    )


@check_kind("cost_below")
def _cost_below(table: pd.DataFrame, claim: dict, value: Value) -> tuple[bool, str]:
    """Training ``method`` costs less per epoch than ``other`` in ``experiment``."""
    part = table[table.experiment == claim["experiment"]].set_index("method")
    if claim["method"] not in part.index or claim["other"] not in part.index:
        raise NotRun(f"no training history for {claim['method']} or {claim['other']}")
    mine, other = (
        float(part.loc[m, "seconds_per_epoch"]) for m in (claim["method"], claim["other"])
    )
    return mine < other, (
        f"{claim['method']} {mine:.2f} s/epoch, {claim['other']} "
        f"{other:.2f} s/epoch (ratio {mine / other:.3f})"
    )


def _curve(table: pd.DataFrame, column: str, value: Value) -> list[tuple[float, str, float]]:
    """(x of the row, row, value) down one column, in x order (MCT Table 4's sigma)."""
    rows = table[table.column == column].drop_duplicates("row").sort_values("x_row")
    if rows.empty:
        raise NotRun(f"no column {column}")
    return [(float(r.x_row), r.row, value(r.row, column)) for r in rows.itertuples()]


@check_kind("peak_below")
def _peak_below(table: pd.DataFrame, claim: dict, value: Value) -> tuple[bool, str]:
    """Under each of ``columns``, the row with the highest value has x (e.g. sigma) below
    ``threshold``."""
    found, evidence = [], []
    for column in claim.get("columns") or [claim["column"]]:
        x, row, best = max(_curve(table, column, value), key=lambda point: point[2])
        found.append(x < claim["threshold"])
        evidence.append(f"{column}: highest {best:.2f} at {row} (x = {x:g})")
    return all(found), "; ".join(evidence) + f"; threshold {claim['threshold']:g}"


@check_kind("rises_then_falls")
def _rises_then_falls(table: pd.DataFrame, claim: dict, value: Value) -> tuple[bool, str]:
    """Down each of ``columns`` in x order the value first rises to its highest (not at the
    first row) and then falls (the paper's "first increases and then decreases")."""
    failures, evidence = [], []
    for column in claim["columns"]:
        values = [v for _, _, v in _curve(table, column, value)]
        peak = values.index(max(values))
        rises = all(b >= a for a, b in zip(values[:peak], values[1 : peak + 1]))
        falls = all(b <= a for a, b in zip(values[peak:], values[peak + 1 :]))
        if not (0 < peak and rises and falls):
            failures.append(column)
        evidence.append(f"{column}: " + " → ".join(f"{v:.2f}" for v in values))
    return not failures, "; ".join(evidence) + (
        "" if not failures else f" — not rising then falling: {', '.join(failures)}"
    )


def _lines(table: pd.DataFrame, claim: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    """The (name, cells) lines an ``increasing`` claim reads: along the columns of each row,
    along the rows of each column, or along x within each series of a line figure."""
    rows = claim.get("rows") or list(dict.fromkeys(table.row))
    columns = claim.get("columns") or list(dict.fromkeys(table.column))
    along = claim.get("along", "columns")
    if along == "rows":
        return [(c, [(r, c) for r in rows]) for c in columns]
    if along == "series":
        lines = []
        for row in rows:
            part = table[(table.row == row) & table.column.isin(columns)].sort_values("x")
            for series, group in part.groupby("series", sort=False):
                lines.append((f"{row} {series}", [(row, c) for c in group.column]))
        return lines
    return [(r, [(r, c) for c in columns]) for r in rows]


@check_kind("increasing")
def _increasing(table: pd.DataFrame, claim: dict, value: Value) -> tuple[bool, str]:
    """The value does not fall along each line (``along``: the columns of each row, the rows
    of each column, or x within each series) and ends above where it starts."""
    failures, curves = [], []
    for name, line in _lines(table, claim):
        values = [value(r, c) for r, c in line]
        curves.append(f"{name}: " + " → ".join(f"{v:.2f}" for v in values))
        if any(b < a for a, b in zip(values, values[1:])) or values[-1] <= values[0]:
            failures.append(name)
    return not failures, "; ".join(curves) + (
        "" if not failures else f" — not rising: {', '.join(failures)}"
    )


@check_kind("at_least")
def _at_least(table: pd.DataFrame, claim: dict, value: Value) -> tuple[bool, str]:
    """Every one of ``rows`` keeps at least ``threshold`` % under ``column``."""
    values = {row: value(row, claim["column"]) for row in claim["rows"]}
    below = [r for r, v in values.items() if v < claim["threshold"]]
    evidence = ", ".join(f"{r} {v:.2f}" for r, v in values.items())
    return not below, f"{evidence} (threshold {claim['threshold']:g})"


@check_kind("matches_reported")
def _matches_reported(table: pd.DataFrame, claim: dict, value: Value) -> tuple[bool | None, str]:
    """The cell's verdict against the paper's number is one of ``accept``; None when the run is
    not comparable with the paper (on the paper's numbers: nothing to check)."""
    cell = table[(table.row == claim["row"]) & (table.column == claim["column"])]
    if cell.empty or cell.iloc[0].status != "ok":
        raise NotRun(f"no value for {claim['row']} / {claim['column']}")
    cell = cell.iloc[0]
    evidence = (
        f"ours {cell.ours_mean:.2f} ± {cell.ours_std:.2f}, reported {cell.reported:.2f}: "
        f"{cell.verdict}"
    )
    if outcome(cell.verdict) in ("not comparable", "not judged", "no reported value"):
        return None, evidence
    return outcome(cell.verdict) in claim.get("accept", CLAIM_DEFAULTS["accept"]), evidence


# checks whose statement is about our run, not the paper's numbers
ABOUT_OUR_RUN = ("matches_reported", "cost_below")


def scope(table: pd.DataFrame) -> str:
    if not {"scale", "dataset", "paper_dataset"} <= set(table.columns) or table.empty:
        return "unknown"
    first = table.iloc[0]
    if first.scale == "paper" and first.dataset == first.paper_dataset:
        return "paper setting"
    return (
        f"{first.scale} scale on {first.dataset} (stand-in for {first.paper_dataset})"
        if first.dataset != first.paper_dataset
        else f"{first.scale} scale"
    )


def on_the_papers_numbers(table: pd.DataFrame, claim: dict) -> tuple[str, str]:
    """(holds / the paper's own numbers contradict it / no printed numbers to check it on /
    '' for a claim about our run, evidence): the claim checked on the printed numbers."""
    if not claim.get("quote") or claim["check"] == "matches_reported":
        return "", ""  # a claim of ours, or one about our run's match with a printed number
    if claim["check"] in ABOUT_OUR_RUN:
        return UNPRINTED, ""
    try:
        holds, evidence = CHECKS[claim["check"]](table, claim, _printed(table))
    except NotRun as missing:
        return UNPRINTED, str(missing)
    return ("holds" if holds else CONTRADICTED), evidence


def evaluate_claims(claims: list[dict], tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for claim in claims:
        table = tables[claim["artifact"]]
        try:
            result, evidence = CHECKS[claim["check"]](table, claim, _ours(table))
            status = "not comparable" if result is None else ("holds" if result else "fails")
        except NotRun as missing:
            status, evidence = "not run", str(missing)
        papers, papers_evidence = on_the_papers_numbers(table, claim)
        rows.append(
            {
                "claim": claim["statement"],
                "source": claim.get("source", ""),
                "quote": claim.get("quote", ""),
                "check": claim["check"],
                "artifact": claim["artifact"],
                "status": status,
                "scope": scope(table),
                "evidence": evidence,
                "on_papers_numbers": papers,
                "papers_evidence": papers_evidence,
            }
        )
    return pd.DataFrame(rows)


def render_markdown(table: pd.DataFrame, paper: str, tables: dict[str, pd.DataFrame]) -> str:
    lines = [f"# {paper.upper()}: the paper's claims checked on this run", ""]
    if (table.scope != "paper setting").any():
        lines += [
            "> Some claims below were evaluated on stand-in data or at reduced scale "
            "(column *Scope*). There they show that the check runs, not whether the paper "
            "is right; claims about a reported number say *not comparable*.",
            "",
        ]
    first = next(iter(tables.values()))
    stamp = [
        f"{k}: {first.iloc[0][k]}"
        for k in ("config_hash", "commit")
        if k in first.columns and not first.empty
    ]
    if stamp:
        lines += ["Provenance: " + " · ".join(stamp), ""]
    lines += [
        "Each claim is checked on our numbers and on the paper's own printed numbers (the "
        "reported CSV in place of ours); a claim its own numbers contradict is marked so.",
        "",
        "| Claim | The paper's words | Status | Scope | Evidence | On the paper's own numbers "
        "| Artifact |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        words = f'"{row.quote}" ({row.source})' if row.quote else row.source or "—"
        papers = row.on_papers_numbers or "—"
        if row.papers_evidence:
            papers = f"**{papers}**: {row.papers_evidence}"
        lines.append(
            f"| {row.claim} | {words} | **{row.status}** | {row.scope} | "
            f"{row.evidence} | {papers} | {row.artifact} |"
        )
    lines += [
        "",
        "Check kinds (advrepro/reporting/claims.py): "
        + ", ".join(
            f"`{name}`: {' '.join((fn.__doc__ or '').split())}" for name, fn in CHECKS.items()
        ),
        "",
    ]
    return "\n".join(lines)
