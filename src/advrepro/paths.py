"""Where every job's files live: the one place that spells the paths. The rules call these
with wildcard names ("{experiment}") for their patterns and the planners (common.smk's
functions, benchmarks/smoke.py) with values, so a path is never written twice."""

from __future__ import annotations


def dataset_file(dataset: str) -> str:
    return f"results/data/{dataset}.pt"


def model_file(experiment: str, method: str, seed) -> str:
    return f"results/{experiment}/models/{method}/seed{seed}.pt"


def history_file(experiment: str, method: str, seed) -> str:
    """The training history (epoch times, train accuracy) beside a model."""
    return f"results/{experiment}/models/{method}/seed{seed}.json"


def checkpoint_file(experiment: str, method: str, seed) -> str:
    return f"results/{experiment}/checkpoints/{method}/seed{seed}.pt"


def record_file(experiment: str, method: str, seed, attack: str) -> str:
    """One model's evaluation record under one attack."""
    return f"results/{experiment}/records/{method}/seed{seed}/{attack}.json"


def adversarial_file(experiment: str, method: str, seed, attack: str) -> str:
    return f"results/{experiment}/adversarial/{method}/seed{seed}/{attack}.pt"


def transfer_set_file(experiment: str, source_method: str, source_seed, attack: str) -> str:
    """A transfer attack's examples, crafted once on its source model (rule craft_transfer)."""
    return f"results/{experiment}/transfer/{source_method}/seed{source_seed}/{attack}.pt"


def job_file(
    kind: str,
    stage: str,
    experiment: str,
    method: str,
    seed,
    attack: str | None = None,
    suffix: str = "log",
) -> str:
    """A compute job's log (kind "logs") or Snakemake benchmark TSV (kind "benchmarks": wall
    time, peak memory): per (model, attack), or per model for training and for evaluation
    jobs that run all of a model's attacks (evaluation_jobs: per_model)."""
    tail = f"seed{seed}" if attack is None else f"seed{seed}/{attack}"
    return f"results/{experiment}/{kind}/{stage}/{method}/{tail}.{suffix}"


def benchmark_file(
    stage: str, experiment: str, method: str, seed, attack: str | None = None
) -> str:
    return job_file("benchmarks", stage, experiment, method, seed, attack, suffix="tsv")


def log_file(stage: str, experiment: str, method: str, seed, attack: str | None = None) -> str:
    return job_file("logs", stage, experiment, method, seed, attack)


def experiment_log_file(stage: str, experiment: str) -> str:
    """The log of a job that covers a whole experiment (training_jobs: per_experiment)."""
    return f"results/{experiment}/logs/{stage}/all_models.log"


def experiment_benchmark_file(stage: str, experiment: str) -> str:
    return f"results/{experiment}/benchmarks/{stage}/all_models.tsv"


def dataset_log_file(dataset: str) -> str:
    return f"results/logs/data/{dataset}.log"


def fetch_log_file(day: str) -> str:
    """The log of fetching one CIC-IDS2018 day file (rule fetch_cicids_day)."""
    return f"results/logs/data/fetch/{day}.log"


def neighbours_file(artifact: str, method: str) -> str:
    """One model's nearest training images of attacked test images (MCT Fig. 2's compute)."""
    return f"results/neighbours/{artifact}/{method}.pt"


def neighbours_log_file(artifact: str, method: str) -> str:
    return f"results/logs/neighbours/{artifact}/{method}.log"


def masking_checks_file(artifact: str, experiment: str) -> str:
    """The results of a masking artifact's checks on one experiment (rule masking_checks),
    which the experiment's tables and the masking report read."""
    return f"results/masking/{artifact}/{experiment}.json"


def masking_checks_log_file(artifact: str, experiment: str) -> str:
    return f"results/logs/masking/{artifact}/{experiment}.log"


def artifact_file(paper: str, item: str, suffix: str) -> str:
    """A table or figure: paper_figures/<paper>/<item>.<suffix> (paper "ours": our own)."""
    return f"paper_figures/{paper}/{item}.{suffix}"


def artifact_log_file(paper: str, item: str) -> str:
    return f"results/logs/artifacts/{paper}/{item}.log"


def claims_file(paper: str, suffix: str) -> str:
    """A paper's headline claims checked against its tables."""
    return artifact_file(paper, "claims", suffix)


def training_cost_file(suffix: str) -> str:
    return artifact_file("ours", "training_cost", suffix)


def audit_file(suffix: str) -> str:
    """The audit of both papers: their contradictions, open settings and our readings."""
    return f"paper_figures/audit.{suffix}"


INDEX_FILE = "paper_figures/index.md"
INDEX_LOG_FILE = "results/logs/artifacts/index.log"
