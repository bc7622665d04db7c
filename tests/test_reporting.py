"""Reported numbers, the verdict rule and table rendering."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from advrepro.reporting import cells, reported, tables
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


SPEC = {"paper": "mct", "item": "table1", "title": "T1", "experiment": "mnist",
        "methods": ["AT", "MCT"],
        "columns": [{"label": "PGD_40", "attack": "pgd40", "reported": {"attack": "pgd", "steps": 40}}]}


def _records(accuracies, method="AT", attack="pgd40", experiment="mnist", correct=None):
    return [{"experiment": experiment, "method": method, "attack": attack, "seed": s,
             "accuracy": a, "hardware": "CPU x", "correct": (correct or [])}
            for s, a in enumerate(accuracies)]


def _cells(records, experiment, scale="paper", spec=SPEC):
    return cells.build_cells(records, spec, {"mnist": experiment},
                             reported.load_reported(REPORTED_CSV), scale)


def test_table_gives_verdict_only_when_comparable():
    csv = reported.load_reported(REPORTED_CSV)
    target = float(reported.find_reported(csv, "mct", "table1", "AT", {"attack": "pgd", "steps": 40})["value"])
    records = _records([target / 100, target / 100])
    real = _cells(records, _experiment("mnist"))
    at = real[real.row == "AT"].iloc[0]
    assert at.verdict == "reproduced" and math.isclose(at.ours_mean, target)
    assert real[real.row == "MCT"].iloc[0].status == cells.NOT_RUN
    standin = _cells(records, _experiment("fashion_mnist"))
    assert standin.iloc[0].verdict.startswith("not comparable: stand-in")
    demo = _cells(records, _experiment("mnist"), scale="demo")
    assert demo.iloc[0].verdict == "not comparable: demo scale"
    far = _cells(_records([0.5, 0.5]), _experiment("mnist"))
    assert far.iloc[0].verdict == "lower"


def test_markdown_carries_banner_and_stamp():
    table = _cells(_records([0.9, 0.8]), _experiment("fashion_mnist"), scale="demo")
    stamp = {"scale": "demo", "dataset": "fashion_mnist", "paper_dataset": "mnist", "seeds": "0, 1",
             "config hash": "abc", "commit": "def", "hardware": "CPU x"}
    text = tables.render_markdown(table, SPEC, stamp)
    assert "Not comparable with the paper" in text and "config hash: abc" in text
    assert "85.00 ± 7.07" in text
    assert r"\begin{tabular}" in tables.render_latex(table, SPEC, stamp)


def _two_attack_experiment():
    exp = _experiment("mnist")
    exp["attacks"]["fgsm"] = {"class": "fgsm", "params": {"eps": 0.3}}
    return exp


def test_worst_case_counts_an_example_only_if_it_survives_every_attack():
    spec = {**SPEC, "methods": ["AT"], "columns": [
        {"label": "worst", "attack": ["pgd40", "fgsm"], "combine": "worst"},
        {"label": "mean", "attack": ["pgd40", "fgsm"]}]}
    records = (_records([0.5], correct=[1, 1, 0, 0]) +
               _records([0.5], attack="fgsm", correct=[0, 1, 1, 0]))
    table = _cells(records, {**_two_attack_experiment(), "seeds": [0]}, spec=spec)
    worst, mean = table.ours_mean
    assert worst == 25.0 and mean == 50.0   # only example 1 survives both


def test_rows_of_several_models_average_them_and_find_their_reported_row():
    experiments = {name: {**_experiment("mnist"), "architecture": name, "seeds": [0],
                          "methods": {"DunDi_R": {}, "DunDi_P": {}},
                          "attacks": {"fgsm_native": {"class": "fgsm", "params": {"eps": 0.3}}}}
                   for name in ("lenet1", "lenet4")}
    spec = {"paper": "dundi", "item": "fig6", "rows": [
        {"label": "mean", "members": [{"experiment": e, "method": m} for e in experiments
                                      for m in ("DunDi_R", "DunDi_P")],
         "reported": {"method": "DunDi", "setting": "mean_of_6_models"}}],
        "columns": [{"label": "FGSM", "attack": "fgsm_native", "reported": {"attack": "fgsm"}}]}
    records = [{"experiment": e, "method": m, "attack": "fgsm_native", "seed": 0,
                "accuracy": a, "hardware": "h"}
               for (e, m), a in zip([(e, m) for e in experiments for m in ("DunDi_R", "DunDi_P")],
                                    [0.9, 0.8, 0.7, 0.6])]
    cell = cells.build_cells(records, spec, experiments, reported.load_reported(REPORTED_CSV),
                             "paper").iloc[0]
    assert math.isclose(cell.ours_mean, 75.0) and cell.reported > 0
    assert cell.verdict in ("reproduced", "higher", "lower")


def test_sweep_column_expands_to_one_column_per_budget():
    exp = _experiment("mnist")
    exp["attacks"] = {f"pgd_sweep_eps{e}": {"class": "pgd", "params": {"eps": e},
                                            "sweep": {"attack": "pgd_sweep", "eps": e}}
                      for e in (0.3, 0.1)}
    spec = {"paper": "ours", "item": "eps", "experiment": "mnist", "methods": ["AT"],
            "columns": [{"label": "PGD", "sweep": "pgd_sweep"}]}
    columns = cells.expand_columns(spec, {"mnist": exp})
    assert [c.x for c in columns] == [0.1, 0.3] and columns[0].attacks == ["pgd_sweep_eps0.1"]
    assert len(cells.required_records(spec, {"mnist": exp})) == 2 * 2   # 2 budgets x 2 seeds


def test_attack_limited_to_other_methods_is_not_evaluated_and_not_required():
    exp = _experiment("mnist")
    exp["methods"] = {"AT": {}, "MCT": {}}
    exp["attacks"]["pgd40"]["methods"] = ["MCT"]
    assert cells.required_records(SPEC, {"mnist": exp}) == [
        ("mnist", "MCT", 0, "pgd40"), ("mnist", "MCT", 1, "pgd40")]
    table = _cells(_records([0.5, 0.5], method="MCT"), exp)
    assert list(table.status) == [cells.NOT_EVALUATED, "ok"]


def test_training_cost_relative_to_standard():
    def history(method, cls, seconds, seed=0):
        return {"experiment": "mnist", "method": method, "method_class": cls, "seed": seed,
                "hardware": "CPU x", "history": [{"seconds": seconds, "examples_per_second": 100 / seconds}]}
    table = tables.training_cost_table([history("standard", "standard", 2.0), history("AT", "pgd_at", 20.0),
                                        history("MCT", "mct", 3.0), history("MCT", "mct", 5.0, seed=1)])
    cost = dict(zip(table.method, table.cost_over_standard))
    assert cost == {"standard": 1.0, "AT": 10.0, "MCT": 2.0}
    assert table.set_index("method").loc["MCT", "seeds"] == 2


def test_training_cost_csv_carries_the_stamp_and_per_model_hardware(tmp_path):
    import json

    from advrepro import jobs

    paths = []
    for method, cls, hardware in (("standard", "standard", "CPU a"), ("AT", "pgd_at", "GPU b")):
        path = tmp_path / f"{method}.json"
        path.write_text(json.dumps({"experiment": "mnist", "dataset": "fashion_mnist",
                                    "paper_dataset": "mnist", "method": method,
                                    "method_class": cls, "seed": 0, "hardware": hardware,
                                    "history": [{"seconds": 2.0, "examples_per_second": 50.0}]}))
        paths.append(str(path))
    jobs.training_cost(paths, "demo", "abc", str(tmp_path / "cost.md"), str(tmp_path / "cost.csv"))
    table = pd.read_csv(tmp_path / "cost.csv")
    assert set(table.hardware) == {"CPU a", "GPU b"}
    assert set(table.scale) == {"demo"} and set(table.config_hash) == {"abc"}
