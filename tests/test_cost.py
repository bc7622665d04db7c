"""The cost estimate plans exactly the jobs Snakemake plans, and prices them from the passes
each method and attack declares."""

from __future__ import annotations

import functools
import re
import subprocess
import sys

import pytest
import torch
from conftest import REPO

from advrepro import cost, plan
from advrepro.attacks import ATTACKS
from advrepro.config import ATTACK_OPTION_DEFAULTS
from advrepro.plan import load as load_layers

LAYERS = [REPO / "config/config.yaml", REPO / "config/demo.yaml", REPO / ".test/config.yaml"]


@functools.cache
def snakemake_dry_run() -> str:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "--forceall",
            "--configfile",
            *map(str, LAYERS[1:]),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def snakemake_job_counts() -> dict[str, int]:
    stats = snakemake_dry_run().split("Job stats:")[1]
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", stats, re.M)}


def test_the_plan_names_the_jobs_snakemake_plans():
    """Each work item's job (advrepro.plan.job_of) is one Snakemake plans, and every training,
    crafting and evaluation job Snakemake plans is one of them: compared by benchmark file,
    which each such rule names from its job's wildcards (a sweep's budgets, a model's attacks
    or an experiment's models share one)."""
    config = load_layers(LAYERS, cost.SCHEMA)
    planned = {
        plan.job_of(config, j.stage, j.experiment, j.method, j.seed, j.attack).benchmark_file()
        for j in cost.planned_jobs(config)
    }
    scheduled = set(re.findall(r"^    benchmark: (\S+)$", snakemake_dry_run(), re.M))
    assert planned == scheduled
    # the tiny config has an eps sweep run as one job per model (rules evaluate_sweep_*)
    assert any(rule.startswith("evaluate_sweep_") for rule in snakemake_job_counts())


def test_planned_jobs_are_the_jobs_snakemake_plans():
    jobs = cost.planned_jobs(load_layers(LAYERS, cost.SCHEMA))
    counts = snakemake_job_counts()
    config = load_layers(LAYERS, cost.SCHEMA)
    experiments = config["experiments"]
    # training_jobs: one job per model (rule train), or one per experiment (rules train_<exp>)
    trained = [job for job in jobs if job.stage == "train"]
    per_model = [j for j in trained if experiments[j.experiment]["training_jobs"] == "per_model"]
    per_experiment = {j.experiment for j in trained} - {j.experiment for j in per_model}
    assert per_model and per_experiment  # the tiny config runs both kinds
    assert len(per_model) == counts["train"]
    assert all(counts[f"train_{name}"] == 1 for name in per_experiment)
    # transfer sets: one job per set (rule craft_transfer), or one per source model with the
    # evaluations (rules craft_transfer_<exp>_<source>[_seed<seed>])
    crafted = [job for job in jobs if job.stage == "craft_transfer"]
    per_set = [j for j in crafted if experiments[j.experiment]["evaluation_jobs"] == "per_attack"]
    per_source = {(j.experiment, j.method, j.seed) for j in crafted} - {
        (j.experiment, j.method, j.seed) for j in per_set
    }
    assert per_set and per_source
    assert len(per_set) == counts["craft_transfer"]
    assert len(per_source) == sum(
        n for rule, n in counts.items() if rule.startswith("craft_transfer_")
    )
    # evaluation_jobs: one job per (model, attack), one per model (rules evaluate_model_*) or
    # one per experiment (rules evaluate_<experiment>)
    evaluations = [job for job in jobs if job.stage == "evaluate"]
    kinds = {
        kind: [j for j in evaluations if experiments[j.experiment]["evaluation_jobs"] == kind]
        for kind in ("per_attack", "per_model", "per_experiment")
    }
    assert all(kinds.values())  # the tiny config runs every kind
    per_attack = {  # an eps sweep's budgets: one job per model
        (
            j.experiment,
            j.method,
            j.seed,
            (experiments[j.experiment]["attacks"][j.attack].get("sweep") or {}).get(
                "attack", j.attack
            ),
        )
        for j in kinds["per_attack"]
    }
    assert len(per_attack) == sum(
        n
        for rule, n in counts.items()
        if rule in ("evaluate", "evaluate_keeping_adversarial")
        or rule.startswith("evaluate_sweep_")
    )
    assert len({(j.experiment, j.method, j.seed) for j in kinds["per_model"]}) == sum(
        n for rule, n in counts.items() if rule.startswith("evaluate_model_")
    )
    assert all(counts[f"evaluate_{j.experiment}"] == 1 for j in kinds["per_experiment"])


def test_costs_follow_declared_passes():
    config = load_layers(LAYERS, cost.SCHEMA)
    jobs = {(j.experiment, j.method, j.seed, j.attack): j for j in cost.planned_jobs(config)}
    mnist = config["experiments"]["mnist"]
    test_n = mnist["test_size"]
    pgd = mnist["attacks"]["pgd100_r20"]["params"]
    record = jobs[("mnist", "AT", 0, "pgd100_r20")]
    # + the attack-failure indicators: one input gradient per checked example, and the probe
    # steps after a white-box gradient attack
    checked = min(config["failure_indicators"]["examples"], test_n)
    probe = config["failure_indicators"]["probe_steps"]
    assert record.gradient_passes == pgd["steps"] * pgd["restarts"] * test_n + checked * (1 + probe)
    clean = jobs[("mnist", "AT", 0, "clean")]
    assert clean.gradient_passes == checked and clean.forward_passes == 3 * test_n + checked
    train_n, epochs = mnist["train_size"], mnist["train"]["epochs"]
    at_steps = mnist["methods"]["AT"]["options"]["steps"]
    assert jobs[("mnist", "AT", 0, None)].gradient_passes == epochs * train_n * (at_steps + 1)
    assert jobs[("mnist", "MCT", 0, None)].gradient_passes == epochs * train_n * 2
    # a transfer attack is paid once, by the job crafting it on the source model
    bim = mnist["attacks"]["bim40"]["params"]
    crafting = [
        j
        for j in jobs.values()
        if j.stage == "craft_transfer" and j.attack == "bim40" and j.experiment == "mnist"
    ]
    assert [(j.method, j.seed) for j in crafting] == [("standard", 100)]
    assert crafting[0].gradient_passes == bim["steps"] * test_n
    assert jobs[("mnist", "AT", 0, "bim40")].gradient_passes == checked  # indicators only


@pytest.mark.parametrize("name", ATTACKS.names())
def test_every_attack_declares_a_cost(name):
    # passes() gets every option, the constructor's defaults filled in (as cost.estimate does)
    params = {**ATTACK_OPTION_DEFAULTS[name], "steps": 3, "eps": 0.1}
    gradient, forward = ATTACKS.get(name).passes(params, 10, 784)
    assert gradient >= 0 and forward >= 0 and gradient + forward > 0


def test_estimate_prices_jobs_with_measured_unit_costs():
    config = load_layers(LAYERS, cost.SCHEMA)
    config["experiments"] = {"mnist": config["experiments"]["mnist"]}
    table, units = cost.estimate(config, torch.device("cpu"), batch_size=4, job_startup=2.0)
    assert list(units.architecture) == ["mnist_cnn"]
    unit = units.iloc[0]
    # the start-up once per job: the budgets of an eps sweep share theirs
    first_of_job = ~table.job.duplicated()
    sweep = table.attack.str.startswith("pgd40_sweep_eps", na=False)
    assert sweep.sum() > 1 and not first_of_job[sweep].all()
    expected = (
        table.gradient_passes * unit.gradient_s_per_example
        + table.forward_passes * unit.forward_s_per_example
        + 2.0 * first_of_job
    )
    assert (table.seconds - expected).abs().max() < 1e-9
    assert (table.seconds[first_of_job] > 2.0).all()


@pytest.mark.parametrize("evaluation_jobs", ["per_model", "per_experiment"])
def test_one_job_for_many_work_items_pays_one_start_up(evaluation_jobs):
    """training_jobs: per_experiment and evaluation_jobs: per_model or per_experiment (the
    demo's LeNet-1): the start-up is priced once per job, not once per model, transfer set or
    attack."""
    config = load_layers(LAYERS, cost.SCHEMA)
    experiment = config["experiments"]["dundi_lenet1"]
    config["experiments"] = {"dundi_lenet1": {**experiment, "evaluation_jobs": evaluation_jobs}}
    # a start-up far above any work item's own seconds (LeNet-1's JSMA over every target class
    # is ~10^4 s on a CPU), so each item's count of start-ups is its seconds // start-up
    table, _ = cost.estimate(config, torch.device("cpu"), batch_size=4, job_startup=1e9)
    startups = (table.seconds // 1e9).astype(int)
    by_stage = startups.groupby(table.stage).sum()
    assert (table.stage == "train").sum() > 1 and by_stage["train"] == 1
    assert by_stage["craft_transfer"] == 1  # one source model (Native), one seed
    models = table[table.stage == "evaluate"][["method", "seed"]].drop_duplicates()
    assert len(models) > 1
    assert by_stage["evaluate"] == (len(models) if evaluation_jobs == "per_model" else 1)
    # the summary counts Snakemake's jobs, and a job's hours are those of all its work items
    evaluate = cost.summary(table).set_index("stage").loc["evaluate"]
    assert evaluate.jobs == by_stage["evaluate"]
    evaluations = table[table.stage == "evaluate"]
    per_job = evaluations.groupby(["method", "seed"] if evaluation_jobs == "per_model" else "stage")
    assert evaluate.longest_job_hours == pytest.approx(per_job.seconds.sum().max() / 3600)
