"""Reported numbers, the verdict rule and table rendering."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from advrepro.reporting import reported, tables
from advrepro.reporting.verdict import comparability, verdict

from conftest import REPORTED_CSV

PAPER_ROW = {"eps": "0.3", "steps": "40", "restarts": "1", "architecture": "mnist_cnn"}


def test_verdict_rule():
    assert verdict(97.0, 0.2, 97.5) == "reproduced"      # within 1 point
    assert verdict(90.0, 3.0, 95.0) == "reproduced"      # within 2 std
    assert verdict(90.0, 0.1, 95.0) == "lower"
    assert verdict(99.0, 0.1, 95.0) == "higher"


def test_matching_settings_are_comparable():
    run = {"eps": 0.3, "steps": 40}
    assert comparability("paper", "mnist", "mnist", "mnist_cnn", "mnist_cnn", run, PAPER_ROW) is None


@pytest.mark.parametrize("scale,dataset,run,reason", [
    ("paper", "fashion_mnist", {"eps": 0.3, "steps": 40}, "stand-in"),
    ("demo", "mnist", {"eps": 0.3, "steps": 40}, "demo scale"),
    ("paper", "mnist", {"eps": 0.3, "steps": 10}, "steps 10 run"),
    ("paper", "mnist", {"eps": 0.1, "steps": 40}, "eps 0.1 run"),
    ("paper", "mnist", {"eps": 0.3, "steps": 40, "restarts": 2}, "restarts 2 run"),
])
def test_stand_ins_and_other_settings_never_get_a_verdict(scale, dataset, run, reason):
    assert reason in comparability(scale, dataset, "mnist", "mnist_cnn", "mnist_cnn", run, PAPER_ROW)


def test_eps_fraction_matches():
    row = {"eps": "8/255", "steps": "20", "restarts": "20"}
    run = {"eps": 8 / 255, "steps": 20, "restarts": 20}
    assert comparability("paper", "cifar10", "cifar10", "cifar_cnn", "", run, row) is None


def test_find_reported_reads_the_csv():
    table = reported.load_reported(REPORTED_CSV)
    row = reported.find_reported(table, "mct", "table1", "AT", {"attack": "pgd", "steps": 100, "restarts": 20})
    assert row is not None and row["eps"] == "0.3" and float(row["value"]) > 0
    assert reported.find_reported(table, "mct", "table1", "standard", {"attack": "clean"}) is None
    with pytest.raises(ValueError, match="matches 2 reported rows"):
        reported.find_reported(table, "mct", "table1", "AT", {"attack": "pgd", "steps": 100})


def _experiment(dataset):
    return {"dataset": dataset, "paper_dataset": "mnist", "architecture": "mnist_cnn",
            "methods": {"AT": {}}, "seeds": [0, 1],
            "attacks": {"pgd40": {"class": "pgd", "params": {"eps": 0.3, "steps": 40}}}}


SPEC = {"paper": "mct", "item": "table1", "title": "T1", "methods": ["AT", "MCT"],
        "columns": [{"label": "PGD_40", "attack": "pgd40", "reported": {"attack": "pgd", "steps": 40}}]}


def _records(accuracies):
    return [{"method": "AT", "attack": "pgd40", "seed": s, "accuracy": a} for s, a in enumerate(accuracies)]


def test_table_gives_verdict_only_when_comparable():
    csv = reported.load_reported(REPORTED_CSV)
    target = float(reported.find_reported(csv, "mct", "table1", "AT", {"attack": "pgd", "steps": 40})["value"])
    records = _records([target / 100, target / 100])
    real = tables.build_accuracy_table(records, SPEC, _experiment("mnist"), csv, "paper")
    at = real[real.method == "AT"].iloc[0]
    assert at.verdict == "reproduced" and math.isclose(at.ours_mean, target)
    assert real[real.method == "MCT"].iloc[0].status == tables.NOT_RUN
    standin = tables.build_accuracy_table(records, SPEC, _experiment("fashion_mnist"), csv, "paper")
    assert standin.iloc[0].verdict.startswith("not comparable: stand-in")
    far = tables.build_accuracy_table(_records([0.5, 0.5]), SPEC, _experiment("mnist"), csv, "paper")
    assert far.iloc[0].verdict == "lower"


def test_markdown_carries_banner_and_stamp():
    csv = reported.load_reported(REPORTED_CSV)
    table = tables.build_accuracy_table(_records([0.9, 0.8]), SPEC, _experiment("fashion_mnist"), csv, "demo")
    stamp = {"scale": "demo", "dataset": "fashion_mnist", "paper_dataset": "mnist", "seeds": "0, 1",
             "config hash": "abc", "commit": "def", "hardware": "CPU x"}
    text = tables.render_markdown(table, SPEC, stamp)
    assert "Not comparable with the paper" in text and "config hash: abc" in text
    assert "85.00 ± 7.07" in text
    assert r"\begin{tabular}" in tables.render_latex(table, SPEC, stamp)


def test_training_cost_relative_to_standard():
    def history(method, cls, seconds, seed=0):
        return {"experiment": "mnist", "method": method, "method_class": cls, "seed": seed,
                "hardware": "CPU x", "history": [{"seconds": seconds, "examples_per_second": 100 / seconds}]}
    table = tables.training_cost_table([history("standard", "standard", 2.0), history("AT", "pgd_at", 20.0),
                                        history("MCT", "mct", 3.0), history("MCT", "mct", 5.0, seed=1)])
    cost = dict(zip(table.method, table.cost_over_standard))
    assert cost == {"standard": 1.0, "AT": 10.0, "MCT": 2.0}
    assert table.set_index("method").loc["MCT", "seeds"] == 2
