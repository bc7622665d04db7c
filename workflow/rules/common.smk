# Helpers shared by the stage files. Config validation (before any job runs), wildcard
# constraints, and the functions that turn the config into target paths and job parameters.
import sys
from pathlib import Path

# The library lives in src/ (pip installs it too). Jobs find it through the symlink
# workflow/scripts/advrepro, because Snakemake puts a script's own folder on sys.path; so a
# job works in a conda env that does not install the library, and on a cluster node.
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from advrepro import config as config_checks
from advrepro.provenance import config_hash


try:
    config_checks.validate(config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml")
except config_checks.ConfigError as error:
    raise WorkflowError(str(error)) from None

EXPERIMENTS = config["experiments"]
ARTIFACTS = config["artifacts"]
CONFIG_HASH = config_hash(config)


wildcard_constraints:
    experiment="|".join(EXPERIMENTS),
    method="[A-Za-z0-9_]+",
    attack="[A-Za-z0-9_]+",
    seed=r"\d+",
    dataset="[a-z0-9_]+",
    paper="mct|dundi",  # paper_figures/ours/ holds our own artifacts, each with its own rule


def dataset_file(experiment):
    return f"results/data/{EXPERIMENTS[experiment]['dataset']}.pt"


def model_file(experiment, method, seed):
    return f"results/{experiment}/models/{method}/seed{seed}.pt"


def record_file(experiment, method, seed, attack):
    return f"results/{experiment}/records/{method}/seed{seed}/{attack}.json"


def run_params(experiment, method=None):
    """Everything a training or evaluation job of (experiment, method) depends on."""
    exp = EXPERIMENTS[experiment]
    run = {
        "experiment": experiment,
        "dataset": exp["dataset"],
        "paper_dataset": exp["paper_dataset"],
        "architecture": exp["architecture"],
        "train_size": exp["train_size"],
        "test_size": exp["test_size"],
        "eval_batch_size": exp["eval_batch_size"],
        "scale": config["scale"],
    }
    if method is not None:
        spec = exp["methods"][method]
        run.update(
            method=method,
            method_class=spec["class"],
            method_options=spec["options"],
            train=config_checks.experiment_settings(config, experiment, method),
        )
    return run


def attack_spec(experiment, attack):
    spec = EXPERIMENTS[experiment]["attacks"][attack]
    return {"id": attack, **spec}


def transfer_source_file(wildcards):
    exp = EXPERIMENTS[wildcards.experiment]
    attack = exp["attacks"][wildcards.attack]
    if attack["threat"] != "transfer":
        return []
    source = attack.get("source") or exp["transfer_source"]
    # seed null: the source model of the target's own seed (e.g. DunDi's native model)
    seed = wildcards.seed if source["seed"] is None else source["seed"]
    return model_file(wildcards.experiment, source["method"], seed)


def init_model_file(wildcards):
    """The trained model a method starts from (option init_from), e.g. DunDi_P's native model."""
    spec = EXPERIMENTS[wildcards.experiment]["methods"][wildcards.method]
    init_from = spec["options"].get("init_from")
    return model_file(wildcards.experiment, init_from, wildcards.seed) if init_from else []


def artifact_records(artifact):
    """Every evaluation record an artifact is built from (methods the experiment trains)."""
    spec = ARTIFACTS[artifact]
    exp = EXPERIMENTS[spec["experiment"]]
    return [
        record_file(spec["experiment"], method, seed, column["attack"])
        for method in spec["methods"]
        if method in exp["methods"]
        for seed in exp["seeds"]
        for column in spec["columns"]
    ]


def artifact_outputs(artifact):
    spec = ARTIFACTS[artifact]
    stem = f"paper_figures/{spec['paper']}/{spec['item']}"
    return [f"{stem}.md", f"{stem}.csv", f"{stem}.tex"]


def artifact_by_target(wildcards):
    for name, spec in ARTIFACTS.items():
        if (spec["paper"], spec["item"]) == (wildcards.paper, wildcards.item):
            return name
    raise WorkflowError(f"no artifact paper_figures/{wildcards.paper}/{wildcards.item} in config")


def job_resources(kind):
    """Scheduler resources of one kind of job (train, evaluate, cpu) from config."""
    spec = config["resources"][kind]
    resources = {
        "mem_mb": spec["mem_mb"],
        # a job killed at its time limit is resubmitted (retries) with a longer limit
        "runtime": lambda wildcards, attempt: spec["runtime_min"] * attempt,
    }
    if spec["gpus"]:
        resources["gpu"] = spec["gpus"]
        if spec["gpu_model"]:
            resources["gpu_model"] = spec["gpu_model"]
    cluster = config["cluster"]
    partition = (cluster["gpu_partition"] or cluster["partition"]) if spec["gpus"] else cluster["partition"]
    if partition:
        resources["slurm_partition"] = partition
    if cluster["account"]:
        resources["slurm_account"] = cluster["account"]
    return resources


def experiment_records(experiment):
    """Every evaluation record of an experiment: each attack x the methods it evaluates x seed."""
    exp = EXPERIMENTS[experiment]
    return [
        record_file(experiment, method, seed, attack)
        for attack, spec in exp["attacks"].items()
        for method in spec.get("methods") or exp["methods"]
        for seed in exp["seeds"]
    ]


def all_histories():
    """The training history (epoch times) of every model of every experiment."""
    return [
        f"results/{experiment}/models/{method}/seed{seed}.json"
        for experiment, exp in EXPERIMENTS.items()
        for method in exp["methods"]
        for seed in exp["seeds"]
    ]


def all_targets():
    """Every artifact, the training-cost table, and every evaluation record of every experiment
    (each model under each attack of its experiment), so `snakemake` runs the whole config."""
    targets = [path for name in ARTIFACTS for path in artifact_outputs(name)]
    targets.append("paper_figures/ours/training_cost.md")
    for experiment in EXPERIMENTS:
        targets += experiment_records(experiment)
    return targets


# Seconds-long jobs run on the submitting host, not as cluster jobs; the data rule also needs
# the internet (or the mirror folders), which compute nodes often lack.
localrules:
    all,
    prepare_dataset,
    accuracy_table,
    training_cost,
