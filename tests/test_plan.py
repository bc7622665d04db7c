"""The plan (advrepro.plan): which models an experiment trains, in which order, which source
models' transfer sets one job crafts, and which job does each work item; the rules, the cost
estimate and the reporting cells all ask it."""

from __future__ import annotations

import pytest

from advrepro import paths, plan
from advrepro.config import expand_sweeps


def _config(evaluation_jobs="per_model"):
    def method(init_from=None):
        return {"class": "standard", "options": {"init_from": init_from} if init_from else {}}

    fgsm = {"class": "fgsm", "threat": "transfer", "params": {"eps": 0.3}}
    return {
        "experiments": {
            "lenet": {
                "evaluation_jobs": evaluation_jobs,
                "seeds": [0, 1],
                "transfer_source": {"method": "Native", "seed": None},
                # listed before the model it starts from: the plan must reorder
                "methods": {"DunDi_P": method("Native"), "Native": method(), "standard": method()},
                "attacks": {
                    "fgsm_native": fgsm,
                    "fgsm_native_o1": {**fgsm, "classifier": {"n": 1}},
                    "bim": {**fgsm, "class": "bim", "source": {"method": "standard", "seed": 100}},
                    "pgd": {
                        "class": "pgd",
                        "threat": "whitebox",
                        "methods": ["DunDi_P"],
                        "params": {},
                    },
                },
            }
        }
    }


def test_models_come_after_the_model_they_start_from_and_sources_have_their_seed():
    models = plan.experiment_models(_config(), "lenet")
    assert sorted(models) == sorted(
        [(m, s) for m in ("DunDi_P", "Native", "standard") for s in (0, 1)] + [("standard", 100)]
    )
    for seed in (0, 1):
        assert models.index(("Native", seed)) < models.index(("DunDi_P", seed))


def test_a_cycle_of_init_from_is_an_error_naming_the_experiment():
    config = _config()
    config["experiments"]["lenet"]["methods"]["Native"]["options"] = {"init_from": "DunDi_P"}
    with pytest.raises(ValueError, match="experiments.lenet"):
        plan.experiment_models(config, "lenet")


def test_one_crafting_job_per_source_model_and_seed():
    jobs = plan.crafting_jobs_per_source(_config())
    # fgsm_native_o1 replays fgsm_native's set: one set, crafted once
    assert jobs == [("lenet", "Native", None, ["fgsm_native"]), ("lenet", "standard", 100, ["bim"])]
    assert plan.crafting_jobs_per_source(_config("per_attack")) == []


def test_only_the_transfer_sets_an_evaluation_replays_are_crafted():
    config = _config()
    experiment = config["experiments"]["lenet"]
    experiment["attacks"]["bim"]["methods"] = ["KD_BU"]  # a method this experiment lacks
    assert plan.crafting_jobs_per_source(config) == [("lenet", "Native", None, ["fgsm_native"])]
    experiment["methods"] = {}  # switched off (every method null): nothing to craft
    assert plan.crafting_jobs_per_source(config) == []


def test_gpu_slots_follow_the_experiments_gpu_share():
    assert plan.gpu_slots({"gpu_share": 0.25}) == 25
    assert plan.gpu_slots({"gpu_share": 1}) == 100
    assert plan.gpu_slots({"gpu_share": 0.001}) == 1  # a job always holds a slot


def test_attacks_limited_to_some_methods_apply_to_those_only():
    experiment = _config()["experiments"]["lenet"]
    assert plan.model_attacks(experiment, "DunDi_P") == [
        "fgsm_native",
        "fgsm_native_o1",
        "bim",
        "pgd",
    ]
    assert plan.model_attacks(experiment, "Native") == ["fgsm_native", "fgsm_native_o1", "bim"]
    assert not plan.attack_applies(experiment, "KD_BU", "fgsm_native")  # not a method here


def _swept(evaluation_jobs):
    """_config() with an eps sweep of PGD on DunDi_P (expanded as validation does)."""
    config = _config(evaluation_jobs)
    experiment = config["experiments"]["lenet"]
    experiment["training_jobs"] = "per_model"
    experiment["attacks"]["pgd_sweep"] = {
        "class": "pgd",
        "threat": "whitebox",
        "methods": ["DunDi_P"],
        "params": {"steps": 5},
        "eps_sweep": [0.1, 0.3],
    }
    return expand_sweeps(config)


def test_an_eps_sweep_is_one_job_per_model_in_a_per_attack_experiment():
    config = _swept("per_attack")
    budgets = ("pgd_sweep_eps0p1", "pgd_sweep_eps0p3")
    assert plan.sweep_budgets(config["experiments"]["lenet"]) == {"pgd_sweep": list(budgets)}
    group = plan.AttackGroup(
        "evaluate_sweep_lenet_pgd_sweep", "lenet", None, ("DunDi_P",), budgets, "pgd_sweep"
    )
    assert plan.attack_groups(config) == [group]
    # every budget of one model in the same job; a plain attack in its own
    keys = {plan.job_of(config, "evaluate", "lenet", "DunDi_P", 0, a) for a in budgets}
    assert keys == {plan.JobKey("evaluate", "lenet", "DunDi_P", 0, "pgd_sweep")}
    assert str(keys.pop()) == "evaluate/lenet/DunDi_P/0/pgd_sweep"
    pgd = plan.job_of(config, "evaluate", "lenet", "DunDi_P", 0, "pgd")
    assert pgd.unit == "pgd"
    assert pgd.benchmark_file() == paths.benchmark_file("evaluate", "lenet", "DunDi_P", 0, "pgd")
    assert plan.job_of(config, "craft_transfer", "lenet", "Native", 1, "fgsm_native").unit


def test_a_per_model_experiment_evaluates_all_attacks_of_a_model_in_one_job():
    config = _swept("per_model")
    groups = {g.rule: g for g in plan.attack_groups(config)}
    assert set(groups) == {f"evaluate_model_lenet_{m}" for m in ("DunDi_P", "Native", "standard")}
    dundi = groups["evaluate_model_lenet_DunDi_P"]
    assert dundi.method == "DunDi_P" and dundi.sweep is None
    assert dundi.attacks == tuple(plan.model_attacks(config["experiments"]["lenet"], "DunDi_P"))
    assert {"pgd", "pgd_sweep_eps0p1"} <= set(dundi.attacks)
    model = plan.JobKey("evaluate", "lenet", "DunDi_P", 0)
    assert {plan.job_of(config, "evaluate", "lenet", "DunDi_P", 0, a) for a in dundi.attacks} == {
        model
    }
    # its transfer sets: one crafting job per source model
    crafting = plan.job_of(config, "craft_transfer", "lenet", "Native", 1, "fgsm_native")
    assert crafting == plan.JobKey("craft_transfer", "lenet", "Native", 1)


def test_a_per_experiment_job_covers_every_model():
    config = _swept("per_experiment")
    assert plan.attack_groups(config) == []
    key = plan.job_of(config, "evaluate", "lenet", "Native", 1, "bim")
    assert key == plan.JobKey("evaluate", "lenet") and str(key) == "evaluate/lenet"
    assert key.benchmark_file() == paths.experiment_benchmark_file("evaluate", "lenet")
    config["experiments"]["lenet"]["training_jobs"] = "per_experiment"
    assert plan.job_of(config, "train", "lenet", "Native", 1, None) == plan.JobKey("train", "lenet")
