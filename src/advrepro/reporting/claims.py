"""Each paper's headline claims as checkable statements, evaluated on the artifacts' CSVs.

A claim (config ``claims.<paper>[]``) names a ``check`` kind and the artifact it reads. Result:
``holds`` / ``fails``, ``not comparable`` (a claim about a reported number, on a run that is
not the paper's setting) or ``not run`` (the cells it needs are missing), with the evidence.
Relative claims (MCT beats AT) are evaluated on whatever data ran; the ``scope`` column says
whether that was the paper's setting or a stand-in at reduced scale.
"""

from __future__ import annotations

import math

import pandas as pd

from advrepro.config import CLAIM_DEFAULTS
from advrepro.registry import function_registry
from advrepro.reporting.verdict import outcome

CHECKS = {}


class NotRun(Exception):
    """A cell the claim needs was not computed."""


check_kind = function_registry(CHECKS)


def _value(table: pd.DataFrame, row: str, column: str) -> float:
    cell = table[(table.row == row) & (table.column == column)]
    if cell.empty or cell.iloc[0].status != "ok" or math.isnan(cell.iloc[0].ours_mean):
        raise NotRun(f"no value for {row} / {column}")
    return float(cell.iloc[0].ours_mean)


def _columns(table: pd.DataFrame, claim: dict) -> list[str]:
    columns = claim.get("columns") or list(dict.fromkeys(table.column))
    return [
        c
        for c in columns
        if c not in claim.get("exclude_columns", CLAIM_DEFAULTS["exclude_columns"])
    ]


@check_kind("beats")
def _beats(table: pd.DataFrame, claim: dict) -> tuple[bool, str]:
    """``row`` has a higher mean than every one of ``others`` in every column."""
    margins = []
    for column in _columns(table, claim):
        mine = _value(table, claim["row"], column)
        best_other, best = max((_value(table, o, column), o) for o in claim["others"])
        margins.append((mine - best_other, column, best))
    worst = min(margins)
    losses = [f"{c} (best other {o})" for m, c, o in margins if m <= 0]
    evidence = f"smallest margin {worst[0]:+.2f} points ({worst[1]}, vs {worst[2]})"
    return not losses, evidence + ("" if not losses else "; not ahead under " + ", ".join(losses))


@check_kind("cost_below")
def _cost_below(table: pd.DataFrame, claim: dict) -> tuple[bool, str]:
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


@check_kind("peak_below")
def _peak_below(table: pd.DataFrame, claim: dict) -> tuple[bool, str]:
    """Under ``column``, the row with the highest accuracy has x (e.g. sigma) < ``threshold``."""
    part = table[(table.column == claim["column"]) & (table.status == "ok")]
    if part.empty:
        raise NotRun(f"no values under {claim['column']}")
    best = part.loc[part.ours_mean.idxmax()]
    return float(best.x_row) < claim["threshold"], (
        f"highest {best.ours_mean:.2f} at {best.row} (x = {best.x_row:g}); threshold "
        f"{claim['threshold']:g}"
    )


@check_kind("increasing")
def _increasing(table: pd.DataFrame, claim: dict) -> tuple[bool, str]:
    """Accuracy does not fall along ``columns`` (for each row; ``along: rows``: along ``rows``
    for each column) and ends above where it starts."""
    rows = claim.get("rows") or list(dict.fromkeys(table.row))
    columns = claim.get("columns") or list(dict.fromkeys(table.column))
    lines = (
        [(c, [(r, c) for r in rows]) for c in columns]
        if claim.get("along") == "rows"
        else [(r, [(r, c) for c in columns]) for r in rows]
    )
    failures, curves = [], []
    for name, cells in lines:
        values = [_value(table, r, c) for r, c in cells]
        curves.append(f"{name}: " + " → ".join(f"{v:.2f}" for v in values))
        if any(b < a for a, b in zip(values, values[1:])) or values[-1] <= values[0]:
            failures.append(name)
    return not failures, "; ".join(curves) + (
        "" if not failures else f" — not rising: {', '.join(failures)}"
    )


@check_kind("at_least")
def _at_least(table: pd.DataFrame, claim: dict) -> tuple[bool, str]:
    """Every one of ``rows`` keeps at least ``threshold`` % under ``column``."""
    values = {row: _value(table, row, claim["column"]) for row in claim["rows"]}
    below = [r for r, v in values.items() if v < claim["threshold"]]
    evidence = ", ".join(f"{r} {v:.2f}" for r, v in values.items())
    return not below, f"{evidence} (threshold {claim['threshold']:g})"


@check_kind("matches_reported")
def _matches_reported(table: pd.DataFrame, claim: dict) -> tuple[bool | None, str]:
    """The cell's verdict against the paper's number is one of ``accept``; None when the run is
    not comparable with the paper."""
    cell = table[(table.row == claim["row"]) & (table.column == claim["column"])]
    if cell.empty or cell.iloc[0].status != "ok":
        raise NotRun(f"no value for {claim['row']} / {claim['column']}")
    cell = cell.iloc[0]
    evidence = (
        f"ours {cell.ours_mean:.2f} ± {cell.ours_std:.2f}, reported {cell.reported:.2f}: "
        f"{cell.verdict}"
    )
    if str(cell.verdict).startswith("not comparable") or cell.verdict == "no reported value":
        return None, evidence
    return outcome(cell.verdict) in claim.get("accept", CLAIM_DEFAULTS["accept"]), evidence


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


def evaluate_claims(claims: list[dict], tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for claim in claims:
        table = tables[claim["artifact"]]
        try:
            result, evidence = CHECKS[claim["check"]](table, claim)
            status = "not comparable" if result is None else ("holds" if result else "fails")
        except NotRun as missing:
            status, evidence = "not run", str(missing)
        rows.append(
            {
                "claim": claim["statement"],
                "source": claim.get("source", ""),
                "check": claim["check"],
                "artifact": claim["artifact"],
                "status": status,
                "scope": scope(table),
                "evidence": evidence,
            }
        )
    return pd.DataFrame(rows)


def render_markdown(table: pd.DataFrame, paper: str, tables: dict[str, pd.DataFrame]) -> str:
    lines = [f"# {paper.upper()}: headline claims checked on this run", ""]
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
        "| Claim | Source | Status | Scope | Evidence | Artifact |",
        "|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        lines.append(
            f"| {row.claim} | {row.source or '—'} | **{row.status}** | {row.scope} | "
            f"{row.evidence} | {row.artifact} |"
        )
    lines += [
        "",
        "Check kinds (advrepro/reporting/claims.py): "
        + ", ".join(f"`{name}`: {(fn.__doc__ or '').strip()}" for name, fn in CHECKS.items()),
        "",
    ]
    return "\n".join(lines)
