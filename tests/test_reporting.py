"""Reported numbers, the verdict rule and table rendering."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import REPORTED_CSV
from markdown_tables import malformed_tables

from advrepro.records import Record
from advrepro.reporting import cells, reported, tables
from advrepro.reporting.verdict import judge_protocol

PAPER_ROW = {
    "dataset": "mnist",
    "architecture": "mao_mnist_large",
    "attack": "pgd",
    "norm": "linf",
    "eps": "0.3",
    "steps": "40",
    "restarts": "1",
    "setting": "whitebox",
    "metric": "accuracy",
}


TRAINING = {
    "format": 2,
    "experiment": "mnist_mao",
    "method": "AT",
    "method_class": "pgd_at",
    "method_options": {"eps": 0.3},
    "architecture": "mao_mnist_large",
    "dataset": "mnist",
    "scale": "paper",
    "train_size": None,
    "train_examples": 60000,
    "train": {"epochs": 50, "batch_size": 50},
    "epochs_trained": 50,
    "seed": 0,
}


def record_json(**changes) -> dict:
    """An evaluation record of a paper-scale run in its JSON form, as advrepro.records writes
    it; ``changes`` by field, ``training__epochs_trained`` for a nested one. The per-example
    lists follow ``correct`` unless given."""
    record = {
        "format": 2,
        "experiment": "mnist_mao",
        "dataset": "mnist",
        "paper_dataset": "mnist",
        "architecture": "mao_mnist_large",
        "method": "AT",
        "method_class": "pgd_at",
        "scale": "paper",
        "seed": 0,
        "attack": "pgd40",
        "attack_class": "pgd",
        "paper_attack": "pgd",
        "threat": "whitebox",
        "norm": "linf",
        "family": "gradient",
        "eps": 0.3,
        "params": {"eps": 0.3, "alpha": 0.01, "steps": 40},
        "source": None,
        "transfer_set": None,
        "training": dict(TRAINING),
        "source_training": None,
        "classifier": {},
        "test_size": None,
        "classes": [str(c) for c in range(10)],
        "hardware": "CPU x",
        "commit": "abc",
        "clean_accuracy": 0.99,
        "model_clean_accuracy": 0.99,
        "accuracy": 0.9,
        "rejected": 0.0,
        "auc": 0.5,
        "seconds": 1.0,
        "examples_per_second": 1.0,
        "correct": [],
        "attacked": 0,
    }
    for path, value in changes.items():  # "training__epochs_trained" -> record["training"][...]
        *parents, last = path.split("__")
        target = record
        for key in parents:
            target = target[key]
        target[last] = value
    if record["test_size"] and not record["correct"]:  # a test subset: its per-example results
        standing = round(record["accuracy"] * record["test_size"])
        record["correct"] = [1] * standing + [0] * (record["test_size"] - standing)
    for name in ("labels", "predicted"):
        record.setdefault(name, [0] * len(record["correct"]))
    record.setdefault("count", len(record["correct"]))
    return record


def full_record(**changes) -> Record:
    """record_json(**changes) as the reporting rules read it (records.read_record)."""
    return Record.from_mapping(record_json(**changes))


def everything_stated(record: Record) -> list[dict]:
    """A protocol that states every setting of ``record`` as it is (assumption A9)."""
    return [
        {
            "settings": {path: record.setting(path) for path in record.settings()},
            "assumption": "A9",
        }
    ]


def test_a_record_of_the_paper_experiment_is_comparable():
    assert judge_protocol([full_record()], PAPER_ROW, STATED + REST) == (None, ["A1", "A2"])


STATED = [
    {"setting": "training.train.epochs", "value": 50, "assumption": "A1"},
    {"setting": "training.method_options.eps", "value": 0.3, "where": "Sec. 4", "quote": "eps 0.3"},
]
# the record's other settings: every one a verdict rests on is stated
REST = [{"settings": {"params.alpha": 0.01, "training.train.batch_size": 50}, "assumption": "A2"}]


@pytest.mark.parametrize(
    "changes,reason",
    [
        ({"dataset": "fashion_mnist"}, "stand-in data (fashion_mnist for mnist)"),
        ({"scale": "demo"}, "demo scale"),
        ({"test_size": 1000}, "test subset of 1000"),
        ({"training__train_size": 5000}, "training subset of 5000"),
        ({"training__epochs_trained": 3}, "trained 3 of 50 epochs"),
        ({"training": {}}, "carries no training protocol"),
        ({"architecture": "mnist_cnn"}, "architecture mnist_cnn, paper mao_mnist_large"),
        ({"params": {"eps": 0.3, "alpha": 0.01, "steps": 10}}, "steps 10 run, 40 printed"),
        ({"params": {"eps": 0.1, "alpha": 0.01, "steps": 40}}, "eps 0.1 run, 0.3 printed"),
        (
            {"params": {"eps": 0.3, "alpha": 0.01, "steps": 40, "restarts": 2}},
            "restarts 2 run, 1 printed",
        ),
        ({"threat": "transfer"}, "threat transfer run, whitebox printed"),
        ({"paper_attack": "bim"}, "attack bim run, pgd printed"),
        ({"norm": "l2"}, "norm l2 run, linf printed"),
        (
            {"training__train": {"epochs": 20, "batch_size": 50}, "training__epochs_trained": 20},
            "training.train.epochs 20 run, 50 (assumption A1)",
        ),
        (
            {"training__method_options": {"eps": 0.1}},
            "training.method_options.eps 0.1 run, 0.3 (Sec. 4)",
        ),
        (
            {"params": {"eps": 0.3, "alpha": 0.01, "steps": 40, "kappa": 5.0}},
            "params.kappa = 5.0 is neither printed nor stated",
        ),
    ],
)
def test_every_departure_from_the_protocol_withholds_the_verdict(changes, reason):
    found, assumptions = judge_protocol(
        [full_record(), full_record(seed=1, **changes)], PAPER_ROW, STATED + REST
    )
    assert found is not None and reason in found and assumptions == []


def test_assumptions_that_held_are_named_and_filters_select_records():
    assert judge_protocol([full_record()], PAPER_ROW, STATED + REST) == (None, ["A1", "A2"])
    elsewhere = [
        {"setting": "params.random_start", "value": True, "attacks": ["fgsm"], "assumption": "A9"},
        {
            "setting": "classifier.n",
            "value": 10,
            "methods": ["DunDi_R"],
            "where": "Sec. 4.1",
            "quote": "10 oracles",
        },
        {"setting": "params.alpha", "value": 0.5, "attack_classes": ["bim"], "assumption": "A3"},
        {"setting": "params.alpha", "value": 0.5, "method_classes": ["tla"], "assumption": "A4"},
    ]
    assert judge_protocol([full_record()], PAPER_ROW, STATED + REST + elsewhere) == (
        None,
        ["A1", "A2"],
    )


def test_printed_settings_oracle_count_metric_and_transfer_are_checked():
    oracle_row = {**PAPER_ROW, "setting": "oracle=10", "eps": "", "steps": "", "restarts": ""}
    unprinted = {"params.eps": 0.3, "params.steps": 40, "threat": "whitebox"}
    stated = STATED + REST + [{"settings": unprinted, "assumption": "A3"}]
    assert judge_protocol([full_record(classifier={"n": 10})], oracle_row, stated)[0] is None
    assert (
        "oracle 20 run, 10 printed"
        in judge_protocol([full_record(classifier={"n": 20})], oracle_row, stated)[0]
    )
    auc_row = {**PAPER_ROW, "metric": "auc"}
    assert judge_protocol([full_record()], auc_row, STATED + REST)[0] == (
        "metric accuracy, paper auc"
    )
    assert judge_protocol([full_record(auc=0.9)], auc_row, STATED + REST, metric="auc")[0] is None
    transfer_row = {**PAPER_ROW, "setting": "blackbox_transfer"}
    source = {**record_json()["training"], "method": "standard"}
    transfer = full_record(threat="transfer", source_training=source)
    assert judge_protocol([transfer], transfer_row, STATED + REST + SOURCE)[0] is None


SOURCE = [
    {
        "settings": {
            "source_training.method": "standard",
            "source_training.method_options": {"eps": 0.3},
            "source_training.train": {"epochs": 50, "batch_size": 50},
        },
        "assumption": "A10",
    }
]


def test_eps_fraction_and_printed_scale_match():
    row = {**PAPER_ROW, "eps": "8/255", "steps": "20", "restarts": "20"}
    record = full_record(params={"eps": 8 / 255, "alpha": 0.01, "steps": 20, "restarts": 20})
    assert judge_protocol([record], row, STATED + REST)[0] is None
    scaled = {**PAPER_ROW, "eps": "32", "steps": "20"}
    assert (
        judge_protocol(
            [full_record(params={"eps": 32 / 255, "alpha": 0.01, "steps": 20})],
            scaled,
            STATED + REST,
            eps_scale=255,
        )[0]
        is None
    )


def test_find_reported_reads_the_csv():
    table = reported.load_reported(REPORTED_CSV)
    row = reported.find_reported(
        table, "mct", "table1", "AT", {"attack": "pgd", "steps": 100, "restarts": 20}
    )
    assert row is not None and row["eps"] == "0.3" and float(row["value"]) > 0
    assert reported.find_reported(table, "mct", "table1", "standard", {"attack": "clean"}) is None
    with pytest.raises(ValueError, match="matches 2 reported rows"):
        reported.find_reported(table, "mct", "table1", "AT", {"attack": "pgd", "steps": 100})


def _experiment(dataset, architecture="mao_mnist_large"):
    return {
        "dataset": dataset,
        "paper_dataset": "mnist",
        "architecture": architecture,
        "methods": {"AT": {}},
        "seeds": [0, 1],
        "attacks": {"pgd40": {"class": "pgd", "params": {"eps": 0.3, "steps": 40}}},
    }


SPEC = {
    "paper": "mct",
    "item": "table1",
    "title": "T1",
    "experiment": "mnist",
    "methods": ["AT", "MCT"],
    "columns": [{"label": "PGD_40", "attack": "pgd40", "reported": {"attack": "pgd", "steps": 40}}],
}


def _records(accuracies, method="AT", attack="pgd40", experiment="mnist", correct=None, **changes):
    return [
        full_record(
            experiment=experiment,
            method=method,
            attack=attack,
            seed=s,
            accuracy=a,
            correct=correct or [],
            **changes,
        )
        for s, a in enumerate(accuracies)
    ]


def _cells(records, experiment, spec=SPEC, protocol=STATED + REST):
    return cells.build_cells(
        records, spec, {"mnist": experiment}, reported.load_reported(REPORTED_CSV), protocol
    )


def test_table_gives_verdict_only_when_comparable():
    csv = reported.load_reported(REPORTED_CSV)
    target = float(
        reported.find_reported(csv, "mct", "table1", "AT", {"attack": "pgd", "steps": 40})["value"]
    )
    records = _records([target / 100, target / 100])
    real = _cells(records, _experiment("mnist"))
    at = real[real.row == "AT"].iloc[0]
    assert at.verdict == "reproduced under A1, A2" and math.isclose(at.ours_mean, target)
    assert real[real.row == "MCT"].iloc[0].status == cells.NOT_RUN
    standin = _cells(_records([0.9, 0.9], dataset="fashion_mnist"), _experiment("fashion_mnist"))
    assert standin.iloc[0].verdict.startswith("not comparable: stand-in")
    demo = _cells(_records([0.9, 0.9], scale="demo"), _experiment("mnist"))
    assert demo.iloc[0].verdict == "not comparable: demo scale"
    far = _cells(_records([0.5, 0.5]), _experiment("mnist"))
    assert far.iloc[0].verdict == "lower under A1, A2"


def test_copied_rows_are_judged_only_on_the_network_they_were_measured_on():
    """MCT Table 1's AT row is Mao et al.'s network's: AT on the MCT network is not it."""
    records = _records([0.9, 0.9], architecture="mnist_cnn")
    cell = _cells(records, _experiment("mnist", "mnist_cnn")).iloc[0]
    assert cell.verdict == "not comparable: architecture mnist_cnn, paper mao_mnist_large"


def test_protocol_entries_of_the_experiment_and_the_artifact_are_applied():
    stated = {"setting": "training.train.epochs", "value": 50, "assumption": "A1"}
    spec = {**SPEC, "protocol": [{"setting": "params.alpha", "value": 0.01, "assumption": "A4"}]}
    shared = [
        STATED[1],
        {"setting": "training.train.batch_size", "value": 50, "where": "x", "quote": "y"},
    ]
    csv = reported.load_reported(REPORTED_CSV)
    target = float(
        reported.find_reported(csv, "mct", "table1", "AT", {"attack": "pgd", "steps": 40})["value"]
    )
    experiment = {**_experiment("mnist"), "protocol": [stated]}
    cell = _cells(_records([target / 100] * 2), experiment, spec, shared).iloc[0]
    assert cell.verdict == "reproduced under A1, A4"
    short = _records(
        [target / 100] * 2, training__train={"epochs": 20}, training__epochs_trained=20
    )
    cell = _cells(short, experiment, spec, shared).iloc[0]
    assert cell.verdict == "not comparable: training.train.epochs 20 run, 50 (assumption A1)"


def test_markdown_carries_banner_and_stamp():
    table = _cells(_records([0.9, 0.8], scale="demo"), _experiment("fashion_mnist"))
    stamp = {
        "scale": "demo",
        "dataset": "fashion_mnist",
        "paper_dataset": "mnist",
        "seeds": "0, 1",
        "config hash": "abc",
        "commit": "def",
        "hardware": "CPU x",
    }
    text = tables.render_markdown(table, SPEC, stamp)
    assert "Not comparable with the paper" in text and "config hash: abc" in text
    assert not malformed_tables(text)
    beside = tables.render_markdown(table, {**SPEC, "beside_metric": "auc"}, stamp)
    assert "(beside)" in beside and not malformed_tables(beside)
    assert "85.00 ± 7.07" in text
    assert r"\begin{tabular}" in tables.render_latex(table, SPEC, stamp)


def _two_attack_experiment():
    exp = _experiment("mnist")
    exp["attacks"]["fgsm"] = {"class": "fgsm", "params": {"eps": 0.3}}
    return exp


def test_worst_case_counts_an_example_only_if_it_survives_every_attack():
    spec = {
        **SPEC,
        "methods": ["AT"],
        "columns": [
            {"label": "worst", "attack": ["pgd40", "fgsm"], "combine": "worst"},
            {"label": "mean", "attack": ["pgd40", "fgsm"]},
        ],
    }
    records = _records([0.5], correct=[1, 1, 0, 0]) + _records(
        [0.5], attack="fgsm", correct=[0, 1, 1, 0]
    )
    table = _cells(records, {**_two_attack_experiment(), "seeds": [0]}, spec=spec)
    worst, mean = table.ours_mean
    assert worst == 25.0 and mean == 50.0  # only example 1 survives both


def test_rows_of_several_models_average_them_and_find_their_reported_row():
    experiments = {
        name: {
            **_experiment("mnist"),
            "architecture": name,
            "seeds": [0],
            "methods": {"DunDi_R": {}, "DunDi_P": {}},
            "attacks": {"fgsm_native": {"class": "fgsm", "params": {"eps": 0.3}}},
        }
        for name in ("lenet1", "lenet4")
    }
    spec = {
        "paper": "dundi",
        "item": "fig6",
        "rows": [
            {
                "label": "mean",
                "members": [
                    {"experiment": e, "method": m}
                    for e in experiments
                    for m in ("DunDi_R", "DunDi_P")
                ],
                "reported": {"method": "DunDi", "setting": "mean_of_6_models"},
            }
        ],
        "columns": [{"label": "FGSM", "attack": "fgsm_native", "reported": {"attack": "fgsm"}}],
    }
    records = [
        full_record(
            experiment=e,
            method=m,
            attack="fgsm_native",
            attack_class="fgsm",
            paper_attack="fgsm",
            accuracy=a,
            architecture=e,
            params={"eps": 0.3},
            threat="transfer",
            source_training={**record_json()["training"], "method": "Native"},
        )
        for (e, m), a in zip(
            [(e, m) for e in experiments for m in ("DunDi_R", "DunDi_P")], [0.9, 0.8, 0.7, 0.6]
        )
    ]
    csv = reported.load_reported(REPORTED_CSV)
    cell = cells.build_cells(records, spec, experiments, csv, everything_stated(records[0])).iloc[0]
    assert math.isclose(cell.ours_mean, 75.0) and cell.reported > 0
    assert cell.verdict.startswith("not judged: one seed")  # a mean of one seed has no spread


def test_sweep_column_expands_to_one_column_per_budget():
    exp = _experiment("mnist")
    exp["attacks"] = {
        f"pgd_sweep_eps{e}": {
            "class": "pgd",
            "params": {"eps": e},
            "sweep": {"attack": "pgd_sweep", "eps": e},
        }
        for e in (0.3, 0.1)
    }
    spec = {
        "paper": "ours",
        "item": "eps",
        "experiment": "mnist",
        "methods": ["AT"],
        "columns": [{"label": "PGD", "sweep": "pgd_sweep"}],
    }
    columns = cells.expand_columns(spec, {"mnist": exp})
    assert [c.x for c in columns] == [0.1, 0.3] and columns[0].attacks == ["pgd_sweep_eps0.1"]
    assert len(cells.required_records(spec, {"mnist": exp})) == 2 * 2  # 2 budgets x 2 seeds
    # where the experiment evaluates clean accuracy, the curve starts there, at eps 0
    exp["attacks"]["clean"] = {"class": "clean", "params": {}}
    columns = cells.expand_columns(spec, {"mnist": exp})
    assert [c.x for c in columns] == [0.0, 0.1, 0.3] and columns[0].attacks == ["clean"]
    assert len(cells.required_records(spec, {"mnist": exp})) == 3 * 2


def test_attack_limited_to_other_methods_is_not_evaluated_and_not_required():
    exp = _experiment("mnist")
    exp["methods"] = {"AT": {}, "MCT": {}}
    exp["attacks"]["pgd40"]["methods"] = ["MCT"]
    assert cells.required_records(SPEC, {"mnist": exp}) == [
        ("mnist", "MCT", 0, "pgd40"),
        ("mnist", "MCT", 1, "pgd40"),
    ]
    table = _cells(_records([0.5, 0.5], method="MCT"), exp)
    assert list(table.status) == [cells.NOT_EVALUATED, "ok"]


def test_training_cost_relative_to_standard():
    def history(method, cls, seconds, seed=0):
        return {
            "experiment": "mnist",
            "method": method,
            "method_class": cls,
            "seed": seed,
            "hardware": "CPU x",
            "history": [{"seconds": seconds, "examples_per_second": 100 / seconds}],
        }

    table = tables.training_cost_table(
        [
            history("standard", "standard", 2.0),
            history("AT", "pgd_at", 20.0),
            history("MCT", "mct", 3.0),
            history("MCT", "mct", 5.0, seed=1),
        ]
    )
    cost = dict(zip(table.method, table.cost_over_standard))
    assert cost == {"standard": 1.0, "AT": 10.0, "MCT": 2.0}
    assert table.set_index("method").loc["MCT", "seeds"] == 2


def test_training_cost_csv_carries_the_stamp_and_per_model_hardware(tmp_path):
    import json

    from advrepro.reporting import artifacts

    paths = []
    for method, cls, hardware in (("standard", "standard", "CPU a"), ("AT", "pgd_at", "GPU b")):
        path = tmp_path / f"{method}.json"
        path.write_text(
            json.dumps(
                {
                    "experiment": "mnist",
                    "dataset": "fashion_mnist",
                    "paper_dataset": "mnist",
                    "method": method,
                    "method_class": cls,
                    "seed": 0,
                    "hardware": hardware,
                    "history": [{"seconds": 2.0, "examples_per_second": 50.0}],
                }
            )
        )
        paths.append(str(path))
    artifacts.training_cost(
        paths, "demo", "abc", str(tmp_path / "cost.md"), str(tmp_path / "cost.csv")
    )
    table = pd.read_csv(tmp_path / "cost.csv")
    assert set(table.hardware) == {"CPU a", "GPU b"}
    assert set(table.scale) == {"demo"} and set(table.config_hash) == {"abc"}


def test_a_model_below_its_clean_floor_is_reported_as_did_not_train():
    experiment = {**_experiment("mnist_10k"), "clean_floor": 90}
    low = _cells(_records([0.2, 0.3], dataset="mnist_10k", model_clean_accuracy=0.12), experiment)
    at = low[low.row == "AT"].iloc[0]
    assert at.status.startswith("did not train") and "AT seed 0 clean 12% < 90%" in at.status
    assert at.verdict == ""
    good = _cells(_records([0.2, 0.3], dataset="mnist_10k", model_clean_accuracy=0.95), experiment)
    assert good[good.row == "AT"].iloc[0].status == "ok"
    unfloored = _cells(
        _records([0.2, 0.3], dataset="mnist_10k", model_clean_accuracy=0.12),
        _experiment("mnist_10k"),
    )
    assert unfloored[unfloored.row == "AT"].iloc[0].status == "ok"


def test_demo_summary_names_artifacts_standins_and_untrained_cells(tmp_path):
    from advrepro.reporting import summary

    figures = tmp_path / "paper_figures"
    (figures / "mct").mkdir(parents=True)
    (figures / "index.md").write_text(
        "| T1 | mct | `paper_figures/mct/table1.md` | x |\n"
        "| F2 | mct | `paper_figures/mct/fig2.png` | x |\n"
    )
    pd.DataFrame(
        {
            "dataset": ["mnist_10k", "mnist_10k"],
            "paper_dataset": ["mnist", "mnist"],
            "status": ["ok", "did not train (AT seed 0 clean 12% < 90%)"],
        }
    ).to_csv(figures / "mct/table1.csv", index=False)
    pd.DataFrame({"dataset": ["digits32"], "paper_dataset": ["cifar10"], "status": ["ok"]}).to_csv(
        figures / "mct/fig2.csv", index=False
    )
    text = summary.summarise(figures / "index.md", started=None)
    lines = text.splitlines()
    assert len(lines) == 3 and lines[0].startswith("Built 2 artifacts")
    assert "digits32 for cifar10, mnist_10k for mnist" in lines[1]
    assert lines[2].endswith(": 1")


def test_the_floor_judges_a_model_under_its_own_classifier_settings():
    """DunDi at one oracle per class is less accurate by design (Table 1's column): its record
    carries the model's clean accuracy under its own settings too, and the floor reads that."""
    experiment = {**_experiment("mnist_10k"), "clean_floor": 85}
    one_oracle = _records(
        [0.2, 0.3], dataset="mnist_10k", clean_accuracy=0.73, model_clean_accuracy=0.91
    )
    assert _cells(one_oracle, experiment).iloc[0].status == "ok"
    untrained = _records(
        [0.2, 0.3], dataset="mnist_10k", clean_accuracy=0.73, model_clean_accuracy=0.80
    )
    status = _cells(untrained, experiment).iloc[0].status
    assert status.startswith("did not train") and "clean 80% < 85%" in status


def test_the_stamp_states_the_experiments_that_ran_and_names_the_switched_off():
    """An experiment with every model switched off (the demo's LeNet-4) adds no seeds or
    sizes to an artifact's provenance; the stamp names it instead."""
    from advrepro.reporting.artifacts import artifact_stamp

    def exp(seeds, methods):
        return {
            "dataset": "mnist_10k",
            "paper_dataset": "mnist",
            "architecture": "lenet1",
            "seeds": seeds,
            "train_size": 6000,
            "test_size": 200,
            "methods": methods,
        }

    stamp = artifact_stamp(
        "demo",
        "abc",
        {"dundi_lenet1": exp([0], {"Native": {}}), "dundi_lenet4": exp([0, 1, 2], {})},
        ["CPU"],
        sizes=True,
    )
    assert stamp["experiments"] == "dundi_lenet1" and stamp["seeds"] == "0"
    assert stamp["no models at this scale"] == "dundi_lenet4"


def test_a_bar_figure_names_the_rows_without_any_run_instead_of_drawing_them():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from advrepro.reporting.figures import _without_empty_rows

    table = pd.DataFrame(
        {
            "row": ["lenet1 Native", "lenet1 Native", "lenet4 Native", "lenet4 Native", "mean"],
            "column": ["FGSM", "JSMA", "FGSM", "JSMA", "FGSM"],
            "status": ["ok", "did not train (x)", "not yet run", "not yet run", "not yet run"],
            "reported": [float("nan"), float("nan"), float("nan"), float("nan"), 91.0],
        }
    )
    fig, ax = plt.subplots()
    shown = _without_empty_rows(ax, table)
    assert list(dict.fromkeys(shown.row)) == [
        "lenet1 Native",
        "mean",
    ]  # "mean" has a reported value
    labels = [line.get_label() for line in ax.get_lines()]
    assert len(labels) == 1 and "lenet4 Native" in labels[0].replace("\n", " ")
    plt.close(fig)
