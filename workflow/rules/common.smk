# Helpers shared by all rule files: config validation (before any job runs), wildcard
# constraints, and the functions that turn the config into target paths and job parameters.
import os
import sys
from pathlib import Path

# The library lives in src/; jobs (local, conda or SLURM) import it from there.
_SRC = str(Path(workflow.basedir) / "src")
sys.path.insert(0, _SRC)
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (_SRC, os.environ.get("PYTHONPATH")) if p
)

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
    if exp["attacks"][wildcards.attack]["threat"] != "transfer":
        return []
    source = exp["transfer_source"]
    return model_file(wildcards.experiment, source["method"], source["seed"])


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


def all_artifacts():
    return [path for name in ARTIFACTS for path in artifact_outputs(name)]
