"""The verdict rule (documented in docs/verdicts.md).

A reproduced number is judged against the reported one only when every setting behind it is
the paper's, read from the evaluation records alone (advrepro.records: each record carries the
full protocol it ran, the models it rests on included):

* what the reported CSV row prints: dataset, architecture, attack and norm, budget (eps,
  steps, restarts), threat (white-box or transfer), a ``key=value`` setting (oracle count,
  tuple count, sigma) and the metric (or the reading of a garbled one the artifact names,
  with its assumption: MCT's "AUC score", A15);
* what the paper states elsewhere (text, captions) and what we assume where it is silent:
  ``protocol`` entries of the experiment and the artifact, each a record field (or several)
  with the paper's value and either the paper's words (``quote``) or an assumption id of
  docs/decisions.md; a setting the record carries that neither the row prints nor an entry
  states withholds the verdict (it would rest on an unnamed assumption);
* the run itself and every model it rests on (the transfer source, the model it started
  from): paper scale, the whole training and test split, every configured epoch.

Then the run's own uncertainty decides: our mean over k seeds against the printed number is
judged with the 95 % prediction interval for one more run of the same recipe (the printed
number is one run; Student's t with k - 1 degrees of freedom, Hahn, Meeker & Escobar 2017,
"Statistical Intervals", Sec. 4.6),

    tolerance = t(0.975, k - 1) * s * sqrt(1 + 1/k) + half the printed number's last digit

-> "reproduced" when |ours - reported| <= tolerance, else "higher" / "lower", followed by
" under A3, A7" when assumptions were needed. Anything else gives "not comparable: <setting>";
a single seed gives no interval and no verdict.
"""

from __future__ import annotations

import math

from advrepro.records import Record, TrainingProtocol
from advrepro.reporting.reported import parse_number

# A record's metric fields by the name the reported CSV uses (DunDi's defence success rate is
# the accuracy on adversarial examples, a rejected one counting as defended).
METRIC_FIELDS = {"accuracy": "accuracy", "defense_success_rate": "accuracy", "auc": "auc"}

# The CSV's `setting` column as key=value -> the record field that holds it.
SETTING_FIELDS = {
    "oracle": "classifier.n",
    "tuples": "training.method_options.tuples",
    "sigma": "training.method_options.sigma",
}

PRINTED_NAMES = {field: key for key, field in SETTING_FIELDS.items()}  # as the CSV names them

THREATS = {"whitebox": "whitebox", "blackbox_transfer": "transfer"}

BUDGET_DEFAULTS = {"eps": None, "steps": 1, "restarts": 1}

# A CSV attack that names several: DunDi's "four types of attacks" (Sec. 4.1: FGSM, JSMA and
# the two iFGSM variants), whose mean its abstract and Table 2 print.
COMBINED_ATTACKS = {"mean_of_4_attacks": ("fgsm", "ifgsm_a", "ifgsm_b", "jsma")}


def _same(ours, stated) -> bool:
    if isinstance(stated, (int, float)) and not isinstance(stated, bool):
        try:
            return ours is not None and math.isclose(float(ours), float(stated), rel_tol=1e-6)
        except (TypeError, ValueError):
            return False
    if isinstance(stated, list) and isinstance(ours, list):
        return len(ours) == len(stated) and all(_same(o, s) for o, s in zip(ours, stated))
    if isinstance(stated, dict) and isinstance(ours, dict):  # a group of settings at once
        return ours.keys() == stated.keys() and all(_same(ours[k], stated[k]) for k in stated)
    return ours == stated


def printed_settings(paper_row: dict, eps_scale: float | None) -> dict[str, object]:
    """Record setting -> the value the CSV row prints for it (those it prints)."""
    printed = {}
    for name in BUDGET_DEFAULTS:
        value = parse_number(paper_row.get(name, ""))
        if value is not None:
            if name == "eps" and eps_scale:  # printed on another scale (MCT Table 3's "L2 = 32")
                value /= eps_scale
            printed[f"params.{name}"] = value
    threat = THREATS.get(paper_row.get("setting", ""))
    if threat:
        printed["threat"] = threat
    key, _, value = paper_row.get("setting", "").partition("=")
    if key in SETTING_FIELDS and value:
        printed[SETTING_FIELDS[key]] = parse_number(value)
    return printed


def _printed(
    record: Record, paper_row: dict, metric: str, reading: dict | None, eps_scale: float | None
) -> tuple[str | None, list[str]]:
    """(why the record is not the experiment the CSV row prints or None, the assumption ids
    of the reading it took)."""
    architecture = paper_row.get("architecture", "")
    if architecture and not architecture.startswith("all_") and record.architecture != architecture:
        return f"architecture {record.architecture}, paper {architecture}", []
    attack = paper_row.get("attack", "")
    if attack and attack not in COMBINED_ATTACKS and record.paper_attack != attack:
        return f"attack {record.paper_attack} run, {attack} printed", []
    if paper_row.get("norm") and record.norm != paper_row["norm"]:
        return f"norm {record.norm} run, {paper_row['norm']} printed", []
    used = []
    printed_metric = paper_row["metric"]
    if METRIC_FIELDS.get(printed_metric) != METRIC_FIELDS.get(metric):
        if not reading or reading.get("metric") != printed_metric or reading["as"] != metric:
            return f"metric {metric}, paper {printed_metric}", []
        used.append(reading["assumption"])
    for setting, value in printed_settings(paper_row, eps_scale).items():
        if setting == "classifier.n" and not record.classifier:
            # DunDi Table 1: "The Native Models are irrelevant to oracle images, so their
            # results are only reported on column '1'": a plain classifier has no oracle count
            continue
        name = PRINTED_NAMES.get(setting, setting.rsplit(".", 1)[-1])
        ours = record.setting(setting)
        if ours is None and setting == "params.eps":
            # JSMA's budget: the fraction of input values it may change
            ours = record.params.get("gamma")
        if ours is None and setting.startswith("params."):
            ours = BUDGET_DEFAULTS[setting.removeprefix("params.")]
        if not _same(ours, value):
            shown = f"{value:g}" if isinstance(value, float) else value
            return f"{name} {ours} run, {shown} printed", []
    return None, used


def _complete(protocol: TrainingProtocol | None, what: str = "the run") -> str | None:
    """Why a model (its training protocol, and those of the models it started from) is not the
    whole experiment at paper scale; None if it is."""
    if protocol is None:
        return f"{what} carries no training protocol (rerun its evaluation)"
    if protocol.scale != "paper":
        return f"{what}: {protocol.scale} scale"
    if protocol.train_size is not None:
        return f"{what}: training subset of {protocol.train_size}"
    if protocol.train.get("max_batches") is not None:
        return f"{what}: at most {protocol.train['max_batches']} batches per epoch"
    if protocol.epochs_trained != protocol.train.get("epochs"):
        return f"{what}: trained {protocol.epochs_trained} of {protocol.train.get('epochs')} epochs"
    for name in Record.CHAINED_MODELS:
        chained = getattr(protocol, name)
        if chained is not None:
            reason = _complete(chained, f"the {chained.method} model it starts from")
            if reason:
                return reason
    return None


def _complete_record(record: Record) -> str | None:
    if record.scale != "paper":
        return f"{record.scale} scale"
    if record.test_size is not None:
        return f"test subset of {record.test_size}"
    return _complete(record.training)


def _complete_source(record: Record) -> str | None:
    """A transfer attack rests on its source model: a complete paper-scale run too."""
    if record.threat != "transfer":
        return None
    return _complete(record.source_training, "the transfer source")


def applies(entry: dict, record: Record) -> bool:
    """Whether a protocol entry speaks about this record (its filters by method, method
    class, experiment, attack and attack class; an absent filter means all). ``record``: a
    Record, or anything with those five attributes (the audit's cells, from the config)."""
    return all(
        not entry.get(scope) or getattr(record, key) in entry[scope]
        for scope, key in (
            ("methods", "method"),
            ("method_classes", "method_class"),
            ("experiments", "experiment"),
            ("attacks", "attack"),
            ("attack_classes", "attack_class"),
        )
    )


def entry_settings(entry: dict) -> dict:
    """A protocol entry's settings: ``settings`` (several fields), or ``setting`` + ``value``."""
    return entry.get("settings") or {entry["setting"]: entry["value"]}


def _source(entry: dict) -> str:
    if entry.get("assumption"):
        return f"assumption {entry['assumption']}"
    return entry.get("where", "paper")


def covered(setting: str, stated: set[str]) -> bool:
    """Whether a setting is among ``stated`` or inside one of them (an entry may state a whole
    group of settings: ``training.train`` covers ``training.train.lr``)."""
    return any(setting == s or setting.startswith(s + ".") for s in stated)


def _stated(
    record: Record, protocol: list[dict], printed: set[str]
) -> tuple[str | None, list[str]]:
    """(why a stated or assumed setting differs, or why a setting the record carries is
    neither printed nor stated; the assumption ids the record rests on)."""
    assumptions, stated = [], set(printed)
    for entry in protocol:
        if not applies(entry, record):
            continue
        for setting, value in entry_settings(entry).items():
            ours = record.setting(setting)
            if not _same(ours, value):
                return f"{setting} {ours} run, {value} ({_source(entry)})", []
            stated.add(setting)
        if entry.get("assumption"):
            assumptions.append(entry["assumption"])
    unstated = [s for s in record.settings() if not covered(s, stated)]
    if unstated:
        return (
            f"{unstated[0]} = {record.setting(unstated[0])!r} is neither printed nor stated "
            "(a protocol entry names its source)",
            [],
        )
    return None, assumptions


def judge_protocol(
    records: list[Record],
    paper_row: dict,
    protocol: list[dict],
    metric: str = "accuracy",
    eps_scale: float | None = None,
    reading: dict | None = None,
) -> tuple[str | None, list[str]]:
    """(reason the cell is not comparable or None, sorted assumption ids it rests on).
    ``reading``: how the artifact reads a printed metric it does not measure as such
    ({metric, as, assumption}: MCT's "AUC score" as accuracy, A15)."""
    assumptions: set[str] = set()
    combined = COMBINED_ATTACKS.get(paper_row.get("attack", ""))
    if combined:
        ran = sorted({r.paper_attack for r in records})
        if ran != sorted(combined):
            return f"attacks {', '.join(ran)} run, {', '.join(combined)} printed", []
    printed = set(printed_settings(paper_row, eps_scale))
    if "params.eps" in printed:  # JSMA's budget is its gamma
        printed.add("params.gamma")
    for record in records:
        if record.dataset != paper_row["dataset"]:
            return f"stand-in data ({record.dataset} for {paper_row['dataset']})", []
        reason = _complete_record(record)
        if reason:
            return reason, []
        for check in (
            lambda r: _printed(r, paper_row, metric, reading, eps_scale),
            lambda r: (_complete_source(r), []),
            lambda r: _stated(r, protocol, printed),
        ):
            reason, used = check(record)
            if reason:
                return reason, []
            assumptions.update(used)
    return None, sorted(assumptions, key=lambda a: (len(a), a))


def printed_unit(text: str) -> float:
    """The last printed digit of a reported number: '97.31' -> 0.01, '99.0' -> 0.1."""
    _, _, decimals = str(text).strip().partition(".")
    return 10.0 ** -len(decimals)


def tolerance(std: float, seeds: int, unit: float = 0.0, confidence: float = 0.95) -> float | None:
    """Half-width of the prediction interval for one more run of the recipe around our mean of
    ``seeds`` runs (sample std ``std``), plus half the printed number's last digit; None with
    fewer than two seeds (no spread to judge with)."""
    if seeds < 2 or not math.isfinite(std):
        return None
    from scipy.special import stdtrit  # Student's t quantile; only table jobs pay the import

    return stdtrit(seeds - 1, (1 + confidence) / 2) * std * math.sqrt(1 + 1 / seeds) + unit / 2


def verdict(
    mean: float, reported: float, tolerance_points: float | None, assumptions: list[str] = ()
) -> str:
    if tolerance_points is None:
        return "not judged: one seed gives no interval (run at least two seeds)"
    difference = mean - reported
    judgement = (
        "reproduced"
        if abs(difference) <= tolerance_points
        else "higher"
        if difference > 0
        else "lower"
    )
    return f"{judgement} under {', '.join(assumptions)}" if assumptions else judgement


JUDGED = ("reproduced", "higher", "lower")


def outcome(judgement: str) -> str:
    """The verdict without its assumptions, reason or remarks: reproduced, higher, lower, not
    comparable, not judged."""
    text = str(judgement)
    for kind in ("not comparable", "not judged"):
        if text.startswith(kind):
            return kind
    return text.split(";")[0].split(" under ")[0]
