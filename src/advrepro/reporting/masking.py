"""Gradient-masking checks (Carlini et al. 2019, "On Evaluating Adversarial Robustness", §5),
each a pass / flag per trained model, computed from evaluation records (mean over seeds).

A flag is not a proof of masking; it says that the evaluation behaved in a way a sound
gradient attack on an unmasked model does not, and that the robust accuracy is suspect. Check
kinds, configured per experiment in the artifact's ``checks``:

* ``stronger``: attack ``stronger`` leaves no more accuracy than ``weaker`` (+ ``tolerance``
  points): iterative vs single-step, white-box vs transfer, more steps or restarts vs fewer,
  AutoAttack vs PGD, gradient vs decision-based.
* ``noise``: random noise of the same norm is far weaker: accuracy under ``attack`` is at least
  ``margin`` points below accuracy under ``noise``.
* ``sweep``: accuracy falls with the budget (no rise above ``tolerance`` points) and reaches at
  most ``final_max`` % at the sweep's largest budget.
"""

from __future__ import annotations

import pandas as pd

from advrepro.registry import function_registry

from advrepro.reporting.cells import attack_applies, sweep_points
from advrepro.reporting.tables import stamp_lines, standin_banner

CHECKS = {}


check_kind = function_registry(CHECKS)


def attacks_of(check: dict, experiment: dict) -> list[str]:
    if check["kind"] == "sweep":
        return [attack for attack, _ in sweep_points(experiment, check["sweep"])]
    if check["kind"] == "noise":
        return [check["noise"], check["attack"]]
    return [check["weaker"], check["stronger"]]


@check_kind("stronger")
def _stronger(accuracy: dict, check: dict) -> tuple[bool, str]:
    weak, strong = accuracy[check["weaker"]], accuracy[check["stronger"]]
    tolerance = check.get("tolerance", 1.0)
    return (strong <= weak + tolerance,
            f"{check['stronger']} {strong:.1f} vs {check['weaker']} {weak:.1f}")


@check_kind("noise")
def _noise(accuracy: dict, check: dict) -> tuple[bool, str]:
    noise, attack = accuracy[check["noise"]], accuracy[check["attack"]]
    margin = check.get("margin", 5.0)
    return attack <= noise - margin, f"{check['attack']} {attack:.1f} vs noise {noise:.1f}"


@check_kind("sweep")
def _sweep(accuracy: dict, check: dict, points: list[tuple[str, float]]) -> tuple[bool, str]:
    values = [accuracy[attack] for attack, _ in points]
    tolerance = check.get("tolerance", 1.0)
    monotone = all(b <= a + tolerance for a, b in zip(values, values[1:]))
    final_max = check.get("final_max", 10.0)
    curve = ", ".join(f"{eps:g}: {v:.1f}" for (_, eps), v in zip(points, values))
    problems = ([] if monotone else ["rises with eps"]) + (
        [] if values[-1] <= final_max else [f"{values[-1]:.1f} > {final_max:g} at eps {points[-1][1]:g}"])
    return not problems, curve + ("" if not problems else " — " + "; ".join(problems))


def check_name(check: dict) -> str:
    if check.get("name"):
        return check["name"]
    if check["kind"] == "sweep":
        return f"{check['sweep']} falls to ~0"
    if check["kind"] == "noise":
        return f"{check['attack']} far below noise"
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
    by_model: dict[tuple[str, str], dict[str, list[float]]] = {}
    for r in records:
        by_model.setdefault((r["experiment"], r["method"]), {}).setdefault(
            r["attack"], []).append(100.0 * r["accuracy"])
    rows = []
    for name, checks in spec["checks"].items():
        exp = experiments[name]
        for method in _methods(spec, name, exp):
            found = {a: sum(v) / len(v) for a, v in by_model.get((name, method), {}).items()}
            for check in checks:
                needed = attacks_of(check, exp)
                if not needed or any(a not in found for a in needed):
                    missing = [a for a in needed if a not in found] or [check.get("sweep", "?")]
                    status, evidence = "not run", "no records for " + ", ".join(missing)
                else:
                    extra = (sweep_points(exp, check["sweep"]),) if check["kind"] == "sweep" else ()
                    passed, evidence = CHECKS[check["kind"]](found, check, *extra)
                    status = "pass" if passed else "flag"
                rows.append({"experiment": name, "method": method, "check": check_name(check),
                             "kind": check["kind"], "status": status, "evidence": evidence})
    return pd.DataFrame(rows)


def model_verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """Per model: flag if any check flags, pass if every run check passes."""
    def overall(statuses):
        if (statuses == "flag").any():
            return "flag"
        return "pass" if (statuses == "pass").any() else "not run"
    return (table.groupby(["experiment", "method"], sort=False).status
            .agg(overall).rename("overall").reset_index())


def stamp_for(spec, experiments, records, scale, config_hash, commit) -> dict:
    names = list(spec["checks"])
    return {"scale": scale,
            "dataset": ", ".join(dict.fromkeys(experiments[n]["dataset"] for n in names)),
            "paper_dataset": ", ".join(dict.fromkeys(experiments[n]["paper_dataset"] for n in names)),
            "experiments": ", ".join(names),
            "seeds": ", ".join(dict.fromkeys(" ".join(map(str, experiments[n]["seeds"])) for n in names)),
            "config hash": config_hash, "commit": commit,
            "hardware": "; ".join(sorted({r["hardware"] for r in records})) or "n/a"}


def render_markdown(table: pd.DataFrame, spec: dict, stamp: dict) -> str:
    lines = [f"# {spec.get('title', 'Gradient-masking checks')}", ""]
    banner = standin_banner(stamp)
    if banner:
        lines += [f"> {banner.split('. Reported')[0]}.", ""]
    lines += ["Provenance: " + " · ".join(stamp_lines(stamp)), "",
              "Checks of Carlini et al. 2019 on each model's records (accuracy % averaged over "
              "seeds). **flag** = the evaluation behaved as it does on gradient-masked models; "
              "treat that model's robust accuracy as an upper bound. Rules: docs/decisions.md.", "",
              "## Per model", "", "| Experiment | Method | Overall | Flags |", "|---|---|---|---|"]
    for row in model_verdicts(table).itertuples():
        flags = table[(table.experiment == row.experiment) & (table.method == row.method)
                      & (table.status == "flag")].check
        lines.append(f"| {row.experiment} | {row.method} | {row.overall} | "
                     f"{', '.join(flags) or '—'} |")
    lines += ["", "## Every check", "", "| Experiment | Method | Check | Status | Evidence |",
              "|---|---|---|---|---|"]
    for row in table.itertuples():
        lines.append(f"| {row.experiment} | {row.method} | {row.check} | {row.status} | "
                     f"{row.evidence} |")
    return "\n".join(lines) + "\n"
