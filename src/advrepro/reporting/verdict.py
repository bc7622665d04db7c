"""The verdict rule (documented in docs/verdicts.md).

A reproduced number is compared with the reported one only when the run matches the paper's
experiment: paper scale, the paper's dataset and architecture, and the attack's budget
(eps, steps, restarts) as printed. Then:

    |ours - reported| <= max(2 * std over seeds, 1 percentage point)  -> "reproduced"
    otherwise                                                         -> "higher" / "lower"

Stand-in data, demo or test scale, or different attack settings give "not comparable" with
the reason, never a verdict.
"""

from __future__ import annotations

import math

from advrepro.reporting.reported import parse_number

MIN_TOLERANCE_POINTS = 1.0
STD_MULTIPLIER = 2.0


def comparability(scale: str, dataset: str, paper_dataset: str, architecture: str,
                  paper_row_architecture: str, run_params: dict, paper_row: dict) -> str | None:
    """None when a verdict may be given, else the reason it may not."""
    if dataset != paper_dataset:
        return f"stand-in data ({dataset} for {paper_dataset})"
    if scale != "paper":
        return f"{scale} scale"
    if paper_row_architecture and architecture != paper_row_architecture:
        return f"architecture {architecture}, paper {paper_row_architecture}"
    for field, default in (("eps", None), ("steps", 1), ("restarts", 1)):
        printed = parse_number(paper_row.get(field, ""))
        if printed is None:
            continue
        ours = run_params.get(field, default)
        if ours is None or not math.isclose(float(ours), printed, rel_tol=1e-6):
            return f"{field} {ours} run, {printed:g} printed"
    return None


def verdict(mean: float, std: float, reported: float) -> str:
    tolerance = max(STD_MULTIPLIER * (std if math.isfinite(std) else 0.0), MIN_TOLERANCE_POINTS)
    difference = mean - reported
    if abs(difference) <= tolerance:
        return "reproduced"
    return "higher" if difference > 0 else "lower"
