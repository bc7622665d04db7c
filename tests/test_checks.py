"""Gradient-masking checks on real attacks against a plain and a deliberately masked model, the
claims evaluator on hand-made tables, and figure rendering."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
import torch
from test_reporting import full_record

from advrepro.attacks import build_attack
from advrepro.evaluation import evaluate
from advrepro.reporting import claims, figures, index, masking


class HardStep(torch.nn.Module):
    """Binarises its input with round(): zero gradient almost everywhere, the textbook case of
    gradient masking (Athalye et al. 2018's shattered gradients)."""

    def forward(self, x):
        return torch.round(x)


class Saturated(torch.nn.Module):
    """Logits scaled by 1e4: a saturated softmax whose cross-entropy gradient underflows to 0
    in float32 on every confidently classified input (Carlini and Wagner's defensive
    distillation case)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return 1e4 * self.model(x)


def _trained(model, splits):
    torch.manual_seed(0)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(60):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(splits.x_train), splits.y_train).backward()
        optimizer.step()
    model.eval()
    return model


SWEEP = (0.1, 0.3, 0.5)
ATTACKS = {
    "fgsm": ("fgsm", {"eps": 0.3}),
    "pgd": ("pgd", {"eps": 0.3, "alpha": 0.03, "steps": 20}),
    "noise": ("random_noise", {"eps": 0.3}),
    **{f"sweep_eps{e}": ("pgd", {"eps": e, "alpha": e / 8, "steps": 20}) for e in SWEEP},
}
CHECKS = [
    {"kind": "sweep", "sweep": "sweep", "final_max": 10},
    {"kind": "stronger", "weaker": "fgsm", "stronger": "pgd"},
    {"kind": "noise", "noise": "noise", "attack": "pgd", "margin": 5},
    {"kind": "unbounded", "attack": "pgd"},
    {"kind": "effort", "attack": "pgd"},
    {"kind": "dominance"},
    {"kind": "indicators"},
]
SPEC = {"checks": {"toy": CHECKS}}


def _experiment() -> dict:
    """The toy experiment with the attacks its checks plan (config.expand_failure_checks)."""
    from advrepro.config import expand_failure_checks

    experiment = {
        "methods": {"plain": {}, "masked": {}, "saturated": {}},
        "seeds": [0],
        "attacks": {
            name: {
                "class": cls,
                "params": params,
                "threat": "whitebox",
                **(
                    {"sweep": {"attack": "sweep", "eps": params["eps"]}}
                    if name.startswith("sweep")
                    else {}
                ),
            }
            for name, (cls, params) in ATTACKS.items()
        },
    }
    config = {
        "experiments": {"toy": experiment},
        "artifacts": {"masking": {"kind": "masking", "checks": SPEC["checks"]}},
    }
    return expand_failure_checks(config)["experiments"]["toy"]


EXPERIMENT = _experiment()


def record_of(model, spec: dict, attack_id: str, splits, method: str) -> dict:
    """An evaluation record with the fields jobs.evaluate_models writes that the checks read."""
    attack = build_attack(spec["class"], model, **spec["params"])
    torch.manual_seed(0)
    # all 96 images (those it trained on): 32 test images could not resolve the noise
    # check's 5-point margin, as the checks' exact tests now say
    result = evaluate(
        model,
        attack,
        splits.x_train,
        splits.y_train,
        32,
        progress=False,
        indicators={"examples": 500, "probe_steps": 10},
    )
    return full_record(
        experiment="toy",
        method=method,
        attack=attack_id,
        attack_class=spec["class"],
        threat=spec["threat"],
        family=attack.family,
        norm=attack.norm,
        eps=attack.eps,
        params=spec["params"],
        labels=splits.y_train.tolist(),
        **result,
    )


@pytest.fixture
def masking_records(tiny_splits):
    splits = tiny_splits
    flat = lambda: torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(28 * 28, 10))  # noqa: E731
    models = {
        "plain": _trained(flat(), splits),
        "masked": _trained(torch.nn.Sequential(HardStep(), flat()), splits),
        "saturated": Saturated(_trained(flat(), splits)).eval(),
    }
    return [
        record_of(model, spec, name, splits, method)
        for method, model in models.items()
        for name, spec in EXPERIMENT["attacks"].items()
    ]


@pytest.fixture
def masking_table(masking_records):
    return masking.run_checks(masking_records, SPEC, {"toy": EXPERIMENT})


def test_checks_plan_their_own_unbounded_and_more_effort_attacks():
    unbounded, effort = EXPERIMENT["attacks"]["pgd_unbounded"], EXPERIMENT["attacks"]["pgd_effort"]
    assert unbounded["params"] == {"eps": 1.0, "alpha": 2.5 / 20, "steps": 20}
    assert effort["params"] == {"eps": 0.3, "alpha": 0.03, "steps": 40, "restarts": 3}


def test_masking_checks_pass_a_plain_model(masking_table):
    plain = masking_table[masking_table.method == "plain"]
    assert list(plain.status) == ["pass"] * len(CHECKS), plain.evidence.tolist()


def test_masking_checks_flag_a_model_with_a_hard_step_before_the_logits(masking_table):
    masked = masking_table[masking_table.method == "masked"].set_index("kind")
    for kind in ("noise", "unbounded", "indicators"):
        assert masked.loc[kind, "status"] == "flag", (kind, masked.evidence.tolist())
    assert "**unavailable gradients 100.0%" in masked.loc["indicators", "evidence"]
    verdicts = masking.model_verdicts(masking_table).set_index("method").overall
    assert verdicts["masked"] == "flag" and verdicts["plain"] == "pass"


def test_masking_checks_flag_a_saturated_softmax(masking_table):
    saturated = masking_table[masking_table.method == "saturated"].set_index("kind")
    for kind in ("unbounded", "indicators"):
        assert saturated.loc[kind, "status"] == "flag", (kind, saturated.evidence.tolist())
    assert "**unavailable gradients" in saturated.loc["indicators", "evidence"]


def test_white_box_dominance_counts_examples_a_weaker_attack_wins(masking_records):
    plain = [r for r in masking_records if r.method == "plain"]
    noise = next(r for r in plain if r.attack == "noise")
    pgd = next(r for r in plain if r.attack == "pgd")
    # pretend PGD failed everywhere
    pgd = dataclasses.replace(pgd, correct=[1] * pgd.count, accuracy=1.0)
    misses = masking.white_box_misses([pgd, noise])
    assert misses["noise"] == (noise.count - sum(noise.correct), noise.count)
    table = masking.run_checks(
        [pgd, noise],
        {"checks": {"toy": [{"kind": "dominance"}]}},
        {"toy": EXPERIMENT},
    )
    assert table[table.method == "plain"].status.tolist() == ["flag"]


def test_masking_check_without_records_is_not_run():
    table = masking.run_checks([], SPEC, {"toy": EXPERIMENT})
    assert set(table.status) == {"not run"}


def _table(
    values: dict,
    reported: dict | None = None,
    verdicts: dict | None = None,
    scale="paper",
    dataset="mnist",
):
    rows = []
    for (row, column), value in values.items():
        rows.append(
            {
                "row": row,
                "column": column,
                "status": "ok",
                "ours_mean": value,
                "ours_std": 0.1,
                "reported": (reported or {}).get((row, column), float("nan")),
                "verdict": (verdicts or {}).get((row, column), ""),
                "x_row": None,
                "scale": scale,
                "dataset": dataset,
                "paper_dataset": "mnist",
            }
        )
    return pd.DataFrame(rows)


def test_claim_that_holds_and_one_that_fails():
    table = _table(
        {("MCT", "PGD"): 60.0, ("AT", "PGD"): 50.0, ("MCT", "FGSM"): 70.0, ("AT", "FGSM"): 75.0}
    )
    spec = [
        {
            "statement": "wins PGD",
            "check": "beats",
            "artifact": "t",
            "row": "MCT",
            "others": ["AT"],
            "columns": ["PGD"],
        },
        {
            "statement": "wins all",
            "check": "beats",
            "artifact": "t",
            "row": "MCT",
            "others": ["AT"],
        },
        {"statement": "missing", "check": "beats", "artifact": "t", "row": "TLA", "others": ["AT"]},
    ]
    result = claims.evaluate_claims(spec, {"t": table})
    assert list(result.status) == ["holds", "fails", "not run"]
    assert "FGSM" in result.evidence[1] and result.scope[0] == "paper setting"


REPORTED = 92.0  # a made-up printed number: the check reads it from the table


def test_claim_against_a_reported_number_on_a_stand_in_is_not_comparable():
    key = ("DunDi", "mean")
    standin = _table(
        {key: 95.0},
        {key: REPORTED},
        {key: "not comparable: stand-in data"},
        scale="demo",
        dataset="fashion_mnist",
    )
    real = _table({key: 90.0}, {key: REPORTED}, {key: "lower"})
    spec = [
        {
            "statement": "as reported",
            "check": "matches_reported",
            "artifact": "t",
            "row": "DunDi",
            "column": "mean",
            "accept": ["reproduced", "higher"],
        }
    ]
    assert claims.evaluate_claims(spec, {"t": standin}).status[0] == "not comparable"
    assert claims.evaluate_claims(spec, {"t": real}).status[0] == "fails"


def test_increasing_and_peak_claims():
    table = _table(
        {
            ("R", "1"): 90.0,
            ("R", "10"): 91.0,
            ("R", "20"): 91.0,
            ("P", "1"): 92.0,
            ("P", "10"): 91.0,
            ("P", "20"): 93.0,
        }
    )
    rising = {
        "statement": "rises",
        "check": "increasing",
        "artifact": "t",
        "columns": ["1", "10", "20"],
    }
    result = claims.evaluate_claims(
        [{**rising, "rows": ["R"]}, {**rising, "rows": ["P"]}], {"t": table}
    )
    assert list(result.status) == ["holds", "fails"]
    sigma = _table({("s1", "PGD"): 70.0, ("s2", "PGD"): 72.0, ("s3", "PGD"): 60.0})
    sigma["x_row"] = [0.01, 0.02, 0.2]
    peak = {"statement": "peak", "check": "peak_below", "artifact": "t", "column": "PGD"}
    assert claims.evaluate_claims([{**peak, "threshold": 0.1}], {"t": sigma}).status[0] == "holds"
    assert claims.evaluate_claims([{**peak, "threshold": 0.015}], {"t": sigma}).status[0] == "fails"


def test_cost_claim_reads_the_training_cost_table():
    cost = pd.DataFrame(
        {
            "experiment": ["mnist", "mnist"],
            "method": ["MCT", "AT"],
            "seconds_per_epoch": [2.0, 20.0],
        }
    )
    spec = [
        {
            "statement": "cheaper",
            "check": "cost_below",
            "artifact": "training_cost",
            "experiment": "mnist",
            "method": "MCT",
            "other": "AT",
        }
    ]
    result = claims.evaluate_claims(spec, {"training_cost": cost})
    assert result.status[0] == "holds" and "ratio 0.100" in result.evidence[0]


@pytest.mark.parametrize("plot", ["line", "bar"])
def test_figures_render_with_banner_and_stamp(plot, tmp_path):
    table = _table(
        {("AT", "0.1"): 80.0, ("AT", "0.3"): 40.0, ("MCT", "0.1"): 85.0, ("MCT", "0.3"): 30.0},
        {("AT", "0.3"): 45.0},
    )
    table["x"] = [0.1, 0.3, 0.1, 0.3]
    table["series"] = None
    stamp = {
        "scale": "demo",
        "dataset": "fashion_mnist",
        "paper_dataset": "mnist",
        "seeds": "0 1",
        "config hash": "abc",
        "commit": "def",
        "hardware": "CPU",
    }
    outputs = [tmp_path / "f.png", tmp_path / "f.pdf"]
    figures.plot(
        table,
        {"paper": "ours", "item": "f", "plot": plot, "title": "T", "value_label": "Accuracy (%)"},
        stamp,
        [str(p) for p in outputs],
    )
    assert outputs[0].read_bytes()[:4] == b"\x89PNG" and outputs[1].read_bytes()[:4] == b"%PDF"


def test_index_status_summarises_verdicts(tmp_path):
    table = _table(
        {("AT", "PGD"): 90.0, ("MCT", "PGD"): 80.0},
        verdicts={("AT", "PGD"): "reproduced", ("MCT", "PGD"): "lower"},
    )
    table.to_csv(tmp_path / "t.csv", index=False)
    line = index.status("table", tmp_path / "t.csv")
    assert line == "paper scale: 1 reproduced, 1 lower"
    table.loc[0, "verdict"] = "no reported value"
    table.loc[1, "status"] = "not evaluated"
    table.to_csv(tmp_path / "t.csv", index=False)
    assert index.status("table", tmp_path / "t.csv") == (
        "paper scale: 1 lower; 1 of 2 cells without a value"
    )
    text = index.render(
        [
            {
                "title": "T",
                "paper": "mct",
                "kind": "table",
                "target": "x.md",
                "csv": tmp_path / "t.csv",
                "rule": "table",
                "rule_at": "workflow/rules/aggregate.smk:9",
                "script": "workflow/scripts/table.py",
                "build": "advrepro.reporting.artifacts.table_artifact",
                "library": "advrepro.reporting.cells",
            }
        ],
        "abc",
    )
    assert (
        "`table` (workflow/rules/aggregate.smk:9)" in text and "workflow/scripts/table.py" in text
    )
    assert "advrepro.reporting.artifacts.table_artifact" in text


class PixelEmbedding(torch.nn.Module):
    """Embedding = the pixels themselves: an image's nearest training image is its own copy."""

    def embed(self, x):
        return x.flatten(1)

    def forward(self, x):
        return x.flatten(1)[:, :10]

    def classify(self, x):
        return self(x).argmax(1)


def test_nearest_neighbours_retrieve_the_query_itself_under_pixel_distance(tiny_splits):
    from advrepro.neighbours import nearest_neighbours

    model = PixelEmbedding()
    result = nearest_neighbours(
        model,
        tiny_splits,
        build_attack("clean", model),
        [0, 1, 2],
        shown_per_class=1,
        eval_per_class=3,
        k=1,
        batch_size=4,
    )
    # the tiny test set is a copy of the first 32 training images
    assert result["precision_at_k"] == 1.0 and result["queries"] == 9
    assert torch.equal(result["shown_neighbours"][:, 0], result["shown_query"])
    assert result["shown_label"].tolist() == [0, 1, 2]


def test_neighbours_figure_renders(tiny_splits, tiny_model, tmp_path):
    from advrepro.neighbours import nearest_neighbours

    result = nearest_neighbours(
        tiny_model,
        tiny_splits,
        build_attack("fgsm", tiny_model, eps=0.1),
        [0, 1],
        shown_per_class=1,
        eval_per_class=2,
        k=3,
        batch_size=8,
    )
    result.update(method="MCT")
    stamp = {
        "scale": "test",
        "dataset": "tiny",
        "paper_dataset": "cifar10",
        "seeds": "0",
        "config hash": "abc",
        "commit": "def",
        "hardware": "CPU",
    }
    out = tmp_path / "fig2.png"
    figures.plot_neighbours([result], {"title": "Fig. 2"}, stamp, [str(out)])
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_report_shows_every_indicator_and_tables_mark_flagged_models(
    masking_records, masking_table
):
    from advrepro.reporting import tables

    indicators = masking.indicator_table(masking_records, SPEC, {"toy": EXPERIMENT})
    stamp = {"scale": "tiny", "dataset": "tiny", "paper_dataset": "mnist"}
    report = masking.render_markdown(masking_table, SPEC, stamp, indicators)
    assert "## Attack-failure indicators" in report
    for name in (
        "unavailable gradients",
        "silent success",
        "incomplete optimisation",
        "unstable predictions",
        "transfer failure",
    ):
        assert name in report
    assert "| toy | masked | 100.0% (" in report

    flags = masking.flags_by_model([masking_table])
    assert "toy/plain" not in flags and "unbounded pgd succeeds" in flags["toy/masked"]
    cells = pd.DataFrame(
        [
            {
                "row": label,
                "column": "PGD",
                "members": f"toy/{method}",
                "status": "ok",
                "ours_mean": 50.0,
                "ours_std": 1.0,
                "reported": float("nan"),
                "difference": float("nan"),
                "tolerance": float("nan"),
                "verdict": "",
                "attacks": "pgd",
                "attack_class": "pgd",
                "eps": 0.3,
                "steps": 20,
                "restarts": 1,
                "threat": "whitebox",
                "seeds": "0",
                "combine": "mean",
            }
            for label, method in (("Plain", "plain"), ("Masked", "masked"))
        ]
    )
    marked = masking.mark_flagged_rows(cells, flags)
    spec = {"paper": "ours", "item": "toy", "title": "Toy"}
    markdown = tables.render_markdown(marked, spec, stamp)
    assert "| Masked ⚠ |" in markdown and "| Plain |" in markdown
    assert "- Masked: toy/masked: " in markdown
    latex = tables.render_latex(marked, spec, stamp)
    assert r"Masked$^\dagger$ &" in latex and r"Plain &" in latex


def test_check_results_read_back_as_written_and_give_the_same_report(
    masking_records, masking_table, tmp_path
):
    """Rule masking_checks writes one experiment's results; its tables and the masking report
    read them back: the same rows, indicators and hardware, so the same report and flags."""
    results = masking.CheckResults.of(masking_records, SPEC, {"toy": EXPERIMENT})
    path = tmp_path / "toy.json"
    masking.write_check_results(path, results)
    back = masking.read_check_results(path)
    pd.testing.assert_frame_equal(back.checks, masking_table)
    pd.testing.assert_frame_equal(back.indicators, results.indicators)
    assert back.hardware == [r.hardware for r in masking_records]
    stamp = {"scale": "tiny", "dataset": "tiny", "paper_dataset": "mnist"}
    assert masking.render_markdown(
        back.checks, SPEC, stamp, back.indicators
    ) == masking.render_markdown(masking_table, SPEC, stamp, results.indicators)
    assert masking.flags_by_model([back.checks]) == masking.flags_by_model([masking_table])
    joined = masking.CheckResults.joined([back, back])
    assert len(joined.checks) == 2 * len(masking_table) and len(joined.hardware) == 2 * len(
        masking_records
    )


@pytest.mark.parametrize("damage", ["cut", "another format", "a row short", "missing"])
def test_a_damaged_check_results_file_is_refused_naming_it(masking_records, tmp_path, damage):
    path = tmp_path / "toy.json"
    masking.write_check_results(
        path, masking.CheckResults.of(masking_records, SPEC, {"toy": EXPERIMENT})
    )
    data = json.loads(path.read_text())
    if damage == "cut":
        path.write_text(path.read_text()[:200])
    elif damage == "another format":
        path.write_text(json.dumps({**data, "format": 0}))
    elif damage == "a row short":
        data["checks"]["rows"][0].pop()
        path.write_text(json.dumps(data))
    else:
        path.unlink()
    with pytest.raises(masking.CheckResultsError, match=f"{path}.*rebuild it"):
        masking.read_check_results(path)


def test_a_check_on_an_attack_limited_to_other_methods_is_not_run(masking_records):
    experiment = {
        **EXPERIMENT,
        "attacks": {
            **EXPERIMENT["attacks"],
            "pgd": {**EXPERIMENT["attacks"]["pgd"], "methods": ["masked"]},
        },
    }
    records = [r for r in masking_records if not (r.method == "plain" and r.attack == "pgd")]
    spec = {"checks": {"toy": [{"kind": "stronger", "weaker": "fgsm", "stronger": "pgd"}]}}
    table = masking.run_checks(records, spec, {"toy": experiment}).set_index("method")
    assert table.loc["plain", "status"] == "not run" and table.loc["masked", "status"] == "pass"


def test_a_report_checking_some_methods_plans_its_attacks_on_those_only():
    """methods_by_experiment: the checks' own attacks (unbounded, effort) run on the methods
    the report checks, and masking.required_records asks for nothing else."""
    from advrepro.config import expand_failure_checks
    from advrepro.reporting import masking

    experiment = {
        "methods": {"plain": {}, "masked": {}, "saturated": {}},
        "seeds": [0],
        "attacks": {"pgd": {"class": "pgd", "params": ATTACKS["pgd"][1], "threat": "whitebox"}},
    }
    spec = {
        "kind": "masking",
        "methods_by_experiment": {"toy": ["plain", "masked"]},
        "checks": {
            "toy": [{"kind": "effort", "attack": "pgd"}, {"kind": "unbounded", "attack": "pgd"}]
        },
    }
    config = expand_failure_checks({"experiments": {"toy": experiment}, "artifacts": {"m": spec}})
    attacks = config["experiments"]["toy"]["attacks"]
    assert attacks["pgd_effort"]["methods"] == ["plain", "masked"]
    assert attacks["pgd_unbounded"]["methods"] == ["plain", "masked"]
    assert "methods" not in attacks["pgd"]  # the configured attack itself is untouched
    needed = masking.required_records(spec, config["experiments"])
    assert {method for _, method, _, _ in needed} == {"plain", "masked"}


def test_reporting_never_imports_torch():
    """The table, figure and report jobs read JSON records: importing torch would add ~3 s to
    each of them (the masking checks once did, for the indicator names and thresholds). Only
    flow_validity needs it: it reads the adversarial flows, saved as tensors."""
    import subprocess
    import sys

    code = """
import sys
from advrepro.reporting import (artifacts, cells, claims, figures, index, kinds, masking,
    reported, summary, tables, verdict)
from types import SimpleNamespace  # the two fields the indicators check reads of a Record
record = SimpleNamespace(attack="pgd",
                         indicators={"incomplete_optimisation": {"count": 1, "checked": 4}})
evidence = masking.ModelEvidence(experiment={}, records=[record])
print(masking.CHECKS["indicators"](evidence, {**masking.CHECK_DEFAULTS, "kind": "indicators"}))
assert "torch" not in sys.modules, "a reporting module imported torch"
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "incomplete optimisation" in done.stdout


def test_stronger_check_between_two_sweeps_compares_every_shared_budget():
    """AutoAttack-L2 against PGD-L2 along their eps sweeps: at the budgets both have (2 and 3
    here), each must leave no more accuracy; the others are neither read nor needed."""

    def budget(sweep, eps):
        return {"class": "pgd_l2", "params": {"eps": eps}, "sweep": {"attack": sweep, "eps": eps}}

    experiment = {
        "methods": {"plain": {}},
        "seeds": [0],
        "attacks": {
            **{f"pgd_l2_eps{e:g}": budget("pgd_l2", e) for e in (1.0, 2.0, 3.0)},
            **{f"aa_l2_eps{e:g}": budget("aa_l2", e) for e in (2.0, 3.0, 4.0)},
        },
    }
    accuracy = {"pgd_l2_eps1": 0.8, "pgd_l2_eps2": 0.7, "pgd_l2_eps3": 0.2}
    accuracy |= {"aa_l2_eps2": 0.5, "aa_l2_eps3": 0.3, "aa_l2_eps4": 0.0}

    def record(attack, share):  # 100 examples, the first ``share`` of them left standing
        standing = round(100 * share)
        correct = [1] * standing + [0] * (100 - standing)
        return full_record(
            experiment="toy", method="plain", attack=attack, accuracy=share, correct=correct
        )

    records = [record(a, v) for a, v in accuracy.items()]
    spec = {"checks": {"toy": [{"kind": "stronger", "weaker": "pgd_l2", "stronger": "aa_l2"}]}}
    table = masking.run_checks(records, spec, {"toy": experiment})
    assert table.status.tolist() == ["flag"]  # at eps 3: 30 % left against PGD-L2's 20 %
    assert table.evidence[0].startswith("aa_l2 vs pgd_l2 at eps 2, 3: aa_l2_eps3 30.0 vs")
    assert "10 of 100 examples survive only aa_l2_eps3, 0 only pgd_l2_eps3" in table.evidence[0]
    needed = {attack for *_, attack in masking.required_records(spec, {"toy": experiment})}
    assert needed == {"pgd_l2_eps2", "pgd_l2_eps3", "aa_l2_eps2", "aa_l2_eps3"}
    records[4] = record("aa_l2_eps3", 0.2)
    assert masking.run_checks(records, spec, {"toy": experiment}).status.tolist() == ["pass"]


def test_a_sweep_that_stops_short_of_its_final_budget_is_not_judged_there(masking_records):
    """A scale's smaller budgets (the demo's CIFAR sweep ends at 16/255, the paper's at 32/255)
    cannot show accuracy falling to ~0: the row says so instead of flagging."""
    check = {"kind": "sweep", "sweep": "sweep", "final_max": 0.5, "final_eps": 1.0}
    table = masking.run_checks(masking_records, {"checks": {"toy": [check]}}, {"toy": EXPERIMENT})
    plain = table[table.method == "plain"].iloc[0]
    assert plain.status == masking.NOT_HERE and "below 1" in plain.evidence
    judged = masking.run_checks(
        masking_records, {"checks": {"toy": [{**check, "final_eps": 0.5}]}}, {"toy": EXPERIMENT}
    )
    assert judged[judged.method == "masked"].iloc[0].status == "flag"


def test_a_scale_that_caps_attack_steps_leaves_the_convergence_checks_nothing_to_judge(
    masking_records,
):
    spec = {"checks": {"toy": [{"kind": "effort", "attack": "pgd"}, {"kind": "indicators"}]}}
    capped = masking.run_checks(
        masking_records, spec, {"toy": EXPERIMENT}, {"attacks": {"steps": 5}}
    )
    effort = capped[capped.kind == "effort"]
    assert set(effort.status) == {masking.NOT_HERE} and "capped at 5" in effort.iloc[0].evidence
    # the masked model is still flagged by what the cap does not touch (unavailable gradients)
    masked = capped[(capped.method == "masked") & (capped.kind == "indicators")].iloc[0]
    assert masked.status == "flag" and "~incomplete optimisation" in masked.evidence
