"""paper_figures/index.md: every artifact with its target, the rule and script that build it,
the library code under them, and its status read from the artifact's own CSV."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from advrepro.reporting.verdict import outcome


def status(kind: str, csv_path: str | Path) -> str:
    """A one-line summary of what the artifact says."""
    table = pd.read_csv(csv_path)
    if table.empty:
        return "empty"
    where = ""
    if {"scale", "dataset", "paper_dataset"} <= set(table.columns):
        first = table.iloc[0]
        standin = first.dataset != first.paper_dataset
        where = f"{first.scale} scale" + (f", stand-in {first.dataset}" if standin else "") + ": "
    if kind in ("table", "figure"):
        verdicts = Counter(
            outcome(v) for v in table.verdict.fillna("") if v and v != "no reported value"
        )
        missing = int((table.status != "ok").sum())
        untrained = int(table.status.astype(str).str.startswith("did not train").sum())
        parts = [f"{n} {v}" for v, n in verdicts.most_common()]
        return (
            where
            + (", ".join(parts) or "nothing reported to compare")
            + (f"; {missing} of {len(table)} cells without a value" if missing else "")
            + (f" ({untrained} from models that did not train)" if untrained else "")
        )
    if kind == "neighbours":
        return where + ", ".join(
            f"{r.method} precision@{r.k} {r.precision_at_k:.2f}" for r in table.itertuples()
        )
    if kind == "confusion":
        clean = (
            table[(table.true == table.predicted)]
            .groupby(["method", "panel"], sort=False)["count"]
            .sum()
        )
        totals = table.groupby(["method", "panel"], sort=False)["count"].sum()
        return where + ", ".join(
            f"{m} {p}: {clean[(m, p)] / totals[(m, p)]:.2f} correct" for m, p in totals.index
        )
    if kind == "flow_validity":
        flagged = table[table.check == "any check"]
        return where + ", ".join(
            f"{r.method} {r.panel}: {100 * r.changed:.0f}% changed, "
            f"{100 * r.share_mean:.0f}% invalid"
            for r in flagged.itertuples()
        )
    if kind == "audit":
        contradicted = int((table.id == "claim").sum())
        return f"{len(table)} findings, {contradicted} claims the paper's own numbers contradict"
    if kind in ("masking", "claims"):
        counts = Counter(table.status)
        return where + ", ".join(f"{n} {s}" for s, n in counts.most_common())
    return where + f"{len(table)} rows"


def render(entries: list[dict], commit: str) -> str:
    """The index. Each entry names its code (common.smk's index_entries, from the kinds'
    registry advrepro.reporting.kinds): rule at file:line, script, build function, library."""
    lines = [
        "# Index of every artifact",
        "",
        f"Built by rule `index` (workflow/scripts/index.py) at commit {commit}. Each artifact "
        "states its own scale, data, seeds, config hash, commit and hardware. To rebuild one: "
        "`snakemake <target>`. From an artifact to its code: the rule (file:line), the "
        "script it runs, the library function that script calls.",
        "",
        "| Artifact | Paper | Target | Rule | Script | Function (library) | Status |",
        "|---|---|---|---|---|---|---|",
    ]
    for entry in entries:
        lines.append(
            f"| {entry['title']} | {entry['paper']} | `{entry['target']}` | "
            f"`{entry['rule']}` ({entry['rule_at']}) | `{entry['script']}` | "
            f"`{entry['build']}` ({entry['library']}) | "
            f"{status(entry['kind'], entry['csv'])} |"
        )
    return "\n".join(lines) + "\n"
