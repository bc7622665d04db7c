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

A check flags only a departure its examples resolve: one-sided exact tests at the check's
``significance`` (default 0.05), paired per example where two attacks are compared (McNemar's
test on the examples only one of them leaves standing, pooled over seeds) and binomial where
a share is compared with a threshold. A departure the examples cannot resolve (one of 50
examples; 4 of 29) says "not enough examples" instead of flagging, so an undefended or a
PGD-trained model (the negative controls) is not flagged at demo scale by chance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from advrepro import io
from advrepro.config import CHECK_DEFAULTS, derived_attack_id
from advrepro.indicators import NAMES, THRESHOLDS
from advrepro.plan import attack_applies
from advrepro.records import Record
from advrepro.registry import function_registry
from advrepro.reporting.cells import sweep_points
from advrepro.reporting.tables import stamp_lines, standin_banner

CHECKS = {}


check_kind = function_registry(CHECKS)
# check kinds that read every record of the model, not named attacks
ALL_ATTACKS = ("dominance", "indicators")


FLAG, PASS, UNRESOLVED = "flag", "pass", "not enough examples"
# a check whose budget or steps the scale cut below what it needs to mean anything
NOT_HERE = "not at this scale"
# the checks of an attack's convergence, which a scale that caps attack steps (the demo's and
# CI's limits.attacks) makes meaningless: more effort is then expected to help
CONVERGENCE = ("effort",)
CONVERGENCE_INDICATORS = ("incomplete_optimisation",)


@dataclass
class ModelEvidence:
    """What the checks of one model read: its experiment, its records, and the mean accuracy
    (%) over seeds per attack."""

    experiment: dict
    records: list[Record] = field(default_factory=list)

    @property
    def accuracy(self) -> dict[str, float]:
        values: dict[str, list[float]] = {}
        for r in self.records:
            values.setdefault(r.attack, []).append(100.0 * r.accuracy)
        return {a: sum(v) / len(v) for a, v in values.items()}

    def correct(self, attack: str) -> dict[int, np.ndarray]:
        """Seed -> per-example correctness under ``attack``."""
        return {
            r.seed: np.asarray(r.correct, dtype=bool) for r in self.records if r.attack == attack
        }

    def paired(self, first: str, second: str) -> tuple[int, int, int]:
        """(examples correct under ``first`` only, under ``second`` only, examples compared),
        pooled over the seeds both attacks ran on: McNemar's discordant pairs."""
        a, b = self.correct(first), self.correct(second)
        only_first = only_second = compared = 0
        for seed in a.keys() & b.keys():
            if len(a[seed]) != len(b[seed]):
                continue
            only_first += int((a[seed] & ~b[seed]).sum())
            only_second += int((b[seed] & ~a[seed]).sum())
            compared += len(a[seed])
        return only_first, only_second, compared

    def count(self, attack: str) -> tuple[int, int]:
        """(examples correct, examples) under ``attack``, pooled over seeds."""
        found = self.correct(attack).values()
        return sum(int(c.sum()) for c in found), sum(len(c) for c in found)


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


def upper_tail(count: int, n: int, share: float) -> float:
    """P(X >= count) for X ~ Binomial(n, share): how surprising ``count`` of ``n`` is when
    the true share is ``share`` (the exact one-sided test every check flags with)."""
    from scipy.special import bdtrc  # only the masking rules pay for the import

    if count <= 0:
        return 1.0
    if n <= 0 or count > n:
        return 0.0 if count > n else 1.0
    return float(bdtrc(count - 1, n, share))


def _outcome(departs: bool, p_value: float, check: dict, evidence: str) -> tuple[str, str]:
    """pass; flag when the departure is significant; otherwise not enough examples."""
    if not departs:
        return PASS, evidence
    if p_value < check["significance"]:
        return FLAG, f"{evidence}; p = {p_value:.2g}"
    return UNRESOLVED, f"{evidence}; p = {p_value:.2g}, not resolved at {check['significance']:g}"


def _no_more_accurate(
    model: ModelEvidence, stronger: str, weaker: str, tolerance: float, check: dict
) -> tuple[str, str]:
    """``stronger`` leaves at most ``tolerance`` points more accuracy than ``weaker``, judged
    per example (McNemar's exact test on the examples only one of them leaves standing)."""
    only_strong, only_weak, n = model.paired(stronger, weaker)
    accuracy = model.accuracy
    excess = 100.0 * (only_strong - only_weak) / n if n else 0.0
    evidence = (
        f"{stronger} {accuracy[stronger]:.1f} vs {weaker} {accuracy[weaker]:.1f}; "
        f"{only_strong} of {n} examples survive only {stronger}, {only_weak} only {weaker}"
    )
    p_value = upper_tail(only_strong, only_strong + only_weak, 0.5)
    return _outcome(excess > tolerance, p_value, check, evidence)


def _worst(outcomes: list[tuple[str, str]], prefix: str = "") -> tuple[str, str]:
    """One outcome of several: flag if any flags, else not enough examples if any could not be
    resolved, else pass; the evidence of those that departed (all of them where none did)."""
    for status in (FLAG, UNRESOLVED):
        found = [evidence for s, evidence in outcomes if s == status]
        if found:
            return status, prefix + "; ".join(found)
    return PASS, prefix + "; ".join(evidence for _, evidence in outcomes)


@check_kind("stronger")
def _stronger(model: ModelEvidence, check: dict) -> tuple[str, str]:
    if not _sweeps(check, model.experiment):
        return _no_more_accurate(
            model, check["stronger"], check["weaker"], check["tolerance"], check
        )
    pairs = paired_budgets(model.experiment, check["weaker"], check["stronger"])
    return _worst(
        [
            _no_more_accurate(model, strong, weak, check["tolerance"], check)
            for _, weak, strong in pairs
        ],
        f"{check['stronger']} vs {check['weaker']} at eps "
        + ", ".join(f"{eps:g}" for eps, _, _ in pairs)
        + ": ",
    )


@check_kind("noise")
def _noise(model: ModelEvidence, check: dict) -> tuple[str, str]:
    """The attack breaks at least ``margin`` points more examples than noise of its size:
    flagged when the examples it alone breaks are significantly fewer than that share."""
    only_noise, only_attack, n = model.paired(check["noise"], check["attack"])
    accuracy = model.accuracy
    noise, attack = accuracy[check["noise"]], accuracy[check["attack"]]
    evidence = (
        f"{check['attack']} {attack:.1f} vs noise {noise:.1f}; the attack alone breaks "
        f"{only_noise} of {n} examples (margin {check['margin']:g} points)"
    )
    # lower tail: P(X <= only_noise | n, margin) = 1 - P(X >= only_noise + 1)
    p_value = 1.0 - upper_tail(only_noise + 1, n, check["margin"] / 100) if n else 1.0
    return _outcome(attack > noise - check["margin"], p_value, check, evidence)


@check_kind("sweep")
def _sweep(model: ModelEvidence, check: dict) -> tuple[str, str]:
    points = sweep_points(model.experiment, check["sweep"])
    values = [model.accuracy[attack] for attack, _ in points]
    curve = ", ".join(f"{eps:g}: {v:.1f}" for (_, eps), v in zip(points, values))
    outcomes = [
        _no_more_accurate(model, larger, smaller, check["tolerance"], check)
        for (smaller, _), (larger, _) in zip(points, points[1:])
    ]
    correct, n = model.count(points[-1][0])
    final_max, largest = check["final_max"], points[-1][1]
    reaches = check.get("final_eps") is None or largest >= check["final_eps"] - 1e-9
    if reaches:
        outcomes.append(
            _outcome(
                values[-1] > final_max,
                upper_tail(correct, n, final_max / 100),
                check,
                f"{values[-1]:.1f} > {final_max:g} at eps {largest:g}",
            )
        )
    status, evidence = _worst(outcomes)
    if status == PASS and not reaches:
        return NOT_HERE, (
            f"{curve} — the largest budget {largest:g} is below {check['final_eps']:g}, where "
            f"accuracy must reach {final_max:g} %: not judged at this scale"
        )
    return status, curve if status == PASS else f"{curve} — {evidence}"


@check_kind("unbounded")
def _unbounded(model: ModelEvidence, check: dict) -> tuple[str, str]:
    attack = derived_attack_id(check)
    correct, n = model.count(attack)
    accuracy, allowed = model.accuracy[attack], check["max_accuracy"]
    evidence = f"{attack} (eps {check['eps']:g}) leaves {accuracy:.1f} % (allowed {allowed:g})"
    return _outcome(accuracy > allowed, upper_tail(correct, n, allowed / 100), check, evidence)


@check_kind("effort")
def _effort(model: ModelEvidence, check: dict) -> tuple[str, str]:
    """More steps and restarts lower the accuracy by at most ``tolerance`` points."""
    base, more = check["attack"], derived_attack_id(check)
    return _no_more_accurate(model, base, more, check["tolerance"], check)


def _comparable(record: Record) -> tuple:
    return (record.seed, json.dumps(record.classifier, sort_keys=True), record.count)


def _white_box_gradient(record: Record) -> bool:
    return record.family == "gradient" and record.threat == "whitebox"


def white_box_misses(records: list[Record]) -> dict[str, tuple[int, int]]:
    """Per non-white-box attack (transfer, noise, decision-based): (examples that survive
    every white-box gradient attack of the same norm and at least the same budget, on the same
    seed and classifier, but fall to it; examples compared), summed over seeds."""
    misses: dict[str, list[int]] = {}
    white = [r for r in records if _white_box_gradient(r) and r.eps is not None]
    for other in records:
        if _white_box_gradient(other) or other.family == "clean" or other.eps is None:
            continue
        rivals = [
            w
            for w in white
            if _comparable(w) == _comparable(other)
            and w.norm == other.norm
            and w.eps >= other.eps - 1e-9
        ]
        if not rivals:
            continue
        survive = np.logical_and.reduce([np.asarray(w.correct, dtype=bool) for w in rivals])
        missed = survive & ~np.asarray(other.correct, dtype=bool)
        tally = misses.setdefault(other.attack, [0, 0])
        tally[0] += int(missed.sum())
        tally[1] += len(other.correct)
    return {attack: (m, n) for attack, (m, n) in misses.items()}


@check_kind("dominance")
def _dominance(model: ModelEvidence, check: dict) -> tuple[str, str] | None:
    misses = white_box_misses(model.records)
    if not misses:
        return None
    shares = {a: 100.0 * m / n for a, (m, n) in misses.items()}
    worst = sorted(shares, key=shares.get, reverse=True)
    allowed = check["share_max"]
    missed, compared = misses[worst[0]]
    evidence = "; ".join(
        f"{a} {shares[a]:.1f}% ({misses[a][0]} of {misses[a][1]})" for a in worst[:3]
    ) + (f" (allowed {allowed:g}%)")
    p_value = upper_tail(missed, compared, allowed / 100)
    return _outcome(shares[worst[0]] > allowed, p_value, check, evidence)


def indicator_summary(records: list[Record]) -> dict[str, tuple[float, str, int]]:
    """Per indicator: (share, attack, examples checked) of the attack where it is worst,
    pooled over seeds; indicators that applied to no record are left out."""
    pooled: dict[tuple[str, str], list[int]] = {}
    for r in records:
        for name, value in (r.indicators or {}).items():
            if value is not None and value["checked"]:
                tally = pooled.setdefault((name, r.attack), [0, 0])
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
def _indicators(model: ModelEvidence, check: dict) -> tuple[str, str] | None:
    summary = indicator_summary(model.records)
    if not summary:
        return None
    limits = {**THRESHOLDS, **(check.get("thresholds") or {})}
    statuses = {
        name: NOT_HERE
        if name in CONVERGENCE_INDICATORS and check.get("steps_capped")
        else _outcome(
            share > limits[name],
            upper_tail(round(share * checked), checked, limits[name]),
            check,
            "",
        )[0]
        for name, (share, _, checked) in summary.items()
    }
    marks = {FLAG: "**", UNRESOLVED: "_", PASS: "", NOT_HERE: "~"}
    evidence = "; ".join(
        f"{marks[statuses[n]]}{n.replace('_', ' ')} {100 * share:.1f}% "
        f"({attack}, {checked} ex.){marks[statuses[n]]}"
        for n, (share, attack, checked) in summary.items()
    )
    return _worst([(status, "") for status in statuses.values()])[0], evidence


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


def run_checks(
    records: list[Record], spec: dict, experiments: dict, limits: dict | None = None
) -> pd.DataFrame:
    """One row per (experiment, method, check): pass / flag / not enough examples / not at
    this scale / not run, with the evidence. ``limits``: the config's (a scale that caps
    attack steps, limits.attacks.steps, leaves the convergence checks nothing to judge)."""
    steps_capped = ((limits or {}).get("attacks") or {}).get("steps")
    by_model: dict[tuple[str, str], list[Record]] = {}
    for r in records:
        by_model.setdefault((r.experiment, r.method), []).append(r)
    rows = []
    for name, checks in spec["checks"].items():
        exp = experiments[name]
        for method in _methods(spec, name, exp):
            model = ModelEvidence(exp, by_model.get((name, method), []))
            found = model.accuracy
            for configured in checks:
                check = {**CHECK_DEFAULTS, **configured}  # as validated, for a test's check too
                check["steps_capped"] = steps_capped
                needed = attacks_of(check, exp)
                if check["kind"] in CONVERGENCE and steps_capped:
                    status, evidence = (
                        NOT_HERE,
                        (
                            f"attack steps capped at {steps_capped} at this scale (limits.attacks): "
                            "more effort is expected to help"
                        ),
                    )
                elif check["kind"] in ALL_ATTACKS:
                    outcome = CHECKS[check["kind"]](model, check) if model.records else None
                    status, evidence = outcome or ("not run", "no records it can compare")
                elif not needed or any(a not in found for a in needed):
                    missing = [a for a in needed if a not in found] or [check.get("sweep", "?")]
                    status, evidence = "not run", "no records for " + ", ".join(missing)
                else:
                    status, evidence = CHECKS[check["kind"]](model, check)
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
    """Per model: flag if any check flags; pass if every check that ran passes; not enough
    examples if a check could not resolve a departure and none flags."""

    def overall(statuses):
        for status in (FLAG, UNRESOLVED, PASS, NOT_HERE):
            if (statuses == status).any():
                return status
        return "not run"

    return (
        table.groupby(["experiment", "method"], sort=False)
        .status.agg(overall)
        .rename("overall")
        .reset_index()
    )


def indicator_table(records: list[Record], spec: dict, experiments: dict) -> pd.DataFrame:
    """One row per model of the report: each attack-failure indicator's worst attack, its
    share (%) and the examples checked (pooled over seeds), '' where none applied."""
    by_model: dict[tuple[str, str], list[Record]] = {}
    for r in records:
        by_model.setdefault((r.experiment, r.method), []).append(r)
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


# One experiment's check results (rule masking_checks writes them, the tables of that
# experiment and the masking report read them): the checks run once per experiment, and a table
# job lists one file per experiment instead of the hundreds of records the checks read.
CHECK_RESULTS_FORMAT = 1


@dataclass(frozen=True)
class CheckResults:
    """The masking checks of one experiment: ``checks`` (run_checks' rows), ``indicators``
    (indicator_table's rows) and the ``hardware`` the records name, in record order."""

    checks: pd.DataFrame
    indicators: pd.DataFrame
    hardware: list[str]

    @classmethod
    def of(
        cls, records: list[Record], spec: dict, experiments: dict, limits: dict | None = None
    ) -> CheckResults:
        return cls(
            run_checks(records, spec, experiments, limits),
            indicator_table(records, spec, experiments),
            [r.hardware for r in records],
        )

    @classmethod
    def joined(cls, parts: list[CheckResults]) -> CheckResults:
        """Several experiments' results as one, in the order given."""
        frames = [p.checks for p in parts if len(p.checks)]
        indicators = [p.indicators for p in parts if len(p.indicators)]
        return cls(
            pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(),
            pd.concat(indicators, ignore_index=True) if indicators else pd.DataFrame(),
            [h for p in parts for h in p.hardware],
        )


class CheckResultsError(ValueError):
    """A check-results file that cannot be read; the message names the file and the fix."""


def _frame_json(frame: pd.DataFrame) -> dict:
    # columns kept in order (write_json sorts keys)
    return {"columns": list(frame.columns), "rows": frame.values.tolist()}


def write_check_results(path, results: CheckResults) -> None:
    io.write_json(
        path,
        {
            "format": CHECK_RESULTS_FORMAT,
            "checks": _frame_json(results.checks),
            "indicators": _frame_json(results.indicators),
            "hardware": list(results.hardware),
        },
    )


def read_check_results(path) -> CheckResults:
    """A file write_check_results wrote, or CheckResultsError naming it and the fix."""
    rebuild = f"delete it and rebuild it (snakemake --cores all {path})"
    try:
        data = json.loads(Path(path).read_text())
        if data.get("format") != CHECK_RESULTS_FORMAT:
            raise ValueError(f"format {data.get('format')!r}, not {CHECK_RESULTS_FORMAT}")
        frames = []
        for name in ("checks", "indicators"):
            table = data[name]
            if any(len(row) != len(table["columns"]) for row in table["rows"]):
                raise ValueError(f"a row of {name} does not match its columns")
            frames.append(pd.DataFrame(table["rows"], columns=table["columns"]))
        if not isinstance(data["hardware"], list):
            raise ValueError("hardware is not a list")
    except FileNotFoundError:
        raise CheckResultsError(f"{path}: missing; {rebuild}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        reason = f"lacks {error}" if isinstance(error, KeyError) else str(error)
        raise CheckResultsError(
            f"{path}: not a masking-check result ({reason}); {rebuild}"
        ) from None
    return CheckResults(*frames, data["hardware"])


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
        "seeds). **flag** = the evaluation behaved as it does on gradient-masked models, by "
        "more than its examples can explain (a one-sided exact test, paired per example, at "
        "each check's significance); treat that model's robust accuracy as an upper bound. "
        "*not enough examples* = a departure too small for the examples to resolve; *not at "
        "this scale* = the scale cut the budget or the attack steps below what the check "
        "needs (an indicator so cut is marked ~). Rules: docs/decisions.md.",
        "",
    ]
    verdicts = model_verdicts(table)
    controls = verdicts[verdicts.method.isin(spec.get("negative_controls") or [])]
    if len(controls):
        failed = controls[controls.overall == FLAG]
        lines += [
            f"Negative controls ({', '.join(dict.fromkeys(controls.method))}: no masking "
            "expected): "
            + (
                "**flagged** "
                + ", ".join(f"{r.experiment}/{r.method}" for r in failed.itertuples())
                + " — a check that flags them cries wolf."
                if len(failed)
                else "none flagged."
            ),
            "",
        ]
    lines += [
        "## Per model",
        "",
        "| Experiment | Method | Overall | Flags | Not enough examples |",
        "|---|---|---|---|---|",
    ]
    for row in verdicts.itertuples():
        mine = table[(table.experiment == row.experiment) & (table.method == row.method)]
        flags = mine[mine.status == FLAG].check
        unresolved = mine[mine.status == UNRESOLVED].check
        lines.append(
            f"| {row.experiment} | {row.method} | {row.overall} | {', '.join(flags) or '—'} "
            f"| {', '.join(unresolved) or '—'} |"
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
