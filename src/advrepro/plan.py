"""Which models and attacks a validated config plans, asked by every consumer: the rules
(workflow/rules/common.smk), the cost estimate (advrepro.cost) and the reporting cells. No
torch import: the planners run inside Snakemake's process.

``config`` is the merged, validated config (advrepro.config.validate); ``experiment`` one of
its ``experiments`` entries."""

from __future__ import annotations

from advrepro.config import transfer_crafting


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


def gpu_slots(experiment: dict) -> int:
    """Slots of a GPU (100 per GPU) that one training or attack job of ``experiment`` holds on
    one machine: its gpu_share, so four MNIST-size jobs (gpu_share 0.25) share one GPU."""
    return max(1, round(100 * experiment["gpu_share"]))
