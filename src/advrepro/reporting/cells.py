"""Artifact specs -> a tidy table of cells (one per row x column) computed from records only.

Every table and figure of ``paper_figures/`` is rows x columns of accuracies (DunDi calls the
same number "defence success rate": adversarial examples classified correctly / all):

* a **row** is one trained model family, ``members`` = one (experiment, method) pair, or several
  averaged (DunDi's "mean of 6 models"). Specs write rows as ``experiment`` + ``methods`` (one
  row per method), ``experiments`` + ``methods`` (one per experiment x method), or ``rows``.
* a **column** is one attack id; several ids averaged (``combine: mean``, DunDi's "mean of 4
  attacks") or their per-example worst case (``combine: worst``: an example counts only if it
  survives every attack, as RobustBench reports); or ``sweep: <id>``, one column per budget of
  an epsilon sweep (x = eps).

A cell's value per seed combines its members x attacks; the cell is mean +- std over seeds,
beside the reported number and, only where the run matches the paper's, a verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from advrepro.config import (
    ARTIFACT_DEFAULTS,
    ATTACK_ENTRY_DEFAULTS,
    ATTACK_OPTION_DEFAULTS,
    COLUMN_DEFAULTS,
)
from advrepro.metrics import mean_std
from advrepro.plan import attack_applies
from advrepro.records import Record
from advrepro.reporting.reported import find_reported
from advrepro.reporting.verdict import (
    JUDGED,
    METRIC_FIELDS,
    judge_protocol,
    outcome,
    printed_unit,
    tolerance,
    verdict,
)

NOT_RUN = "not yet run"  # the config does not train this method
NOT_EVALUATED = "not evaluated"  # the attack is not configured for this model
MISSING = "missing records"


@dataclass(frozen=True)
class Member:
    experiment: str
    method: str


@dataclass
class Row:
    label: str
    members: list[Member]
    reported: dict = field(default_factory=dict)
    x: float | None = None
    not_comparable: str | None = None


@dataclass
class Column:
    label: str
    attacks: list[str]
    combine: str = "mean"
    reported: dict = field(default_factory=dict)
    x: float | None = None
    series: str | None = None
    reported_eps_scale: float | None = None
    metric: str = "accuracy"


def _short(experiment: dict) -> str:
    return experiment.get("paper_architecture", experiment["architecture"])


def expand_rows(spec: dict, experiments: dict) -> list[Row]:
    if spec.get("rows"):
        rows = []
        for row in spec["rows"]:
            members = [Member(m["experiment"], m["method"]) for m in row.get("members", [])] or [
                Member(row.get("experiment", spec.get("experiment")), row["method"])
            ]
            rows.append(
                Row(
                    row.get("label", members[0].method),
                    members,
                    dict(row.get("reported", {})),
                    row.get("x"),
                    row.get("not_comparable"),
                )
            )
        return rows
    names = spec.get("experiments") or [spec["experiment"]]
    return [
        Row(
            method if len(names) == 1 else f"{_short(experiments[name])} {method}",
            [Member(name, method)],
        )
        for name in names
        for method in spec["methods"]
    ]


def sweep_points(experiment: dict, sweep: str) -> list[tuple[str, float]]:
    """(attack id, eps) of each budget of an expanded eps sweep, by budget."""
    points = [
        (attack_id, attack["sweep"]["eps"])
        for attack_id, attack in experiment["attacks"].items()
        if (attack.get("sweep") or {}).get("attack") == sweep
    ]
    return sorted(points, key=lambda point: point[1])


def expand_columns(spec: dict, experiments: dict) -> list[Column]:
    rows = expand_rows(spec, experiments)
    first = experiments[rows[0].members[0].experiment]
    columns = []
    for column in spec["columns"]:
        if column.get("sweep"):
            # a curve starts at eps 0: the clean accuracy, where the experiment evaluates it
            points = sweep_points(first, column["sweep"])
            if "clean" in first["attacks"] and points:
                points = [("clean", 0.0), *points]
            for attack_id, eps in points:
                columns.append(
                    Column(
                        f"{column['label']} ε={eps:g}",
                        [attack_id],
                        "mean",
                        dict(column.get("reported", {})),
                        eps,
                        column.get("series"),
                    )
                )
            continue
        attacks = column["attack"] if isinstance(column["attack"], list) else [column["attack"]]
        columns.append(
            Column(
                column["label"],
                attacks,
                column.get("combine", COLUMN_DEFAULTS["combine"]),
                dict(column.get("reported", {})),
                column.get("x"),
                column.get("series"),
                column.get("reported_eps_scale"),
                column.get("metric", "accuracy"),
            )
        )
    return columns


def required_records(spec: dict, experiments: dict) -> list[tuple[str, str, int, str]]:
    """(experiment, method, seed, attack) of every record the artifact reads, in order."""
    needed = {}
    for row in expand_rows(spec, experiments):
        for member in row.members:
            exp = experiments[member.experiment]
            for column in expand_columns(spec, experiments):
                for attack in column.attacks:
                    if attack_applies(exp, member.method, attack):
                        for seed in exp["seeds"]:
                            needed[(member.experiment, member.method, seed, attack)] = None
    return list(needed)


def _cell_records(
    records: dict, members: list[Member], column: Column, seed: int
) -> list[Record] | None:
    """Every record behind one seed of a cell; None if one is missing."""
    found = [
        records.get((member.experiment, member.method, seed, attack))
        for member in members
        for attack in column.attacks
    ]
    return None if any(r is None for r in found) else found


def _seed_value(found: list[Record], column: Column, metric: str | None = None) -> float:
    """The cell's metric (%) for one seed from its records (members x attacks, in order);
    ``metric``: another than the column's (the one shown beside it)."""
    metric = metric or column.metric
    if column.combine == "worst":  # per member: an example counts if it survives every attack
        per_member = [
            found[i : i + len(column.attacks)] for i in range(0, len(found), len(column.attacks))
        ]
        values = []
        for group in per_member:
            survived = [all(flags) for flags in zip(*(r.correct for r in group))]
            values.append(100.0 * sum(survived) / len(survived))
    else:
        values = [100.0 * getattr(r, METRIC_FIELDS[metric]) for r in found]
    return sum(values) / len(values)


def _status(experiments: dict, row: Row, column: Column) -> str | None:
    for member in row.members:
        exp = experiments[member.experiment]
        if member.method not in exp["methods"]:
            return NOT_RUN
        if not all(attack_applies(exp, member.method, a) for a in column.attacks):
            return NOT_EVALUATED
    return None


def _untrained(records: list[Record], experiments: dict) -> str | None:
    """'did not train (...)' when a record's model is below its experiment's ``clean_floor``
    (clean accuracy %, measured by every evaluation job under the model's own classifier
    settings, not the record's: DunDi at one oracle per class is meant to be less accurate):
    its numbers are never tabulated."""
    low = []
    for r in records:
        floor = experiments[r.experiment].get("clean_floor")
        clean = r.model_clean_accuracy
        if floor is not None and 100.0 * clean < floor:
            low.append(f"{r.method} seed {r.seed} clean {100.0 * clean:.0f}% < {floor:g}%")
    return f"did not train ({'; '.join(dict.fromkeys(low))})" if low else None


def _reported_row(reported: pd.DataFrame, spec: dict, experiments: dict, row: Row, column: Column):
    if not column.reported:  # a column of ours (Clean, AutoAttack): nothing printed to compare
        return None
    selector = {**column.reported, **row.reported}
    method = selector.pop("method", row.members[0].method)
    prefer = {}
    if len(row.members) == 1:
        exp = experiments[row.members[0].experiment]
        prefer = {"architecture": exp.get("paper_architecture", exp["architecture"])}
    return find_reported(reported, spec["paper"], spec["item"], method, selector, prefer)


def reported_coverage(
    artifacts: dict, experiments: dict, reported: pd.DataFrame
) -> dict[int, list[tuple[str, str, str]]]:
    """Which cells (artifact, row, column) each reported-CSV row is shown in: the check that
    every printed number has its place in an artifact and every selector finds one row."""
    covered: dict[int, list[tuple[str, str, str]]] = {}
    for name, spec in artifacts.items():
        if spec["paper"] == "ours" or spec.get("kind", ARTIFACT_DEFAULTS["kind"]) not in (
            "table",
            "figure",
        ):
            continue
        for row in expand_rows(spec, experiments):
            for column in expand_columns(spec, experiments):
                paper_row = _reported_row(reported, spec, experiments, row, column)
                if paper_row is not None:
                    covered.setdefault(paper_row.name, []).append((name, row.label, column.label))
    return covered


def build_cells(
    records: list[Record],
    spec: dict,
    experiments: dict,
    reported: pd.DataFrame,
    protocol: list[dict] = (),
) -> pd.DataFrame:
    """One tidy row per (row, column): ours (mean, std over seeds), reported, difference,
    verdict, status, and what was run. ``protocol``: the config's shared protocol entries,
    applied besides the artifact's and the experiments' own."""
    by_key = {r.key: r for r in records}
    table = []
    for row in expand_rows(spec, experiments):
        seeds = sorted(
            set.intersection(*(set(experiments[m.experiment]["seeds"]) for m in row.members))
        )
        row_protocol = [
            *spec.get("protocol", []),
            *(
                entry
                for name in dict.fromkeys(m.experiment for m in row.members)
                for entry in experiments[name].get("protocol", [])
            ),
            *protocol,
        ]
        for column in expand_columns(spec, experiments):
            found = {s: _cell_records(by_key, row.members, column, s) for s in seeds}
            found = {s: f for s, f in found.items() if f is not None}
            values = {s: _seed_value(f, column) for s, f in found.items()}
            mean, std = mean_std(list(values.values()))
            beside = spec.get("beside_metric")
            beside_mean = (
                mean_std([_seed_value(f, column, beside) for f in found.values()])[0]
                if beside and beside != column.metric and column.combine != "worst"
                else math.nan
            )
            paper_row = _reported_row(reported, spec, experiments, row, column)
            reported_value = float(paper_row["value"]) if paper_row is not None else math.nan
            tolerance_points = (
                tolerance(
                    std,
                    len(values),
                    printed_unit(paper_row["value"]),
                    spec.get("confidence", ARTIFACT_DEFAULTS["confidence"]),
                )
                if paper_row is not None
                else None
            )
            status = (
                _status(experiments, row, column)
                or _untrained([r for f in found.values() for r in f], experiments)
                or ("ok" if values else MISSING)
            )
            if status != "ok":
                judgement = ""
            elif paper_row is None:
                judgement = "no reported value"
            elif row.not_comparable:
                judgement = f"not comparable: {row.not_comparable}"
            else:
                reason, assumptions = judge_protocol(
                    [r for f in found.values() for r in f],
                    paper_row,
                    row_protocol,
                    column.metric,
                    column.reported_eps_scale,
                    spec.get("reads_printed"),
                )
                judgement = (
                    f"not comparable: {reason}"
                    if reason
                    else verdict(mean, reported_value, tolerance_points, assumptions)
                )
            # the attack as run: from a record where there is one, else as configured
            ran = next(iter(found.values()), None)
            first = (
                {"class": ran[0].attack_class, "threat": ran[0].threat, "params": ran[0].params}
                if ran
                else experiments[row.members[0].experiment]["attacks"].get(column.attacks[0], {})
            )
            params = first.get("params", {})
            table.append(
                {
                    "row": row.label,
                    "column": column.label,
                    "x_row": row.x,
                    "x": column.x,
                    "series": column.series,
                    "members": " ".join(f"{m.experiment}/{m.method}" for m in row.members),
                    "attacks": " ".join(column.attacks),
                    "combine": column.combine,
                    "attack_class": first.get("class"),
                    "threat": first.get("threat") or ATTACK_ENTRY_DEFAULTS["threat"],
                    "eps": params.get("eps"),
                    "steps": params.get("steps"),
                    "restarts": {
                        **ATTACK_OPTION_DEFAULTS.get(first.get("class"), {}),
                        **params,
                    }.get("restarts"),
                    "n_seeds": len(values),
                    "seeds": " ".join(str(s) for s in values),
                    "ours_mean": mean,
                    "ours_std": std,
                    "reported": reported_value,
                    "reported_method": paper_row["method"] if paper_row is not None else "",
                    "difference": mean - reported_value,
                    "tolerance": math.nan if tolerance_points is None else tolerance_points,
                    "metric": column.metric,
                    "reported_metric": paper_row["metric"] if paper_row is not None else "",
                    "beside_metric": beside or "",
                    "beside_mean": beside_mean,
                    "verdict": judgement,
                    "status": status,
                }
            )
    return _cannot_tell(pd.DataFrame(table))


def _cannot_tell(table: pd.DataFrame) -> pd.DataFrame:
    """Column ``cannot_tell_from``: for a judged cell, the other methods whose printed number
    in the same column lies inside its interval (ours ± tolerance): the run cannot tell which
    of them it reproduces (Table 1's methods lie within a point of each other). The verdict
    says so too."""
    if table.empty:
        return table.assign(cannot_tell_from=[])
    printed = table[table.reported_method != ""].drop_duplicates(["column", "reported_method"])
    names = []
    for cell in table.itertuples():
        if outcome(cell.verdict) not in JUDGED:
            names.append("")
            continue
        others = printed[
            (printed.column == cell.column)
            & (printed.reported_method != cell.reported_method)
            & ((printed.reported - cell.ours_mean).abs() <= cell.tolerance)
        ]
        names.append(
            ", ".join(f"{o.reported_method} ({o.reported:g})" for o in others.itertuples())
        )
    table = table.assign(cannot_tell_from=names)
    marked = table.cannot_tell_from != ""
    table.loc[marked, "verdict"] = [
        f"{cell.verdict}; cannot tell {cell.reported_method} from {cell.cannot_tell_from}"
        for cell in table[marked].itertuples()
    ]
    return table


def experiments_of(spec: dict, experiments: dict) -> list[str]:
    """The experiments an artifact's rows draw on, in row order."""
    return list(
        dict.fromkeys(m.experiment for row in expand_rows(spec, experiments) for m in row.members)
    )
