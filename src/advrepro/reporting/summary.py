"""The three lines `make demo` ends with: what was built and where, which stand-ins it ran on,
and how long it took (python -m advrepro.reporting.summary --since <epoch seconds>)."""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import pandas as pd

from advrepro import paths


def summarise(index_md: Path, started: float | None, report: Path | None = None) -> str:
    root = index_md.parent.parent
    targets = re.findall(r"\| `(paper_figures/[^`]+)` \|", index_md.read_text())
    standins, untrained = {}, 0
    for target in targets:
        csv = (root / target).with_suffix(".csv")
        if not csv.is_file():
            continue
        table = pd.read_csv(csv)
        if {"dataset", "paper_dataset"} <= set(table.columns):
            for dataset, paper in set(
                zip(table.dataset.astype(str), table.paper_dataset.astype(str))
            ):
                for d, p in zip(dataset.split(", "), paper.split(", ")):
                    if d != p:
                        standins[d] = p
        if "status" in table.columns:
            untrained += int(table.status.astype(str).str.startswith("did not train").sum())
    took = (
        "" if started is None else time.strftime(" in %H:%M:%S", time.gmtime(time.time() - started))
    )
    lines = [
        f"Built {len(targets)} artifacts{took}: {index_md}"
        + (f" (HTML report: {report})" if report and report.is_file() else ""),
        "Stand-ins, so no verdict against the papers: "
        + (", ".join(f"{d} for {p}" for d, p in sorted(standins.items())) or "none"),
        f"Cells of models below their clean-accuracy floor ('did not train'): {untrained}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m advrepro.reporting.summary")
    parser.add_argument("--index", default=paths.INDEX_FILE)
    parser.add_argument("--report", default=None)
    parser.add_argument("--since", type=float, default=None, help="start time (epoch seconds)")
    args = parser.parse_args(argv)
    print(summarise(Path(args.index), args.since, Path(args.report) if args.report else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
