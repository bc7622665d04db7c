"""Accuracy tables (methods x attacks) rendered from evaluation records only.

``build_accuracy_table`` turns records + the artifact spec + the reported CSV into one tidy
row per (method, column): ours (mean, std over seeds), reported, difference, verdict.
``render_markdown`` / ``render_latex`` format it with the provenance stamp.
"""

from __future__ import annotations

import math
from collections import defaultdict

import pandas as pd

from advrepro.metrics import mean_std
from advrepro.reporting.reported import find_reported, parse_number
from advrepro.reporting.verdict import comparability, verdict

NOT_RUN = "not yet run"


def build_accuracy_table(records: list[dict], spec: dict, experiment: dict,
                         reported: pd.DataFrame, scale: str) -> pd.DataFrame:
    by_cell: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for record in records:
        by_cell[(record["method"], record["attack"])].append(record)
    rows = []
    for method in spec["methods"]:
        for column in spec["columns"]:
            attack = experiment["attacks"][column["attack"]]
            params = attack.get("params", {})
            selector = column["reported"]
            paper_row = find_reported(reported, spec["paper"], spec["item"], method, selector)
            reported_value = float(paper_row["value"]) if paper_row is not None else math.nan
            cell = by_cell.get((method, column["attack"]), [])
            accuracies = [100.0 * r["accuracy"] for r in sorted(cell, key=lambda r: r["seed"])]
            mean, std = mean_std(accuracies)
            if method not in experiment["methods"]:
                status, judgement = NOT_RUN, ""
            elif not cell:
                status, judgement = "missing records", ""
            elif paper_row is None:
                status, judgement = "ok", "no reported value"
            else:
                status = "ok"
                reason = comparability(
                    scale, experiment["dataset"], experiment["paper_dataset"],
                    experiment.get("paper_architecture", experiment["architecture"]),
                    paper_row.get("architecture", ""), params, dict(paper_row))
                judgement = (f"not comparable: {reason}" if reason
                             else verdict(mean, std, reported_value))
            rows.append({
                "method": method, "column": column["label"], "attack": column["attack"],
                "attack_class": attack["class"], "threat": attack.get("threat", "whitebox"),
                "eps": params.get("eps"), "steps": params.get("steps"),
                "restarts": params.get("restarts", 1), "n_seeds": len(accuracies),
                "seeds": " ".join(str(r["seed"]) for r in sorted(cell, key=lambda r: r["seed"])),
                "ours_mean": mean, "ours_std": std, "reported": reported_value,
                "difference": mean - reported_value, "verdict": judgement, "status": status,
            })
    return pd.DataFrame(rows)


def _fmt(value: float, digits: int = 2) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _cell(row: pd.Series) -> str:
    if row.status != "ok":
        ours = row.status
    else:
        ours = f"{_fmt(row.ours_mean)} ± {_fmt(row.ours_std)}"
    return ours if math.isnan(row.reported) else f"{ours} ({_fmt(row.reported)})"


def stamp_lines(stamp: dict) -> list[str]:
    return [f"{key}: {value}" for key, value in stamp.items()]


def standin_banner(stamp: dict) -> str | None:
    if stamp["dataset"] == stamp["paper_dataset"] and stamp["scale"] == "paper":
        return None
    reasons = []
    if stamp["dataset"] != stamp["paper_dataset"]:
        reasons.append(f"it ran on **{stamp['dataset']}** as a stand-in for the paper's "
                       f"{stamp['paper_dataset']}")
    if stamp["scale"] != "paper":
        reasons.append(f"it ran at **{stamp['scale']} scale** (fewer examples, epochs and "
                       "attack steps than the paper)")
    return ("**Not comparable with the paper:** " + "; ".join(reasons) + ". Reported numbers "
            "are shown for orientation only and no verdict is given.")


def render_markdown(table: pd.DataFrame, spec: dict, stamp: dict) -> str:
    lines = [f"# {spec.get('title', spec['paper'] + ' ' + spec['item'])}", ""]
    banner = standin_banner(stamp)
    if banner:
        lines += [f"> {banner}", ""]
    lines += ["Provenance: " + " · ".join(stamp_lines(stamp)), ""]
    columns = list(dict.fromkeys(table.column))
    lines += ["## Accuracy (%): ours, mean ± std over seeds (reported)", "",
              "| Method | " + " | ".join(columns) + " |",
              "|---|" + "---|" * len(columns)]
    for method, group in table.groupby("method", sort=False):
        cells = {row.column: _cell(row) for row in group.itertuples()}
        lines.append(f"| {method} | " + " | ".join(cells[c] for c in columns) + " |")
    lines += ["", "## Cell by cell", "",
              "| Method | Column | Attack as run | Seeds | Ours | Reported | Δ | Verdict |",
              "|---|---|---|---|---|---|---|---|"]
    for row in table.itertuples():
        run = f"{row.attack_class}" + (f" eps={row.eps:g}" if row.eps is not None and not
                                       (isinstance(row.eps, float) and math.isnan(row.eps)) else "")
        if row.steps is not None and not (isinstance(row.steps, float) and math.isnan(row.steps)):
            run += f" steps={int(row.steps)}"
        if row.restarts and int(row.restarts) > 1:
            run += f" restarts={int(row.restarts)}"
        if row.threat == "transfer":
            run += " (transfer)"
        ours = row.status if row.status != "ok" else f"{_fmt(row.ours_mean)} ± {_fmt(row.ours_std)}"
        lines.append(f"| {row.method} | {row.column} | {run} | {row.seeds or '—'} | {ours} | "
                     f"{_fmt(row.reported)} | {_fmt(row.difference)} | {row.verdict or '—'} |")
    lines += ["", "Verdict rule (docs/verdicts.md): reproduced when |ours − reported| ≤ "
              "max(2·std, 1 point) and dataset, architecture, scale and attack budget match the "
              "paper; otherwise higher/lower, or not comparable with the reason.", ""]
    return "\n".join(lines)


def _tex_escape(text: str) -> str:
    for char, escaped in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"),
                          ("#", r"\#"), ("±", r"$\pm$"), ("—", "--")):
        text = text.replace(char, escaped)
    return text


def render_latex(table: pd.DataFrame, spec: dict, stamp: dict) -> str:
    columns = list(dict.fromkeys(table.column))
    banner = standin_banner(stamp)
    caption = spec.get("title", spec["item"]) + ". Ours: mean ± std over seeds; reported in parentheses."
    if banner:
        caption += " " + banner.replace("**", "")
    lines = [f"% generated by the workflow; " + "; ".join(stamp_lines(stamp)),
             r"\begin{table}[t]", r"\centering", r"\small",
             r"\begin{tabular}{l" + "c" * len(columns) + "}", r"\toprule",
             "Method & " + " & ".join(_tex_escape(c) for c in columns) + r" \\", r"\midrule"]
    for method, group in table.groupby("method", sort=False):
        cells = {row.column: _tex_escape(_cell(row)) for row in group.itertuples()}
        lines.append(_tex_escape(method) + " & " + " & ".join(cells[c] for c in columns) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\caption{" + _tex_escape(caption) + "}",
              r"\end{table}", ""]
    return "\n".join(lines)


def training_cost_table(histories: list[dict]) -> pd.DataFrame:
    """Seconds per epoch and examples per second of every trained model, per experiment and
    method (mean over seeds), with the cost relative to standard training of the experiment
    (MCT's claim: cheaper than iterative adversarial training)."""
    rows = [{"experiment": h["experiment"], "method": h["method"], "method_class": h["method_class"],
             "seed": h["seed"], "hardware": h["hardware"],
             "seconds_per_epoch": sum(e["seconds"] for e in h["history"]) / len(h["history"]),
             "examples_per_second": sum(e["examples_per_second"] for e in h["history"]) / len(h["history"])}
            for h in histories]
    table = (pd.DataFrame(rows)
             .groupby(["experiment", "method", "method_class"], sort=False)
             .agg(seeds=("seed", "count"), seconds_per_epoch=("seconds_per_epoch", "mean"),
                  seconds_std=("seconds_per_epoch", "std"),
                  examples_per_second=("examples_per_second", "mean"),
                  hardware=("hardware", lambda v: "; ".join(sorted(set(v)))))
             .reset_index())
    baseline = table[table.method_class == "standard"].groupby("experiment").seconds_per_epoch.min()
    table["cost_over_standard"] = table.seconds_per_epoch / table.experiment.map(baseline)
    return table


def render_cost_markdown(table: pd.DataFrame, stamp: dict) -> str:
    lines = ["# Training cost per epoch (ours)", ""]
    banner = standin_banner(stamp)
    if banner:
        lines += [f"> Measured at {stamp['scale']} scale on stand-in data where the experiments say so; "
                  "costs are relative within this run only.", ""]
    lines += ["Provenance: " + " · ".join(stamp_lines(stamp)), "",
              "| Experiment | Method | Class | Seeds | s / epoch | examples / s | × standard |",
              "|---|---|---|---|---|---|---|"]
    for row in table.itertuples():
        lines.append(f"| {row.experiment} | {row.method} | {row.method_class} | {row.seeds} | "
                     f"{_fmt(row.seconds_per_epoch)} ± {_fmt(row.seconds_std)} | "
                     f"{_fmt(row.examples_per_second, 1)} | {_fmt(row.cost_over_standard)} |")
    lines += ["", "Same epoch length within an experiment except DunDi (an epoch is `tuples` tuples) "
              "and methods with their own epoch settings; the MCT paper's claim compares MCT with "
              "PGD adversarial training (AT) of the same experiment.", ""]
    return "\n".join(lines)
