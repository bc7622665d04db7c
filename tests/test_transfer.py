"""Transfer sets: crafted once on the source model, replayed by every target's evaluation, with
the same record as crafting inside the evaluation; a set that does not match is refused."""

from __future__ import annotations

import pytest
import torch
from conftest import save_prepared

from advrepro import io, jobs, model_files
from advrepro.attacks import BudgetViolation, build_attack
from advrepro.config import transfer_crafting
from advrepro.evaluation import evaluate
from advrepro.transfer import ReplayedAttack

RUN = {
    "experiment": "tiny",
    "dataset": "tiny",
    "paper_dataset": "mnist",
    "architecture": "lenet1",
    "scale": "test",
    "train_size": None,
    "test_size": None,
    "eval_batch_size": 10,
    "failure_indicators": {"examples": 500, "probe_steps": 10},
}
IFGSM = {
    "id": "ifgsm_native",
    "class": "ifgsm",
    "threat": "transfer",
    "params": {"eps": 0.2, "alpha": 0.05, "steps": 4},
}


@pytest.fixture
def files(tiny_splits, tmp_path):
    """A prepared dataset, a source and a target model, as the workflow's files."""
    paths = {"data": save_prepared(tiny_splits, tmp_path / "data.pt")}
    for seed, name in ((0, "source"), (1, "target")):
        torch.manual_seed(seed)
        paths[name] = str(tmp_path / f"{name}.pt")
        model_files.save_model(paths[name], model_files.model_for(tiny_splits, "lenet1"))
    return paths


def crafting(files, specs, sets, seed=0) -> dict:
    """A work item of jobs.craft_transfer_sets: the sets of ``specs`` on the source model."""
    run = {**RUN, "method": "Native"}
    return {"model": files["source"], "run": run, "seed": seed, "attacks": specs, "sets": sets}


def craft(files, tmp_path, spec=IFGSM, seed=0):
    out = tmp_path / f"{spec['id']}.pt"
    jobs.craft_transfer_sets(
        files["data"], [crafting(files, [spec], [str(out)], seed)], device="cpu", progress=False
    )
    return out


def evaluation(model, specs, records, sets=None, seed=0, adversarial=()) -> dict:
    """A work item of jobs.evaluate_models: ``model`` under ``specs`` (DunDi's run)."""
    return {
        "model": model,
        "run": {**RUN, "method": "DunDi", "method_class": "dundi"},
        "seed": seed,
        "attacks": specs,
        "transfer_sets": sets or {},
        "records": records,
        "adversarial": list(adversarial),
    }


def record(files, tmp_path, transfer_set, spec=IFGSM):
    out = tmp_path / "record.json"
    job = evaluation(files["target"], [spec], [str(out)], {spec["id"]: str(transfer_set)})
    jobs.evaluate_models(files["data"], [job], device="cpu", progress=False)
    return io.read_json(out)


def test_replayed_set_gives_the_record_of_crafting_in_the_evaluation(files, tiny_splits, tmp_path):
    target = model_files.load_model(files["target"], torch.device("cpu"))
    source = model_files.load_model(files["source"], torch.device("cpu"))
    torch.manual_seed(0)
    direct = evaluate(
        target,
        build_attack("ifgsm", source, **IFGSM["params"]),
        tiny_splits.x_test,
        tiny_splits.y_test,
        RUN["eval_batch_size"],
        progress=False,
    )
    replayed = record(files, tmp_path, craft(files, tmp_path))
    assert replayed["correct"] == direct["correct"] and replayed["predicted"] == direct["predicted"]
    assert replayed["source"] == files["source"] and replayed["threat"] == "transfer"
    assert 0 < replayed["accuracy"] < 1
    with torch.no_grad():
        clean = (target(tiny_splits.x_test).argmax(1) == tiny_splits.y_test).float().mean().item()
    assert replayed["clean_accuracy"] == pytest.approx(clean)
    # transfer failure: of the examples that fooled the source, those the target resists
    source_fooled = ~io.load_torch(craft(files, tmp_path))["source_correct"]
    failure = replayed["indicators"]["transfer_failure"]
    resisted = source_fooled & torch.tensor(replayed["correct"], dtype=torch.bool)
    assert failure["checked"] == int(source_fooled.sum()) and failure["count"] == int(
        resisted.sum()
    )
    assert replayed["family"] == "transfer"


def test_replay_refuses_a_set_of_another_attack_or_other_inputs(files, tiny_splits, tmp_path):
    saved = io.load_torch(craft(files, tmp_path))
    x, rows = tiny_splits.x_test, torch.arange(len(tiny_splits.y_test))
    ReplayedAttack(saved, IFGSM, x, rows)  # the matching evaluation accepts it
    stronger = {**IFGSM, "params": {**IFGSM["params"], "eps": 0.3}}
    with pytest.raises(ValueError, match="params"):
        ReplayedAttack(saved, stronger, x, rows)
    with pytest.raises(ValueError, match="other test rows"):
        ReplayedAttack(saved, IFGSM, x[:-1], rows[:-1])
    with pytest.raises(ValueError, match="other clean inputs"):
        ReplayedAttack(saved, IFGSM, x.flip(0), rows)


def test_replay_checks_the_budget_again(files, tiny_splits, tmp_path):
    saved = io.load_torch(craft(files, tmp_path))
    saved["x"] = (saved["x"] + 0.25).clamp(0, 1)  # edited after crafting: beyond eps 0.2
    replay = ReplayedAttack(saved, IFGSM, tiny_splits.x_test, torch.arange(len(tiny_splits.y_test)))
    with pytest.raises(BudgetViolation):
        evaluate(
            model_files.load_model(files["target"], torch.device("cpu")),
            replay,
            tiny_splits.x_test,
            tiny_splits.y_test,
            10,
            progress=False,
        )


def test_only_classes_sets_hold_the_attacked_rows_in_test_order(files, tiny_splits, tmp_path):
    spec = {**IFGSM, "id": "ifgsm_some", "only_classes": ["3", "7"]}
    saved = io.load_torch(craft(files, tmp_path, spec))
    expected = torch.isin(tiny_splits.y_test, torch.tensor([3, 7])).nonzero().flatten()
    assert torch.equal(saved["index"], expected) and len(saved["x"]) == len(expected)
    result = record(files, tmp_path, craft(files, tmp_path, spec), spec)
    assert result["attacked"] == len(expected)


def test_attacks_crafting_the_same_examples_share_one_set():
    source = {"method": "Native", "seed": None}
    attack = {"class": "jsma", "threat": "transfer", "source": source, "params": {"gamma": 0.1}}
    config = {
        "experiments": {
            "lenet": {
                "transfer_source": {"method": "standard", "seed": 100},
                "attacks": {
                    "fgsm": {"class": "fgsm", "threat": "whitebox", "params": {"eps": 0.3}},
                    "jsma_native": attack,
                    "jsma_native_o1": {
                        **attack,
                        "classifier": {"n": 1},
                    },  # target-side only: shared
                    "jsma_other": {**attack, "params": {"gamma": 0.2}},
                    "bim": {"class": "bim", "threat": "transfer", "params": {"eps": 0.3}},
                },
            }
        }
    }
    assert transfer_crafting(config, "lenet", "jsma_native_o1") == ("jsma_native", "Native", None)
    assert transfer_crafting(config, "lenet", "jsma_other") == ("jsma_other", "Native", None)
    assert transfer_crafting(config, "lenet", "bim") == ("bim", "standard", 100)


def test_one_job_per_model_writes_the_records_of_one_job_per_attack(files, tmp_path):
    """evaluation_jobs: per_model runs a model's attacks in one process: the same records
    (white-box with a seeded random start, and a replayed transfer set) and kept examples."""
    pgd = {
        "id": "pgd",
        "class": "pgd",
        "threat": "whitebox",
        "params": {"eps": 0.2, "alpha": 0.05, "steps": 3, "random_start": True},
    }
    specs, transfer = [pgd, IFGSM], str(craft(files, tmp_path))
    sets = {IFGSM["id"]: transfer}
    alone = []
    for spec in specs:
        out = str(tmp_path / f"alone_{spec['id']}.json")
        job = evaluation(files["target"], [spec], [out], sets)
        jobs.evaluate_models(files["data"], [job], device="cpu", progress=False)
        alone.append(io.read_json(out))
    records = [str(tmp_path / f"together_{spec['id']}.json") for spec in specs]
    kept = [str(tmp_path / f"together_{spec['id']}.pt") for spec in specs]
    job = evaluation(files["target"], specs, records, sets, adversarial=kept)
    jobs.evaluate_models(files["data"], [job], device="cpu", progress=False)
    for one, path, adversarial in zip(alone, records, kept):
        together = io.read_json(path)
        for key in (
            "correct",
            "predicted",
            "accuracy",
            "clean_accuracy",
            "transfer_set",
            "indicators",
            "attack",
            "threat",
        ):
            assert together[key] == one[key], key
        assert io.load_torch(adversarial)["attack"] == one["attack"]
    assert 0 < alone[0]["accuracy"] < 1 or 0 < alone[1]["accuracy"] < 1
    with pytest.raises(ValueError, match="2 attacks but 1 records"):
        jobs.evaluate_models(
            files["data"], [evaluation(files["target"], specs, records[:1])], device="cpu"
        )


def test_one_job_per_experiment_writes_the_records_of_one_job_per_model(files, tmp_path):
    """evaluation_jobs: per_experiment runs every model of an experiment in one process: the
    same records as one job per model, for each model (here two, one with a transfer set)."""
    pgd = {
        "id": "pgd",
        "class": "pgd",
        "threat": "whitebox",
        "params": {"eps": 0.2, "alpha": 0.05, "steps": 3, "random_start": True},
    }
    transfer = str(craft(files, tmp_path))
    models = [
        (files["target"], [pgd, IFGSM], {IFGSM["id"]: transfer}),
        (files["source"], [pgd], {}),
    ]
    evaluations, alone = [], []
    for i, (model, specs, sets) in enumerate(models):
        per_model = [str(tmp_path / f"model{i}_{spec['id']}.json") for spec in specs]
        job = evaluation(model, specs, per_model, sets, seed=i)
        jobs.evaluate_models(files["data"], [job], device="cpu", progress=False)
        alone += [io.read_json(path) for path in per_model]
        records = [str(tmp_path / f"all{i}_{spec['id']}.json") for spec in specs]
        evaluations.append(evaluation(model, specs, records, sets, seed=i))
    jobs.evaluate_models(files["data"], evaluations, device="cpu", progress=False)
    together = [io.read_json(path) for e in evaluations for path in e["records"]]
    assert len(together) == len(alone) == 3
    for one, other in zip(alone, together):
        for key in ("correct", "predicted", "accuracy", "indicators", "attack", "seed"):
            assert other[key] == one[key], key
    assert together[0]["predicted"] != together[2]["predicted"]  # two models, not one twice


def test_one_job_per_source_model_crafts_the_sets_of_one_job_per_attack(files, tmp_path):
    """evaluation_jobs: per_model crafts every transfer set of a source model in one process:
    the same examples as one job per attack (each seeded alike)."""
    fgsm = {"id": "fgsm_native", "class": "fgsm", "threat": "transfer", "params": {"eps": 0.2}}
    specs = [IFGSM, fgsm]
    alone = [io.load_torch(craft(files, tmp_path, spec)) for spec in specs]
    together = [str(tmp_path / f"together_{spec['id']}.pt") for spec in specs]
    jobs.craft_transfer_sets(
        files["data"], [crafting(files, specs, together)], device="cpu", progress=False
    )
    for one, path in zip(alone, together):
        other = io.load_torch(path)
        assert torch.equal(one["x"], other["x"])
        assert one["attack"] == other["attack"]
    with pytest.raises(ValueError, match="2 attacks but 1 sets"):
        jobs.craft_transfer_sets(files["data"], [crafting(files, specs, together[:1])])
