"""paper_figures/audit.md: every place where a paper contradicts itself or leaves a setting
open, the reading we took, its assumption id, and the cells it affects.

Three sources, none of them a number typed in by hand:

* the config's ``audit`` findings: the paper's words, our reading and its assumption id;
* the cells each assumption affects, computed from the config: every cell of a paper artifact
  that shows a printed number and whose records a ``protocol`` entry (or the artifact's
  metric reading) naming the assumption applies to;
* what the papers' own printed numbers say (the reported CSV): the claims they contradict
  (the claims rule's CSVs) and the largest improvement each table's numbers give.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from advrepro.reporting import cells
from advrepro.reporting.claims import CONTRADICTED
from advrepro.reporting.kinds import shape_of
from advrepro.reporting.verdict import applies

COLUMNS = ["id", "paper", "where", "quote", "finding", "reading", "assumption", "cells"]


class _Filtered(NamedTuple):
    """The fields of a record a protocol entry's filters read (verdict.applies)."""

    experiment: str
    method: str
    method_class: str | None
    attack: str
    attack_class: str | None


def _cell_models(experiments: dict, row: cells.Row, column: cells.Column) -> list[_Filtered]:
    """What a protocol entry's filters see of the records behind one cell, from the config (a
    method a scale switched off, the demo's ResNet-50 rows, has no class to filter by)."""
    models = []
    for member in row.members:
        exp = experiments[member.experiment]
        method = exp["methods"].get(member.method) or {}
        for attack in column.attacks:
            models.append(
                _Filtered(
                    member.experiment,
                    member.method,
                    method.get("class"),
                    attack,
                    (exp["attacks"].get(attack) or {}).get("class"),
                )
            )
    return models


def affected_cells(
    artifacts: dict, experiments: dict, protocol: list[dict], reported: pd.DataFrame
) -> dict[str, dict[str, tuple[list[str], list[str]]]]:
    """Assumption id -> artifact -> (rows, columns) of the printed-number cells resting on it."""
    affected: dict[str, dict[str, tuple[dict, dict]]] = {}
    for name, spec in artifacts.items():
        if spec["paper"] == "ours" or shape_of(spec) != "cells":
            continue
        for row in cells.expand_rows(spec, experiments):
            entries = [
                *spec.get("protocol", []),
                *(e for m in row.members for e in experiments[m.experiment].get("protocol", [])),
                *protocol,
            ]
            for column in cells.expand_columns(spec, experiments):
                paper_row = cells._reported_row(reported, spec, experiments, row, column)
                if paper_row is None:
                    continue
                models = _cell_models(experiments, row, column)
                named = {
                    e["assumption"]
                    for e in entries
                    if e.get("assumption") and any(applies(e, m) for m in models)
                }
                reading = spec.get("reads_printed")
                if reading and paper_row["metric"] == reading["metric"]:
                    named.add(reading["assumption"])
                for assumption in named:
                    rows, columns = affected.setdefault(assumption, {}).setdefault(name, ({}, {}))
                    rows[row.label] = columns[column.label] = None
    return {
        a: {name: (list(r), list(c)) for name, (r, c) in by_artifact.items()}
        for a, by_artifact in affected.items()
    }


def _cells_text(by_artifact: dict[str, tuple[list[str], list[str]]]) -> str:
    return "; ".join(
        f"{name}: {len(rows) * len(columns)} cells (rows {', '.join(rows)}; "
        f"columns {', '.join(columns)})"
        if len(rows) * len(columns) > 1
        else f"{name}: {rows[0]} / {columns[0]}"
        for name, (rows, columns) in sorted(by_artifact.items())
    )


def largest_improvements(reported: pd.DataFrame) -> list[dict]:
    """Per MCT table (and architecture): the largest margin of MCT's printed number over the
    best printed AT / ALP / TLA number in the same column: what "improves ... by up to" can
    mean on the table's own numbers."""
    mct = reported[reported.paper == "mct"]
    found = []
    keys = ["item", "attack", "norm", "eps", "steps", "restarts", "setting"]
    for item in ("table1", "table2", "table3"):
        table = mct[mct.item == item]
        groups = [item] if item != "table3" else sorted(set(table.architecture))
        for group in groups:
            part = table if item != "table3" else table[table.architecture == group]
            best = None
            for _, column in part[part.attack != "clean"].groupby(keys[1:], sort=False):
                ours = column[column.method == "MCT"]
                others = column[column.method.isin(["AT", "ALP", "TLA"])]
                if ours.empty or others.empty:
                    continue
                other = others.loc[others.value.astype(float).idxmax()]
                margin = float(ours.iloc[0].value) - float(other.value)
                if best is None or margin > best["margin"]:
                    best = {
                        "item": item if item != "table3" else f"{item} ({group})",
                        "margin": margin,
                        "attack": f"{other.attack} {other.norm} {other.steps}".strip(),
                        "versus": other.method,
                    }
            if best:
                found.append(best)
    return found


def audit_table(findings: list[dict], affected: dict, claims: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per finding (the config's, then each claim the paper's own numbers
    contradict), with the cells its assumption affects."""
    rows = [
        {
            "id": f["id"],
            "paper": f["paper"],
            "where": f["where"],
            "quote": f.get("quote", ""),
            "finding": f["finding"],
            "reading": f["reading"],
            "assumption": f.get("assumption", ""),
            "cells": _cells_text(affected.get(f.get("assumption"), {}))
            or ", ".join(f.get("artifacts", [])),
        }
        for f in findings
    ]
    for table in claims:
        contradicted = table[table.on_papers_numbers == CONTRADICTED]
        for claim in contradicted.itertuples():
            rows.append(
                {
                    "id": "claim",
                    "paper": claim.artifact.split("_")[0],
                    "where": claim.source,
                    "quote": claim.quote,
                    "finding": f"{CONTRADICTED}: {claim.papers_evidence}",
                    "reading": f"checked as written ({claim.check}); our run: {claim.status}",
                    "assumption": "",
                    "cells": claim.artifact,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def render_markdown(table: pd.DataFrame, improvements: list[dict], stamp: dict) -> str:
    lines = [
        "# Audit of the papers: contradictions, open settings and our readings",
        "",
        "Provenance: " + " · ".join(f"{k}: {v}" for k, v in stamp.items()),
        "",
        "Every place where MCT (Appiah et al. 2020) or DunDi (Cui et al. 2019) contradicts "
        "itself or leaves a setting of a reported number open; the reading this reproduction "
        "takes, the assumption id every verdict resting on it names (docs/decisions.md), and "
        "the cells it affects (computed from the config's protocol entries). Claims the "
        "papers' own printed numbers contradict are computed by the claims rule.",
        "",
        "| # | Paper | Where | The paper's words | Finding | Our reading | Assumption | "
        "Cells affected |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        quote = f'"{row.quote}"' if row.quote else "—"
        lines.append(
            f"| {row.id} | {row.paper} | {row.where} | {quote} | {row.finding} | "
            f"{row.reading} | {row.assumption or '—'} | {row.cells or '—'} |"
        )
    if improvements:
        lines += [
            "",
            "## Largest improvement of MCT on each table's own numbers",
            "",
            'The texts and captions give "up to" figures (elided here; they are the papers\' '
            "words). What the printed numbers give: MCT minus the best of AT, ALP and TLA in "
            "the same column, largest over the columns.",
            "",
            "| Table | Largest margin (points) | Column | Best other |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {i['item']} | {i['margin']:+.2f} | {i['attack']} | {i['versus']} |"
            for i in improvements
        ]
    return "\n".join(lines) + "\n"
