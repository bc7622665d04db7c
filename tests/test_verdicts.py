"""The verdict's tolerance, readings and chains (issue: verdicts that discriminate)."""

from __future__ import annotations

import math

import pytest
from conftest import REPORTED_CSV
from test_reporting import PAPER_ROW, REST, STATED, everything_stated, full_record, record_json

from advrepro.reporting import cells, reported
from advrepro.reporting.verdict import (
    judge_protocol,
    outcome,
    printed_unit,
    tolerance,
    verdict,
)


def test_the_tolerance_is_the_prediction_interval_of_one_more_run():
    # three seeds of std 0.2: t(0.975, 2) = 4.303, sqrt(1 + 1/3) = 1.155 -> 0.994 (+ 0.005)
    assert tolerance(0.2, 3, 0.01) == pytest.approx(4.3027 * 0.2 * math.sqrt(4 / 3) + 0.005, 1e-4)
    # more seeds narrow it; a printed number with one decimal widens it by 0.05
    assert tolerance(0.2, 10, 0.01) < tolerance(0.2, 5, 0.01) < tolerance(0.2, 3, 0.01)
    assert tolerance(0.0, 3, 0.1) == pytest.approx(0.05)
    assert tolerance(0.2, 1, 0.01) is None
    assert printed_unit("97.31") == 0.01 and printed_unit("99.0") == 0.1
    assert printed_unit("98") == 1.0


def test_the_verdict_follows_the_interval_not_a_fixed_point():
    # 0.6 points off with a seed std of 0.05 (MNIST's spread) is not a reproduction
    assert verdict(97.9, 97.31, tolerance(0.05, 3, 0.01)) == "higher"
    assert verdict(97.4, 97.31, tolerance(0.05, 3, 0.01)) == "reproduced"
    assert verdict(90.0, 95.0, tolerance(3.0, 3, 0.01), ["A1"]) == "reproduced under A1"
    assert verdict(90.0, 95.0, None).startswith("not judged: one seed")
    assert outcome("not judged: one seed gives no interval") == "not judged"
    assert outcome("lower under A1; cannot tell MCT from AT (97.31)") == "lower"


EXPERIMENT = {
    "dataset": "mnist",
    "paper_dataset": "mnist",
    "architecture": "mao_mnist_large",
    "methods": {"AT": {}, "TLA": {}},
    "seeds": [0, 1, 2],
    "attacks": {"pgd40": {"class": "pgd", "params": {"eps": 0.3, "steps": 40}}},
}
SPEC = {
    "paper": "mct",
    "item": "table1",
    "experiment": "mnist",
    "methods": ["AT", "TLA"],
    "columns": [{"label": "PGD_40", "attack": "pgd40", "reported": {"attack": "pgd", "steps": 40}}],
}


def _printed(method):
    table = reported.load_reported(REPORTED_CSV)
    row = reported.find_reported(table, "mct", "table1", method, {"attack": "pgd", "steps": 40})
    return float(row["value"])


def _run(method, accuracies):
    return [
        full_record(experiment="mnist", method=method, seed=s, accuracy=a / 100)
        for s, a in enumerate(accuracies)
    ]


def _table(records):
    return cells.build_cells(
        records, SPEC, {"mnist": EXPERIMENT}, reported.load_reported(REPORTED_CSV), STATED + REST
    )


def test_a_cell_whose_interval_covers_another_methods_printed_number_says_so():
    at, tla = _printed("AT"), _printed("TLA")
    near_tla = [tla - 0.1, tla, tla + 0.1]  # AT's run landing on TLA's printed number
    table = _table(_run("AT", near_tla) + _run("TLA", [tla - 0.01, tla, tla + 0.01]))
    at_cell, tla_cell = table.iloc[0], table.iloc[1]
    assert outcome(at_cell.verdict) == "higher"  # not AT's number ...
    assert f"cannot tell AT from TLA ({tla:g})" in at_cell.verdict  # ... but TLA's
    assert at_cell.cannot_tell_from == f"TLA ({tla:g})"
    assert tla_cell.verdict == "reproduced under A1, A2" and tla_cell.cannot_tell_from == ""
    # a spread as wide as the gap between the methods reproduces both numbers: it says so
    wide = _table(_run("AT", [tla - 0.4, tla, tla + 0.4])).iloc[0]
    assert wide.verdict == f"reproduced under A1, A2; cannot tell AT from TLA ({tla:g})"
    # a tight run on AT's own number tells it from TLA's (1.1 points away)
    table = _table(_run("AT", [at - 0.02, at, at + 0.02]))
    assert table.iloc[0].verdict == "reproduced under A1, A2"
    assert table.iloc[0].tolerance < abs(tla - at)


def test_a_printed_metric_is_judged_under_the_artifacts_reading_which_the_verdict_names():
    auc_row = {**PAPER_ROW, "metric": "auc"}
    reading = {"metric": "auc", "as": "accuracy", "assumption": "A15"}
    found = judge_protocol([full_record()], auc_row, STATED + REST, reading=reading)
    assert found == (None, ["A1", "A2", "A15"])
    assert judge_protocol([full_record()], auc_row, STATED + REST)[0] == (
        "metric accuracy, paper auc"
    )
    other = {"metric": "auc", "as": "auc", "assumption": "A15"}  # reads AUC as AUC: no reading
    assert "metric" in judge_protocol([full_record()], auc_row, STATED + REST, reading=other)[0]


def test_a_plain_classifier_is_judged_in_the_oracle_column_its_row_is_printed_in():
    """DunDi Table 1: "The Native Models are irrelevant to oracle images, so their results are
    only reported on column '1'": a model without an oracle count is not a mismatch of it."""
    row = {**PAPER_ROW, "attack": "clean", "norm": "", "eps": "", "steps": "", "restarts": ""}
    row["setting"] = "oracle=1"
    clean = full_record(attack_class="clean", paper_attack="clean", family="clean", norm=None)
    assert judge_protocol([clean], row, STATED + REST)[0] is None
    dundi = full_record(
        attack_class="clean", paper_attack="clean", family="clean", norm=None, classifier={"n": 10}
    )
    assert judge_protocol([dundi], row, everything_stated(dundi))[0] == "oracle 10 run, 1 printed"


def _chained(**changes):
    model = {**record_json()["training"], "method": "AT", **changes}
    return full_record(training={**record_json()["training"], "init_from": model})


@pytest.mark.parametrize(
    "changes,reason",
    [
        ({"epochs_trained": 7}, "the AT model it starts from: trained 7 of 50 epochs"),
        ({"scale": "smoke"}, "the AT model it starts from: smoke scale"),
        ({"train_size": 100}, "the AT model it starts from: training subset of 100"),
    ],
)
def test_the_model_a_run_starts_from_must_be_a_complete_paper_run(changes, reason):
    whole = _chained()
    assert judge_protocol([whole], PAPER_ROW, everything_stated(whole))[0] is None
    cut = _chained(**changes)
    assert judge_protocol([cut], PAPER_ROW, everything_stated(cut))[0] == reason


def test_the_transfer_source_must_be_a_complete_paper_run():
    row = {**PAPER_ROW, "setting": "blackbox_transfer"}
    source = {**record_json()["training"], "method": "standard"}
    whole = full_record(threat="transfer", source_training=source)
    assert judge_protocol([whole], row, everything_stated(whole))[0] is None
    short = full_record(threat="transfer", source_training={**source, "epochs_trained": 2})
    assert judge_protocol([short], row, everything_stated(short))[0] == (
        "the transfer source: trained 2 of 50 epochs"
    )
    unknown = full_record(threat="transfer", source_training=None)
    assert judge_protocol([unknown], row, everything_stated(unknown))[0] == (
        "the transfer source carries no training protocol (rerun its evaluation)"
    )


def test_a_combined_column_must_run_the_attacks_the_paper_combines():
    row = {**PAPER_ROW, "attack": "mean_of_4_attacks", "norm": "", "eps": "", "steps": ""}
    row["restarts"] = ""
    four = [
        full_record(attack_class=a, paper_attack=a, attack=a)
        for a in ("fgsm", "ifgsm_a", "ifgsm_b", "jsma")
    ]
    stated = [entry for r in four for entry in everything_stated(r)]
    assert judge_protocol(four, row, stated)[0] is None
    three = four[:3] + [full_record(attack_class="deepfool", paper_attack="deepfool")]
    assert judge_protocol(three, row, stated)[0] == (
        "attacks deepfool, fgsm, ifgsm_a, ifgsm_b run, fgsm, ifgsm_a, ifgsm_b, jsma printed"
    )
