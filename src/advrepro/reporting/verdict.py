"""The verdict rule (documented in docs/verdicts.md).

A reproduced number is judged against the reported one only when every setting behind it is
the paper's, read from the evaluation records alone (each record carries the full protocol it
ran: data and sizes, architecture, training method, options and epochs, attack class and
parameters, threat model and source model, classifier settings; ``jobs.attack_and_record``):

* what the reported CSV row prints: dataset, architecture, budget (eps, steps, restarts),
  threat (white-box or transfer), a ``key=value`` setting (oracle count, tuple count, sigma)
  and the metric;
* what the paper states elsewhere (text, captions) and what we assume where it is silent:
  ``protocol`` entries of the experiment and the artifact, each a record field with the
  paper's value and either the paper's words (``quote``) or an assumption id of
  docs/decisions.md;
* the run itself: paper scale, the whole training and test split, every configured epoch.

Then:

    |ours - reported| <= max(2 * std over seeds, 1 percentage point)  -> "reproduced"
    otherwise                                                         -> "higher" / "lower"

followed by " under A3, A7" when assumptions were needed. Anything else gives
"not comparable: <setting>", never a verdict.
"""

from __future__ import annotations

import math

from advrepro.config import ATTACK_ENTRY_DEFAULTS
from advrepro.reporting.reported import parse_number

MIN_TOLERANCE_POINTS = 1.0
STD_MULTIPLIER = 2.0

# A record's metric fields by the name the reported CSV uses (DunDi's defence success rate is
# the accuracy on adversarial examples, a rejected one counting as defended).
METRIC_FIELDS = {"accuracy": "accuracy", "defense_success_rate": "accuracy", "auc": "auc"}

# The CSV's `setting` column as key=value -> the record field that holds it.
SETTING_FIELDS = {
    "oracle": "classifier.n",
    "tuples": "training.method_options.tuples",
    "sigma": "training.method_options.sigma",
}

THREATS = {"whitebox": "whitebox", "blackbox_transfer": "transfer"}

BUDGET_DEFAULTS = {"eps": None, "steps": 1, "restarts": 1}


def field(record: dict, path: str):
    """A dotted path into a record ('training.train.epochs'); None where it is absent."""
    value = record
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _same(ours, stated) -> bool:
    if isinstance(stated, (int, float)) and not isinstance(stated, bool):
        try:
            return ours is not None and math.isclose(float(ours), float(stated), rel_tol=1e-6)
        except (TypeError, ValueError):
            return False
    return ours == stated


def _printed(record: dict, paper_row: dict, metric: str, eps_scale: float | None) -> str | None:
    """Why the record is not the experiment the CSV row prints; None if it is."""
    architecture = paper_row.get("architecture", "")
    if (
        architecture
        and not architecture.startswith("all_")
        and record["architecture"] != architecture
    ):
        return f"architecture {record['architecture']}, paper {architecture}"
    if METRIC_FIELDS.get(paper_row["metric"]) != METRIC_FIELDS.get(metric):
        return f"metric {metric}, paper {paper_row['metric']}"
    params = dict(record.get("params") or {})
    if "gamma" in params:  # JSMA's budget: the fraction of input values it may change
        params.setdefault("eps", params["gamma"])
    for name, default in BUDGET_DEFAULTS.items():
        printed = parse_number(paper_row.get(name, ""))
        if printed is None:
            continue
        if name == "eps" and eps_scale:  # printed on another scale (MCT Table 3's "L2 = 32")
            printed /= eps_scale
        ours = params.get(name, default)
        if not _same(ours, printed):
            return f"{name} {ours} run, {printed:g} printed"
    threat = THREATS.get(paper_row.get("setting", ""))
    if threat and record.get("threat", ATTACK_ENTRY_DEFAULTS["threat"]) != threat:
        return f"threat {record.get('threat')}, paper {threat}"
    key, _, value = paper_row.get("setting", "").partition("=")
    if key in SETTING_FIELDS and value:
        ours = field(record, SETTING_FIELDS[key])
        if not _same(ours, parse_number(value)):
            return f"{key} {ours} run, {value} printed"
    return None


def _complete(record: dict) -> str | None:
    """Why the run is not the whole experiment at paper scale; None if it is."""
    if record["scale"] != "paper":
        return f"{record['scale']} scale"
    training = record.get("training") or {}
    if not training:
        return "the record carries no training protocol (rerun its evaluation)"
    if record.get("test_size") is not None:
        return f"test subset of {record['test_size']}"
    if training.get("train_size") is not None:
        return f"training subset of {training['train_size']}"
    if training.get("epochs_trained") != training["train"]["epochs"]:
        return f"trained {training.get('epochs_trained')} of {training['train']['epochs']} epochs"
    return None


def applies(entry: dict, record: dict) -> bool:
    """Whether a protocol entry speaks about this record (its methods, experiments and
    attacks filters; an absent filter means all)."""
    return all(
        not entry.get(scope) or record[key] in entry[scope]
        for scope, key in (
            ("methods", "method"),
            ("experiments", "experiment"),
            ("attacks", "attack"),
        )
    )


def _stated(record: dict, protocol: list[dict]) -> tuple[str | None, list[str]]:
    """(why a stated or assumed setting differs, the assumption ids the record rests on)."""
    assumptions = []
    for entry in protocol:
        if not applies(entry, record):
            continue
        ours = field(record, entry["setting"])
        if not _same(ours, entry["value"]):
            source = (
                f"assumption {entry['assumption']}"
                if entry.get("assumption")
                else entry.get("where", "paper")
            )
            return f"{entry['setting']} {ours} run, {entry['value']} ({source})", []
        if entry.get("assumption"):
            assumptions.append(entry["assumption"])
    return None, assumptions


def judge_protocol(
    records: list[dict],
    paper_row: dict,
    protocol: list[dict],
    metric: str = "accuracy",
    eps_scale: float | None = None,
) -> tuple[str | None, list[str]]:
    """(reason the cell is not comparable or None, sorted assumption ids it rests on)."""
    assumptions: set[str] = set()
    for record in records:
        reason = (
            (
                f"stand-in data ({record['dataset']} for {paper_row['dataset']})"
                if record["dataset"] != paper_row["dataset"]
                else None
            )
            or _complete(record)
            or _printed(record, paper_row, metric, eps_scale)
        )
        if reason is None:
            reason, used = _stated(record, protocol)
            assumptions.update(used)
        if reason:
            return reason, []
    return None, sorted(assumptions, key=lambda a: (len(a), a))


def verdict(mean: float, std: float, reported: float, assumptions: list[str] = ()) -> str:
    tolerance = max(STD_MULTIPLIER * (std if math.isfinite(std) else 0.0), MIN_TOLERANCE_POINTS)
    difference = mean - reported
    judgement = (
        "reproduced" if abs(difference) <= tolerance else "higher" if difference > 0 else "lower"
    )
    return f"{judgement} under {', '.join(assumptions)}" if assumptions else judgement


def outcome(judgement: str) -> str:
    """The verdict without its assumptions or reason: reproduced, higher, lower, not comparable."""
    text = str(judgement)
    return "not comparable" if text.startswith("not comparable") else text.split(" under ")[0]
