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

from advrepro.metrics import mean_std
from advrepro.reporting.reported import find_reported, parse_number
from advrepro.reporting.verdict import comparability, verdict

NOT_RUN = "not yet run"          # the config does not train this method
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


def _short(experiment: dict) -> str:
    return experiment.get("paper_architecture", experiment["architecture"])


def expand_rows(spec: dict, experiments: dict) -> list[Row]:
    if spec.get("rows"):
        rows = []
        for row in spec["rows"]:
            members = [Member(m["experiment"], m["method"]) for m in row.get("members", [])] or [
                Member(row.get("experiment", spec.get("experiment")), row["method"])]
            rows.append(Row(row.get("label", members[0].method), members,
                            dict(row.get("reported", {})), row.get("x"), row.get("not_comparable")))
        return rows
    names = spec.get("experiments") or [spec["experiment"]]
    return [Row(method if len(names) == 1 else f"{_short(experiments[name])} {method}",
                [Member(name, method)])
            for name in names for method in spec["methods"]]


def sweep_points(experiment: dict, sweep: str) -> list[tuple[str, float]]:
    """(attack id, eps) of each budget of an expanded eps sweep, by budget."""
    points = [(attack_id, attack["sweep"]["eps"]) for attack_id, attack in
              experiment["attacks"].items() if (attack.get("sweep") or {}).get("attack") == sweep]
    return sorted(points, key=lambda point: point[1])


def expand_columns(spec: dict, experiments: dict) -> list[Column]:
    rows = expand_rows(spec, experiments)
    first = experiments[rows[0].members[0].experiment]
    columns = []
    for column in spec["columns"]:
        if column.get("sweep"):
            for attack_id, eps in sweep_points(first, column["sweep"]):
                columns.append(Column(f"{column['label']} ε={eps:g}", [attack_id], "mean",
                                      dict(column.get("reported", {})), eps, column.get("series")))
            continue
        attacks = column["attack"] if isinstance(column["attack"], list) else [column["attack"]]
        columns.append(Column(column["label"], attacks, column.get("combine", "mean"),
                              dict(column.get("reported", {})), column.get("x"),
                              column.get("series"), column.get("reported_eps_scale")))
    return columns


def attack_applies(experiment: dict, method: str, attack: str) -> bool:
    """Whether the config evaluates ``method`` under ``attack`` (it may be disabled or limited
    to some methods, e.g. in the demo)."""
    spec = experiment["attacks"].get(attack)
    if spec is None or method not in experiment["methods"]:
        return False
    return not spec.get("methods") or method in spec["methods"]


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


def _seed_value(records: dict, members: list[Member], column: Column, seed: int) -> float | None:
    """The cell's accuracy (%) for one seed; None if a record is missing."""
    values = []
    for member in members:
        found = [records.get((member.experiment, member.method, seed, a)) for a in column.attacks]
        if any(r is None for r in found):
            return None
        if column.combine == "worst":
            survived = [all(flags) for flags in zip(*(r["correct"] for r in found))]
            values.append(100.0 * sum(survived) / len(survived))
        else:
            values += [100.0 * r["accuracy"] for r in found]
    return sum(values) / len(values)


def _status(experiments: dict, row: Row, column: Column) -> str | None:
    for member in row.members:
        exp = experiments[member.experiment]
        if member.method not in exp["methods"]:
            return NOT_RUN
        if not all(attack_applies(exp, member.method, a) for a in column.attacks):
            return NOT_EVALUATED
    return None


def _reported_row(reported: pd.DataFrame, spec: dict, experiments: dict, row: Row,
                  column: Column):
    if not column.reported:  # a column of ours (Clean, AutoAttack): nothing printed to compare
        return None
    selector = {**column.reported, **row.reported}
    method = selector.pop("method", row.members[0].method)
    prefer = {}
    if len(row.members) == 1:
        exp = experiments[row.members[0].experiment]
        prefer = {"architecture": exp.get("paper_architecture", exp["architecture"])}
    return find_reported(reported, spec["paper"], spec["item"], method, selector, prefer)


def _not_comparable(scale: str, experiments: dict, row: Row, column: Column,
                    paper_row) -> str | None:
    if row.not_comparable:
        return row.not_comparable
    for member in row.members:
        exp = experiments[member.experiment]
        params = dict(exp["attacks"][column.attacks[0]].get("params", {})
                      if len(column.attacks) == 1 else {})
        if "gamma" in params:  # JSMA's budget: the fraction of input values it may change
            params.setdefault("eps", params["gamma"])
        paper_row = dict(paper_row)
        if column.reported_eps_scale and paper_row.get("eps"):
            # a budget printed on another scale (MCT Table 3's "L2 = 32" on 0-255 pixels)
            paper_row["eps"] = str(parse_number(paper_row["eps"]) / column.reported_eps_scale)
        paper_architecture = paper_row.get("architecture", "") if len(row.members) == 1 else ""
        reason = comparability(scale, exp["dataset"], exp["paper_dataset"],
                               exp.get("paper_architecture", exp["architecture"]),
                               paper_architecture, params, paper_row)
        if reason:
            return reason
    return None


def build_cells(records: list[dict], spec: dict, experiments: dict, reported: pd.DataFrame,
                scale: str) -> pd.DataFrame:
    """One tidy row per (row, column): ours (mean, std over seeds), reported, difference,
    verdict, status, and what was run."""
    by_key = {(r["experiment"], r["method"], r["seed"], r["attack"]): r for r in records}
    table = []
    for row in expand_rows(spec, experiments):
        seeds = sorted(set.intersection(*(set(experiments[m.experiment]["seeds"])
                                           for m in row.members)))
        for column in expand_columns(spec, experiments):
            values = {s: _seed_value(by_key, row.members, column, s) for s in seeds}
            values = {s: v for s, v in values.items() if v is not None}
            mean, std = mean_std(list(values.values()))
            paper_row = _reported_row(reported, spec, experiments, row, column)
            reported_value = float(paper_row["value"]) if paper_row is not None else math.nan
            status = _status(experiments, row, column) or ("ok" if values else MISSING)
            if status != "ok":
                judgement = ""
            elif paper_row is None:
                judgement = "no reported value"
            else:
                reason = _not_comparable(scale, experiments, row, column, paper_row)
                judgement = (f"not comparable: {reason}" if reason
                             else verdict(mean, std, reported_value))
            first = experiments[row.members[0].experiment]["attacks"].get(column.attacks[0], {})
            params = first.get("params", {})
            table.append({
                "row": row.label, "column": column.label, "x_row": row.x, "x": column.x,
                "series": column.series,
                "members": " ".join(f"{m.experiment}/{m.method}" for m in row.members),
                "attacks": " ".join(column.attacks), "combine": column.combine,
                "attack_class": first.get("class"), "threat": first.get("threat", "whitebox"),
                "eps": params.get("eps"), "steps": params.get("steps"),
                "restarts": params.get("restarts", 1),
                "n_seeds": len(values), "seeds": " ".join(str(s) for s in values),
                "ours_mean": mean, "ours_std": std, "reported": reported_value,
                "difference": mean - reported_value, "verdict": judgement, "status": status,
            })
    return pd.DataFrame(table)


def stamp_for(spec: dict, experiments: dict, records: list[dict], scale: str,
              config_hash: str, commit: str) -> dict:
    """Provenance of an artifact: scale, data, seeds, sizes, config hash, commit, hardware."""
    names = list(dict.fromkeys(m.experiment for row in expand_rows(spec, experiments)
                               for m in row.members))
    exps = [experiments[n] for n in names]

    def joined(values):
        return ", ".join(dict.fromkeys(str(v) for v in values))

    return {
        "scale": scale,
        "dataset": joined(e["dataset"] for e in exps),
        "paper_dataset": joined(e["paper_dataset"] for e in exps),
        "experiments": ", ".join(names),
        "architecture": joined(e["architecture"] for e in exps),
        "seeds": joined(" ".join(str(s) for s in e["seeds"]) for e in exps),
        "train examples": joined(e.get("train_size") or "all" for e in exps),
        "test examples": joined(e.get("test_size") or "all" for e in exps),
        "config hash": config_hash, "commit": commit,
        "hardware": "; ".join(sorted({r["hardware"] for r in records})) or "n/a",
    }
