"""Which models and attacks a validated config plans, asked by every consumer: the rules
(workflow/rules/common.smk), the cost estimate (advrepro.cost) and the reporting cells. No
torch import: the planners run inside Snakemake's process.

``config`` is the plan: the merged, validated config as the jobs run it
(advrepro.config.as_planned: eps sweeps one attack per budget, the masking checks' own attacks
added; ``load`` reads it from config files); ``experiment`` one of its ``experiments``
entries. ``python -m advrepro.plan --configfile FILES`` prints every planned attack with its
settings."""

from __future__ import annotations

from dataclasses import dataclass

from advrepro import paths
from advrepro.config import (
    SCHEMA_FILE,
    as_planned,
    experiment_settings,
    load_layers,
    transfer_crafting,
)


def run_params(config: dict, experiment: str, method: str | None = None) -> dict:
    """Everything a training or evaluation job of (experiment, method) depends on: the
    ``run`` every job function of advrepro.jobs takes."""
    exp = config["experiments"][experiment]
    run = {
        "experiment": experiment,
        "dataset": exp["dataset"],
        "paper_dataset": exp["paper_dataset"],
        "architecture": exp["architecture"],
        "train_size": exp["train_size"],
        "test_size": exp["test_size"],
        "eval_batch_size": exp["eval_batch_size"],
        "scale": config["scale"],
        "performance": config["performance"],
        "failure_indicators": config["failure_indicators"],
    }
    if method is not None:
        spec = exp["methods"][method]
        run.update(
            method=method,
            method_class=spec["class"],
            method_options=spec["options"],
            train=experiment_settings(config, experiment, method),
        )
    return run


def attack_spec(config: dict, experiment: str, attack: str) -> dict:
    """One attack entry of an experiment as the jobs take it: its id and its settings."""
    return {"id": attack, **config["experiments"][experiment]["attacks"][attack]}


def transfer_set_of(config: dict, experiment: str, attack: str, seed: int) -> str | None:
    """The transfer set an evaluation of a seed-``seed`` model replays; None for a white-box
    attack."""
    if config["experiments"][experiment]["attacks"][attack]["threat"] != "transfer":
        return None
    crafted, source, source_seed = transfer_crafting(config, experiment, attack)
    # seed None: the source model of the target's own seed (e.g. DunDi's native model)
    return paths.transfer_set_file(
        experiment, source, seed if source_seed is None else source_seed, crafted
    )


def training(config: dict, experiment: str, method: str, seed: int | str) -> dict:
    """One work item of advrepro.jobs.train_models: the model (experiment, method, seed)."""
    init_from = config["experiments"][experiment]["methods"][method]["options"].get("init_from")
    return {
        "run": run_params(config, experiment, method),
        "seed": int(seed),
        "checkpoint": paths.checkpoint_file(experiment, method, seed),
        "model": paths.model_file(experiment, method, seed),
        "history": paths.history_file(experiment, method, seed),
        "init_model": paths.model_file(experiment, init_from, seed) if init_from else None,
    }


def crafting(
    config: dict, experiment: str, source: str, seed: int | str, attacks: list[str]
) -> dict:
    """One work item of advrepro.jobs.craft_transfer_sets: the transfer sets of ``attacks``
    crafted on the source model (experiment, source, seed)."""
    return {
        "model": paths.model_file(experiment, source, seed),
        "run": run_params(config, experiment, source),
        "seed": int(seed),
        "attacks": [attack_spec(config, experiment, a) for a in attacks],
        "sets": [paths.transfer_set_file(experiment, source, seed, a) for a in attacks],
    }


def transfer_sets_of(config: dict, experiment: str, attacks, seed: int | str) -> dict[str, str]:
    """Attack id -> the transfer set each transfer attack among ``attacks`` replays on a
    seed-``seed`` model."""
    sets = {a: transfer_set_of(config, experiment, a, int(seed)) for a in attacks}
    return {attack: path for attack, path in sets.items() if path}


def evaluation(
    config: dict, experiment: str, method: str, seed: int | str, attacks: list[str]
) -> dict:
    """One work item of advrepro.jobs.evaluate_models: the model (experiment, method, seed)
    under ``attacks``, with the transfer sets they replay and the files they write."""
    exp = config["experiments"][experiment]
    return {
        "model": paths.model_file(experiment, method, seed),
        "run": run_params(config, experiment, method),
        "seed": int(seed),
        "attacks": [attack_spec(config, experiment, a) for a in attacks],
        "transfer_sets": transfer_sets_of(config, experiment, attacks, seed),
        "records": [paths.record_file(experiment, method, seed, a) for a in attacks],
        "adversarial": (
            [paths.adversarial_file(experiment, method, seed, a) for a in attacks]
            if exp["save_adversarial"]
            else []
        ),
    }


def attack_applies(experiment: dict, method: str, attack: str) -> bool:
    """Whether the config evaluates ``method`` under ``attack`` (it may be disabled, or limited
    to some methods by the attack's ``methods``, e.g. in the demo)."""
    spec = experiment["attacks"].get(attack)
    if spec is None or method not in experiment["methods"]:
        return False
    return not spec.get("methods") or method in spec["methods"]


def model_attacks(experiment: dict, method: str) -> list[str]:
    """The attacks an experiment evaluates on one of its methods, in config order."""
    return [a for a in experiment["attacks"] if attack_applies(experiment, method, a)]


def experiment_models(config: dict, name: str) -> list[tuple[str, int]]:
    """(method, seed) of every model an experiment trains: each method at each seed, and the
    transfer sources with a seed of their own (MCT's BIM source, seed 100); each model after
    the model it starts from (option init_from), so one job can train them in this order."""
    exp = config["experiments"][name]
    models = [(method, seed) for method in exp["methods"] for seed in exp["seeds"]]
    for attack, spec in exp["attacks"].items():
        if spec.get("threat") == "transfer":
            _, source, source_seed = transfer_crafting(config, name, attack)
            if source_seed is not None and (source, source_seed) not in models:
                models.append((source, source_seed))
    ordered: list[tuple[str, int]] = []
    while models:
        ready = [
            (method, seed)
            for method, seed in models
            if exp["methods"][method]["options"].get("init_from")
            in (None, *(m for m, s in ordered if s == seed))
        ]
        if not ready:
            raise ValueError(f"experiments.{name}: the init_from of {models} form a cycle")
        ordered += ready
        models = [model for model in models if model not in ready]
    return ordered


def crafting_jobs_per_source(config: dict) -> list[tuple[str, str, int | None, list[str]]]:
    """(experiment, source method, source seed, crafted attack ids) of each source model whose
    transfer sets one job crafts (experiments whose evaluation_jobs are not per_attack): only
    the sets some evaluation replays, so an experiment switched off (every method null) crafts
    nothing. Source seed None: the source of each target's own seed (DunDi's native model), one
    job per seed."""
    groups: dict[tuple, list[str]] = {}
    for name, exp in config["experiments"].items():
        if exp["evaluation_jobs"] == "per_attack":
            continue
        for attack, spec in exp["attacks"].items():
            replayed = any(attack_applies(exp, method, attack) for method in exp["methods"])
            if spec.get("threat") == "transfer" and replayed:
                crafted, source, seed = transfer_crafting(config, name, attack)
                group = groups.setdefault((name, source, seed), [])
                if crafted not in group:
                    group.append(crafted)
    return [(*key, crafted) for key, crafted in groups.items()]


def evaluated_models(experiment: dict) -> list[tuple[str, int, list[str]]]:
    """(method, seed, attacks) of every model an experiment evaluates, in config order (the
    transfer sources with a seed of their own are only crafted on, never evaluated)."""
    return [
        (method, seed, attacks)
        for method in experiment["methods"]
        if (attacks := model_attacks(experiment, method))
        for seed in experiment["seeds"]
    ]


def sweep_budgets(experiment: dict) -> dict[str, list[str]]:
    """Eps sweep id -> the attack ids of its budgets (advrepro.config.expand_sweeps made one
    attack per budget), in config order."""
    budgets: dict[str, list[str]] = {}
    for attack, spec in experiment["attacks"].items():
        if spec.get("sweep"):
            budgets.setdefault(spec["sweep"]["attack"], []).append(attack)
    return budgets


@dataclass(frozen=True)
class AttackGroup:
    """Attacks of one model that one job evaluates in one process (rule ``rule``, script
    evaluate.py): every attack of a model, when its experiment's evaluation_jobs is
    per_model; the budgets of one eps sweep, when it is per_attack (a sweep is one attack entry
    of the config: its budgets run together, each still written as its own record)."""

    rule: str
    experiment: str
    method: str | None  # None: the rule's {method} wildcard, one of `methods`
    methods: tuple[str, ...]
    attacks: tuple[str, ...]
    sweep: str | None = None  # the eps sweep whose budgets these are


def attack_groups(config: dict) -> list[AttackGroup]:
    """Every AttackGroup the config plans: one per (experiment, method) of a per_model
    experiment, one per eps sweep of a per_attack experiment; each a rule, {seed} a wildcard."""
    groups = []
    for name, exp in config["experiments"].items():
        if exp["evaluation_jobs"] == "per_model":
            groups += [
                AttackGroup(f"evaluate_model_{name}_{method}", name, method, (method,), (*attacks,))
                for method in exp["methods"]
                if (attacks := model_attacks(exp, method))
            ]
        elif exp["evaluation_jobs"] == "per_attack":
            for sweep, budgets in sweep_budgets(exp).items():
                methods = tuple(m for m in exp["methods"] if attack_applies(exp, m, budgets[0]))
                if methods:
                    rule = f"evaluate_sweep_{name}_{sweep}"
                    groups.append(AttackGroup(rule, name, None, methods, (*budgets,), sweep))
    return groups


@dataclass(frozen=True)
class JobKey:
    """One Snakemake job of a training, crafting or evaluation rule, by what it covers: a
    whole experiment (method None), one model (unit None), or one model and one attack or
    eps sweep (unit)."""

    stage: str  # "train", "craft_transfer" or "evaluate"
    experiment: str
    method: str | None = None
    seed: int | None = None
    unit: str | None = None

    def __str__(self) -> str:
        parts = (self.stage, self.experiment, self.method, self.seed, self.unit)
        return "/".join(str(part) for part in parts if part is not None)

    def benchmark_file(self) -> str:
        """The job's Snakemake benchmark TSV (wall time, peak memory), as its rule names it."""
        if self.method is None:
            return paths.experiment_benchmark_file(self.stage, self.experiment)
        return paths.benchmark_file(self.stage, self.experiment, self.method, self.seed, self.unit)


def job_of(
    config: dict, stage: str, experiment: str, method: str, seed: int, attack: str | None
) -> JobKey:
    """The job that does one work item: a model's training (one job per model, or per
    experiment: training_jobs), a transfer set's crafting (per set, or per source model) or a
    model's evaluation under one attack (per attack, per eps sweep, per model or per
    experiment: evaluation_jobs). Work items of one job share its start-up (advrepro.cost)."""
    exp = config["experiments"][experiment]
    per = exp["training_jobs"] if stage == "train" else exp["evaluation_jobs"]
    if per == "per_experiment" and stage != "craft_transfer":
        return JobKey(stage, experiment)
    if stage == "train" or per != "per_attack":
        return JobKey(stage, experiment, method, seed)
    sweep = exp["attacks"][attack].get("sweep") if stage == "evaluate" else None
    return JobKey(stage, experiment, method, seed, sweep["attack"] if sweep else attack)


def gpu_slots(experiment: dict) -> int:
    """Slots of a GPU (100 per GPU) that one training or attack job of ``experiment`` holds on
    one machine: its gpu_share, so four MNIST-size jobs (gpu_share 0.25) share one GPU."""
    return max(1, round(100 * experiment["gpu_share"]))


def load(paths, schema_path=SCHEMA_FILE) -> dict:
    """The plan of config files, each merged on top of the ones before (validated first)."""
    return as_planned(load_layers(paths, schema_path))


def main(argv: list[str] | None = None) -> int:
    """Print the plan's experiments: every attack each evaluates, the eps sweeps' budgets and
    the masking checks' own attacks included, with all their settings."""
    import argparse
    import sys

    import yaml

    parser = argparse.ArgumentParser(prog="python -m advrepro.plan", description=main.__doc__)
    parser.add_argument(
        "--configfile", nargs="+", default=["config/config.yaml"], help="config files, merged"
    )
    parser.add_argument("--experiment", nargs="*", help="only these experiments")
    args = parser.parse_args(argv)
    plan = load(args.configfile)
    shown = {
        name: {"methods": list(exp["methods"]), "attacks": exp["attacks"]}
        for name, exp in plan["experiments"].items()
        if not args.experiment or name in args.experiment
    }

    class Dumper(yaml.SafeDumper):  # every entry written out, none as an alias of another
        def ignore_aliases(self, data):
            return True

    yaml.dump(shown, sys.stdout, Dumper=Dumper, sort_keys=False, width=100)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
