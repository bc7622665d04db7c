"""Gradient-masking and attack-failure checks (Carlini et al. 2019, "On Evaluating
Adversarial Robustness", §5; Pintor et al. 2022, "Indicators of Attack Failure"), each a pass /
flag per trained model, computed from evaluation records only.

A flag is not a proof of masking; it says that the evaluation behaved in a way a sound
gradient attack on an unmasked model does not, and that the robust accuracy is suspect. Check
kinds, configured per experiment in the artifact's ``checks`` (accuracy: mean over seeds, %):

* ``stronger``: attack ``stronger`` leaves no more accuracy than ``weaker`` (+ ``tolerance``
  points): iterative vs single-step, white-box vs transfer, AutoAttack vs PGD, gradient vs
  decision-based. Two eps sweeps (AutoAttack-L2 vs PGD-L2): at every budget both have.
* ``noise``: random noise of the same norm is far weaker: accuracy under ``attack`` is at least
  ``margin`` points below accuracy under ``noise``.
* ``sweep``: accuracy falls with the budget (no rise above ``tolerance`` points) and reaches at
  most ``final_max`` % at the sweep's largest budget.
* ``unbounded``: ``attack`` with a budget covering the input box (an attack the check plans
  itself, config.derived_attack) leaves at most ``max_accuracy`` % (default 1): otherwise the
  gradients lead the attack nowhere.
* ``effort``: ``attack`` with twice the steps and more restarts (planned by the check) lowers
  accuracy by at most ``tolerance`` points: otherwise the attack had not converged.
* ``dominance``: per example, over every seed: examples that survive every white-box gradient
  attack of the same norm and at least the same budget but fall to a transfer, noise or
  decision-based attack; at most ``share_max`` % of the compared examples (default 1).
* ``indicators``: the attack-failure indicators measured during every evaluation
  (advrepro.indicators), pooled over seeds, the worst attack per indicator against its
  threshold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from advrepro.config import CHECK_DEFAULTS, derived_attack_id
from advrepro.indicators import NAMES, THRESHOLDS
from advrepro.plan import attack_applies
from advrepro.registry import function_registry
from advrepro.reporting.cells import sweep_points
from advrepro.reporting.tables import stamp_lines, standin_banner

CHECKS = {}


check_kind = function_registry(CHECKS)
# check kinds that read every record of the model, not named attacks
ALL_ATTACKS = ("dominance", "indicators")


@dataclass
class ModelEvidence:
    """What the checks of one model read: its experiment, its records, and the mean accuracy
    (%) over seeds per attack."""

    experiment: dict
    records: list[dict] = field(default_factory=list)

    @property
    def accuracy(self) -> dict[str, float]:
        values: dict[str, list[float]] = {}
        for r in self.records:
            values.setdefault(r["attack"], []).append(100.0 * r["accuracy"])
        return {a: sum(v) / len(v) for a, v in values.items()}


def paired_budgets(experiment: dict, weaker: str, stronger: str) -> list[tuple[float, str, str]]:
    """(eps, weaker's budget id, stronger's budget id) at every budget two eps sweeps share."""
    strong = {round(eps, 9): attack for attack, eps in sweep_points(experiment, stronger)}
    return [
        (eps, attack, strong[round(eps, 9)])
        for attack, eps in sweep_points(experiment, weaker)
        if round(eps, 9) in strong
    ]


def _sweeps(check: dict, experiment: dict) -> bool:
    """Whether a ``stronger`` check compares two eps sweeps (else two attacks)."""
    return check["weaker"] not in experiment["attacks"] and bool(
        sweep_points(experiment, check["weaker"])
    )


def attacks_of(check: dict, experiment: dict) -> list[str]:
    if check["kind"] == "stronger" and _sweeps(check, experiment):
        pairs = paired_budgets(experiment, check["weaker"], check["stronger"])
        return [attack for _, *pair in pairs for attack in pair]
    if check["kind"] == "sweep":
        return [attack for attack, _ in sweep_points(experiment, check["sweep"])]
    if check["kind"] == "noise":
        return [check["noise"], check["attack"]]
    if check["kind"] == "unbounded":
        return [derived_attack_id(check)]
    if check["kind"] == "effort":
        return [check["attack"], derived_attack_id(check)]
    if check["kind"] in ALL_ATTACKS:
        return list(experiment["attacks"])
    return [check["weaker"], check["stronger"]]


@check_kind("stronger")
def _stronger(model: ModelEvidence, check: dict) -> tuple[bool, str]:
    accuracy = model.accuracy
    tolerance = check["tolerance"]
    if _sweeps(check, model.experiment):
        pairs = paired_budgets(model.experiment, check["weaker"], check["stronger"])
        points = [(eps, accuracy[strong], accuracy[weak]) for eps, weak, strong in pairs]
        return all(s <= w + tolerance for _, s, w in points), (
            f"{check['stronger']} vs {check['weaker']}: "
            + ", ".join(f"{eps:g}: {s:.1f} vs {w:.1f}" for eps, s, w in points)
        )
    weak, strong = accuracy[check["weaker"]], accuracy[check["stronger"]]
    return (
        strong <= weak + tolerance,
        f"{check['stronger']} {strong:.1f} vs {check['weaker']} {weak:.1f}",
    )


@check_kind("noise")
def _noise(model: ModelEvidence, check: dict) -> tuple[bool, str]:
    accuracy = model.accuracy
    noise, attack = accuracy[check["noise"]], accuracy[check["attack"]]
    margin = check["margin"]
    return attack <= noise - margin, f"{check['attack']} {attack:.1f} vs noise {noise:.1f}"


@check_kind("sweep")
def _sweep(model: ModelEvidence, check: dict) -> tuple[bool, str]:
    points = sweep_points(model.experiment, check["sweep"])
    values = [model.accuracy[attack] for attack, _ in points]
    tolerance = check["tolerance"]
    monotone = all(b <= a + tolerance for a, b in zip(values, values[1:]))
    final_max = check["final_max"]
    curve = ", ".join(f"{eps:g}: {v:.1f}" for (_, eps), v in zip(points, values))
    problems = ([] if monotone else ["rises with eps"]) + (
        []
        if values[-1] <= final_max
        else [f"{values[-1]:.1f} > {final_max:g} at eps {points[-1][1]:g}"]
    )
    return not problems, curve + ("" if not problems else " — " + "; ".join(problems))


@check_kind("unbounded")
def _unbounded(model: ModelEvidence, check: dict) -> tuple[bool, str]:
    attack = derived_attack_id(check)
    accuracy, allowed = model.accuracy[attack], check["max_accuracy"]
    return accuracy <= allowed, (
        f"{attack} (eps {check['eps']:g}) leaves {accuracy:.1f} % (allowed {allowed:g})"
    )


@check_kind("effort")
def _effort(model: ModelEvidence, check: dict) -> tuple[bool, str]:
    base, more = check["attack"], derived_attack_id(check)
    drop = model.accuracy[base] - model.accuracy[more]
    tolerance = check["tolerance"]
    return drop <= tolerance, (
        f"{more} {model.accuracy[more]:.1f} vs {base} "
        f"{model.accuracy[base]:.1f} (drop {drop:.1f}, allowed {tolerance:g})"
    )


def _comparable(record: dict) -> tuple:
    return (
        record["seed"],
        json.dumps(record.get("classifier") or {}, sort_keys=True),
        record.get("count"),
    )


def _white_box_gradient(record: dict) -> bool:
    return record.get("family", "gradient") == "gradient" and record.get("threat") == "whitebox"


def _budget(record: dict) -> float | None:
    eps = record.get("eps", (record.get("params") or {}).get("eps"))
    return None if eps is None else float(eps)


def white_box_misses(records: list[dict]) -> dict[str, tuple[int, int]]:
    """Per non-white-box attack (transfer, noise, decision-based): (examples that survive
    every white-box gradient attack of the same norm and at least the same budget, on the same
    seed and classifier, but fall to it; examples compared), summed over seeds."""
    misses: dict[str, list[int]] = {}
    white = [r for r in records if _white_box_gradient(r) and _budget(r) is not None]
    for other in records:
        if _white_box_gradient(other) or other.get("family") == "clean" or _budget(other) is None:
            continue
        rivals = [
            w
            for w in white
            if _comparable(w) == _comparable(other)
            and w.get("norm") == other.get("norm")
            and _budget(w) >= _budget(other) - 1e-9
        ]
        if not rivals:
            continue
        survive = np.logical_and.reduce([np.asarray(w["correct"], dtype=bool) for w in rivals])
        missed = survive & ~np.asarray(other["correct"], dtype=bool)
        tally = misses.setdefault(other["attack"], [0, 0])
        tally[0] += int(missed.sum())
        tally[1] += len(other["correct"])
    return {attack: (m, n) for attack, (m, n) in misses.items()}


@check_kind("dominance")
def _dominance(model: ModelEvidence, check: dict) -> tuple[bool, str] | None:
    misses = white_box_misses(model.records)
    if not misses:
        return None
    shares = {a: 100.0 * m / n for a, (m, n) in misses.items()}
    worst = sorted(shares, key=shares.get, reverse=True)
    allowed = check["share_max"]
    return shares[worst[0]] <= allowed, "; ".join(
        f"{a} {shares[a]:.1f}% ({misses[a][0]} of {misses[a][1]})" for a in worst[:3]
    ) + (f" (allowed {allowed:g}%)")


def indicator_summary(records: list[dict]) -> dict[str, tuple[float, str, int]]:
    """Per indicator: (share, attack, examples checked) of the attack where it is worst,
    pooled over seeds; indicators that applied to no record are left out."""
    pooled: dict[tuple[str, str], list[int]] = {}
    for r in records:
        for name, value in (r.get("indicators") or {}).items():
            if value is not None and value["checked"]:
                tally = pooled.setdefault((name, r["attack"]), [0, 0])
                tally[0] += value["count"]
                tally[1] += value["checked"]
    summary = {}
    for name in NAMES:
        found = {a: c / n for (i, a), (c, n) in pooled.items() if i == name}
        if found:
            attack = max(found, key=found.get)
            summary[name] = (found[attack], attack, pooled[(name, attack)][1])
    return summary


@check_kind("indicators")
def _indicators(model: ModelEvidence, check: dict) -> tuple[bool, str] | None:
    summary = indicator_summary(model.records)
    if not summary:
        return None
    limits = {**THRESHOLDS, **(check.get("thresholds") or {})}
    flagged = [n for n, (share, _, _) in summary.items() if share > limits[n]]
    return not flagged, "; ".join(
        f"{'**' if n in flagged else ''}{n.replace('_', ' ')} {100 * share:.1f}% "
        f"({attack}, {checked} ex.){'**' if n in flagged else ''}"
        for n, (share, attack, checked) in summary.items()
    )


def check_name(check: dict) -> str:
    if check.get("name"):
        return check["name"]
    if check["kind"] == "sweep":
        return f"{check['sweep']} falls to ~0"
    if check["kind"] == "noise":
        return f"{check['attack']} far below noise"
    if check["kind"] == "unbounded":
        return f"unbounded {check['attack']} succeeds"
    if check["kind"] == "effort":
        return f"more effort on {check['attack']} does not help"
    if check["kind"] == "dominance":
        return "white-box dominates per example"
    if check["kind"] == "indicators":
        return "attack-failure indicators"
    return f"{check['stronger']} ≤ {check['weaker']}"


def required_records(spec: dict, experiments: dict) -> list[tuple[str, str, int, str]]:
    needed = []
    for name, checks in spec["checks"].items():
        exp = experiments[name]
        for method in _methods(spec, name, exp):
            for check in checks:
                for attack in attacks_of(check, exp):
                    if attack_applies(exp, method, attack):
                        needed += [(name, method, seed, attack) for seed in exp["seeds"]]
    return list(dict.fromkeys(needed))


def _methods(spec: dict, name: str, experiment: dict) -> list[str]:
    wanted = (spec.get("methods_by_experiment") or {}).get(name)
    return [m for m in experiment["methods"] if not wanted or m in wanted]


def run_checks(records: list[dict], spec: dict, experiments: dict) -> pd.DataFrame:
    """One row per (experiment, method, check): pass / flag / not run, with the evidence."""
    by_model: dict[tuple[str, str], list[dict]] = {}
    for r in records:
        by_model.setdefault((r["experiment"], r["method"]), []).append(r)
    rows = []
    for name, checks in spec["checks"].items():
        exp = experiments[name]
        for method in _methods(spec, name, exp):
            model = ModelEvidence(exp, by_model.get((name, method), []))
            found = model.accuracy
            for configured in checks:
                check = {**CHECK_DEFAULTS, **configured}  # as validated, for a test's check too
                needed = attacks_of(check, exp)
                if check["kind"] in ALL_ATTACKS:
                    outcome = CHECKS[check["kind"]](model, check) if model.records else None
                    status, evidence = (
                        ("not run", "no records it can compare")
                        if outcome is None
                        else ("pass" if outcome[0] else "flag", outcome[1])
                    )
                elif not needed or any(a not in found for a in needed):
                    missing = [a for a in needed if a not in found] or [check.get("sweep", "?")]
                    status, evidence = "not run", "no records for " + ", ".join(missing)
                else:
                    passed, evidence = CHECKS[check["kind"]](model, check)
                    status = "pass" if passed else "flag"
                rows.append(
                    {
                        "experiment": name,
                        "method": method,
                        "check": check_name(check),
                        "kind": check["kind"],
                        "status": status,
                        "evidence": evidence,
                    }
                )
    return pd.DataFrame(rows)


def model_verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """Per model: flag if any check flags, pass if every run check passes."""

    def overall(statuses):
        if (statuses == "flag").any():
            return "flag"
        return "pass" if (statuses == "pass").any() else "not run"

    return (
        table.groupby(["experiment", "method"], sort=False)
        .status.agg(overall)
        .rename("overall")
        .reset_index()
    )


def indicator_table(records: list[dict], spec: dict, experiments: dict) -> pd.DataFrame:
    """One row per model of the report: each attack-failure indicator's worst attack, its
    share (%) and the examples checked (pooled over seeds), '' where none applied."""
    by_model: dict[tuple[str, str], list[dict]] = {}
    for r in records:
        by_model.setdefault((r["experiment"], r["method"]), []).append(r)
    rows = []
    for name in spec["checks"]:
        for method in _methods(spec, name, experiments[name]):
            summary = indicator_summary(by_model.get((name, method), []))
            rows.append(
                {
                    "experiment": name,
                    "method": method,
                    **{
                        indicator: (
                            f"{100 * summary[indicator][0]:.1f}% ({summary[indicator][1]}, "
                            f"{summary[indicator][2]} ex.)"
                            if indicator in summary
                            else ""
                        )
                        for indicator in NAMES
                    },
                }
            )
    return pd.DataFrame(rows)


def flags_by_model(reports: list[pd.DataFrame]) -> dict[str, list[str]]:
    """'experiment/method' -> the checks that flag it, from run_checks tables (or the
    masking report's CSV)."""
    flags: dict[str, list[str]] = {}
    for report in reports:
        if not len(report):
            continue
        for row in report[report.status == "flag"].itertuples():
            flags.setdefault(f"{row.experiment}/{row.method}", []).append(row.check)
    return flags


def mark_flagged_rows(table: pd.DataFrame, flags: dict[str, list[str]]) -> pd.DataFrame:
    """Column ``masking_flags`` of a cell table: for each cell, the flagged models among its
    members and their flags ('' where none)."""

    def marks(members: str) -> str:
        return "; ".join(f"{m}: {', '.join(flags[m])}" for m in members.split() if m in flags)

    return table.assign(masking_flags=table["members"].map(marks) if len(table) else [])


def render_markdown(
    table: pd.DataFrame, spec: dict, stamp: dict, indicators: pd.DataFrame | None = None
) -> str:
    lines = [f"# {spec.get('title', 'Gradient-masking checks')}", ""]
    banner = standin_banner(stamp)
    if banner:
        lines += [f"> {banner.split('. Reported')[0]}.", ""]
    lines += [
        "Provenance: " + " · ".join(stamp_lines(stamp)),
        "",
        "Checks of Carlini et al. 2019 on each model's records (accuracy % averaged over "
        "seeds). **flag** = the evaluation behaved as it does on gradient-masked models; "
        "treat that model's robust accuracy as an upper bound. Rules: docs/decisions.md.",
        "",
        "## Per model",
        "",
        "| Experiment | Method | Overall | Flags |",
        "|---|---|---|---|",
    ]
    for row in model_verdicts(table).itertuples():
        flags = table[
            (table.experiment == row.experiment)
            & (table.method == row.method)
            & (table.status == "flag")
        ].check
        lines.append(
            f"| {row.experiment} | {row.method} | {row.overall} | {', '.join(flags) or '—'} |"
        )
    if indicators is not None and len(indicators):
        names = [c for c in indicators.columns if c not in ("experiment", "method")]
        lines += [
            "",
            "## Attack-failure indicators (Pintor et al. 2022)",
            "",
            "Measured during every evaluation on the first attacked examples "
            "(advrepro.indicators): the attack where each is worst, its share of the "
            "examples checked, pooled over seeds; empty where it applied to no attack. "
            "transfer_failure is reported, not flagged (a robust target resists transfer "
            "by design).",
            "",
            "| Experiment | Method | " + " | ".join(n.replace("_", " ") for n in names) + " |",
            "|---|---|" + "---|" * len(names),
        ]
        for row in indicators.itertuples(index=False):
            values = row._asdict()
            lines.append(
                f"| {values['experiment']} | {values['method']} | "
                + " | ".join(values[n] or "—" for n in names)
                + " |"
            )
    lines += [
        "",
        "## Every check",
        "",
        "| Experiment | Method | Check | Status | Evidence |",
        "|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        lines.append(
            f"| {row.experiment} | {row.method} | {row.check} | {row.status} | {row.evidence} |"
        )
    return "\n".join(lines) + "\n"
