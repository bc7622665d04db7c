"""Tables rendered from the tidy cell table of ``advrepro.reporting.cells`` (records only).

``render_markdown`` / ``render_latex`` format rows x columns with the provenance stamp and the
stand-in banner; ``training_cost_table`` is the cost of each method from training histories.
"""

from __future__ import annotations

import math

import pandas as pd

from advrepro.config import ARTIFACT_DEFAULTS


def _fmt(value: float, digits: int = 2) -> str:
    return (
        "—"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:.{digits}f}"
    )


def _ours(row) -> str:
    return row.status if row.status != "ok" else f"{_fmt(row.ours_mean)} ± {_fmt(row.ours_std)}"


def _cell(row) -> str:
    ours = _ours(row)
    return ours if math.isnan(row.reported) else f"{ours} ({_fmt(row.reported)})"


def attack_as_run(row) -> str:
    """'pgd eps=0.3 steps=40 restarts=20 (transfer)', or the combined attack ids."""
    if len(row.attacks.split()) > 1:
        return f"{row.combine} of {row.attacks.replace(' ', ', ')}"
    if _missing(row.attack_class) or not row.attack_class:
        return "—"  # not run on this model
    run = f"{row.attack_class}"
    if not _missing(row.eps):
        run += f" eps={row.eps:g}"
    if not _missing(row.steps):
        run += f" steps={int(row.steps)}"
    if not _missing(row.restarts) and int(row.restarts) > 1:
        run += f" restarts={int(row.restarts)}"
    if row.threat == "transfer":
        run += " (transfer)"
    return run


def stamp_lines(stamp: dict) -> list[str]:
    return [f"{key}: {value}" for key, value in stamp.items()]


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def standin_banner(stamp: dict) -> str | None:
    if stamp["dataset"] == stamp["paper_dataset"] and stamp["scale"] == "paper":
        return None
    reasons = []
    if stamp["dataset"] != stamp["paper_dataset"]:
        reasons.append(
            f"it ran on **{stamp['dataset']}** as a stand-in for the paper's "
            f"{stamp['paper_dataset']}"
        )
    if stamp["scale"] != "paper":
        reasons.append(
            f"it ran at **{stamp['scale']} scale** (fewer examples, epochs and "
            "attack steps than the paper)"
        )
    return (
        "**Not comparable with the paper:** " + "; ".join(reasons) + ". Reported numbers "
        "are shown for orientation only and no verdict is given."
    )


def render_markdown(table: pd.DataFrame, spec: dict, stamp: dict) -> str:
    lines = [f"# {spec.get('title', spec['paper'] + ' ' + spec['item'])}", ""]
    banner = standin_banner(stamp)
    if banner:
        lines += [f"> {banner}", ""]
    lines += ["Provenance: " + " · ".join(stamp_lines(stamp)), ""]
    columns = list(dict.fromkeys(table.column))
    lines += [
        f"## {spec.get('value_label', ARTIFACT_DEFAULTS['value_label'])}: ours, mean ± std over seeds (reported)",
        "",
        f"| {spec.get('row_header', 'Method')} | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    flagged = _flagged_rows(table)
    for label, group in table.groupby("row", sort=False):
        cells = {row.column: _cell(row) for row in group.itertuples()}
        mark = " ⚠" if label in flagged else ""
        lines.append(f"| {label}{mark} | " + " | ".join(cells[c] for c in columns) + " |")
    if flagged:
        lines += [
            "",
            "⚠ **Flagged by the gradient-masking / attack-failure checks** "
            "(paper_figures/ours/gradient_masking.md): treat these rows' robust accuracies "
            "as upper bounds.",
        ] + [f"- {label}: {why}" for label, why in flagged.items()]
    beside = spec.get("beside_metric")
    header = ["Row", "Column", "Run", "Attack as run", "Seeds", "Ours", "Reported", "Δ"]
    header += ["± tolerance", *([f"{BESIDE_NAMES[beside]} (beside)"] if beside else [])]
    header += ["Verdict"]
    lines += [
        "",
        "## Cell by cell",
        "",
        "| " + " | ".join(header) + " |",
        "|---" * len(header) + "|",
    ]
    for row in table.itertuples():
        lines.append(
            f"| {row.row} | {row.column} | {row.members} | {attack_as_run(row)} | "
            f"{row.seeds or '—'} | {_ours(row)} | {_fmt(row.reported)} | "
            f"{_fmt(row.difference)} | {_fmt(row.tolerance)} | "
            + (f"{_fmt(row.beside_mean)} | " if beside else "")
            + f"{row.verdict or '—'} |"
        )
    lines += [
        "",
        "Verdict rule (docs/verdicts.md): a verdict only where every setting in the "
        "records (data and sizes, architecture, training, attack, threat, metric) is what "
        'the paper prints or states, or an assumption the verdict names ("under A3", '
        "docs/decisions.md); then reproduced when |ours − reported| is within the 95 % "
        "prediction interval of one more run of the recipe (t(k−1) · std · √(1 + 1/k), plus "
        "half the printed number's last digit), otherwise higher/lower; \"cannot tell X from "
        "Y\" where that interval also covers another method's printed number; otherwise not "
        "comparable with the setting.",
        "",
    ]
    return "\n".join(lines)


BESIDE_NAMES = {"auc": "ROC AUC", "accuracy": "Accuracy"}


def _flagged_rows(table: pd.DataFrame) -> dict[str, str]:
    """Row label -> its models' masking flags, for rows that have any."""
    if "masking_flags" not in table:
        return {}
    marked = table[table.masking_flags.fillna("") != ""]
    return dict(zip(marked["row"], marked["masking_flags"]))


def _tex_escape(text: str) -> str:
    for char, escaped in (
        ("\\", r"\textbackslash{}"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("_", r"\_"),
        ("#", r"\#"),
        ("±", r"$\pm$"),
        ("—", "--"),
    ):
        text = text.replace(char, escaped)
    return text


def render_latex(table: pd.DataFrame, spec: dict, stamp: dict) -> str:
    columns = list(dict.fromkeys(table.column))
    banner = standin_banner(stamp)
    caption = (
        spec.get("title", spec["item"]) + ". Ours: mean ± std over seeds; reported in parentheses."
    )
    if banner:
        caption += " " + banner.replace("**", "")
    flagged = _flagged_rows(table)
    note = (
        ""
        if not flagged
        else (
            r" $^\dagger$"
            + _tex_escape(
                " flagged by the gradient-masking checks ("
                + "; ".join(f"{label}: {why}" for label, why in flagged.items())
                + "): robust accuracy an upper bound."
            )
        )
    )
    lines = [
        "% generated by the workflow; " + "; ".join(stamp_lines(stamp)),
        r"\begin{table}[t]",
        r"\centering",
        r"\small",
        r"\begin{tabular}{l" + "c" * len(columns) + "}",
        r"\toprule",
        _tex_escape(spec.get("row_header", "Method"))
        + " & "
        + " & ".join(_tex_escape(c) for c in columns)
        + r" \\",
        r"\midrule",
    ]
    for label, group in table.groupby("row", sort=False):
        cells = {row.column: _tex_escape(_cell(row)) for row in group.itertuples()}
        mark = r"$^\dagger$" if label in flagged else ""
        lines.append(
            _tex_escape(label) + mark + " & " + " & ".join(cells[c] for c in columns) + r" \\"
        )
    lines += [
        r"\bottomrule",
        r"\end{tabular}",
        r"\caption{" + _tex_escape(caption) + note + "}",
        r"\end{table}",
        "",
    ]
    return "\n".join(lines)


def training_cost_table(histories: list[dict]) -> pd.DataFrame:
    """Seconds per epoch and examples per second of every trained model, per experiment and
    method (mean over seeds), with the cost relative to standard training of the experiment
    (MCT's claim: cheaper than iterative adversarial training). Models that train no epoch
    (a detector fitted around a trained model) have no epoch cost and are left out."""
    rows = [
        {
            "experiment": h["experiment"],
            "method": h["method"],
            "method_class": h["method_class"],
            "seed": h["seed"],
            "hardware": h["hardware"],
            "seconds_per_epoch": sum(e["seconds"] for e in h["history"]) / len(h["history"]),
            "examples_per_second": sum(e["examples_per_second"] for e in h["history"])
            / len(h["history"]),
        }
        for h in histories
        if h["history"]
    ]
    table = (
        pd.DataFrame(rows)
        .groupby(["experiment", "method", "method_class"], sort=False)
        .agg(
            seeds=("seed", "count"),
            seconds_per_epoch=("seconds_per_epoch", "mean"),
            seconds_std=("seconds_per_epoch", "std"),
            examples_per_second=("examples_per_second", "mean"),
            hardware=("hardware", lambda v: "; ".join(sorted(set(v)))),
        )
        .reset_index()
    )
    baseline = table[table.method_class == "standard"].groupby("experiment").seconds_per_epoch.min()
    table["cost_over_standard"] = table.seconds_per_epoch / table.experiment.map(baseline)
    return table


def render_cost_markdown(table: pd.DataFrame, stamp: dict) -> str:
    lines = ["# Training cost per epoch (ours)", ""]
    banner = standin_banner(stamp)
    if banner:
        lines += [
            f"> Measured at {stamp['scale']} scale on stand-in data where the experiments say so; "
            "costs are relative within this run only.",
            "",
        ]
    lines += [
        "Provenance: " + " · ".join(stamp_lines(stamp)),
        "",
        "| Experiment | Method | Class | Seeds | s / epoch | examples / s | × standard |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        lines.append(
            f"| {row.experiment} | {row.method} | {row.method_class} | {row.seeds} | "
            f"{_fmt(row.seconds_per_epoch)} ± {_fmt(row.seconds_std)} | "
            f"{_fmt(row.examples_per_second, 1)} | {_fmt(row.cost_over_standard)} |"
        )
    lines += [
        "",
        "Same epoch length within an experiment except DunDi (an epoch is `tuples` tuples) "
        "and methods with their own epoch settings; the MCT paper's claim compares MCT with "
        "PGD adversarial training (AT) of the same experiment.",
        "",
    ]
    return "\n".join(lines)
