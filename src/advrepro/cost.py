"""Cost estimate of a configuration before any training: every planned training and evaluation
job with its estimated seconds on the machine the command runs on.

Two measured and declared parts, multiplied:
- the seconds one forward + backward pass, and one forward pass, of each architecture costs per
  example, measured here on the chosen device (a few batches of random images);
- how many passes each job makes: ``Method.passes_per_epoch`` x epochs (+ ``finish_passes``)
  for training, ``Attack.passes`` x test images for evaluation (each class declares its own,
  from its config params; iterative attacks that stop early make fewer, so attack figures are
  upper bounds).

    python -m advrepro.cost --configfile config/config.yaml [override.yaml ...] [--device cuda]
    make cost                                # the paper configuration on this machine

Run it on the machine that will do the work (a GPU node for the paper configuration).
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from advrepro import plan
from advrepro.config import (
    ATTACK_OPTION_DEFAULTS,
    SCHEMA_FILE,
    experiment_settings,
    transfer_crafting,
)

REPO = Path(__file__).resolve().parents[2]
SCHEMA = SCHEMA_FILE

# (input shape, classes, training images, test images) of each dataset as the data rule
# prepares it: facts about the published files, used when train_size / test_size are null.
DATASETS = {
    "mnist": ((1, 28, 28), 10, 60_000, 10_000),
    "fashion_mnist": ((1, 28, 28), 10, 60_000, 10_000),
    "mnist_10k": ((1, 28, 28), 10, 8_000, 2_000),
    "cifar10": ((3, 32, 32), 10, 50_000, 10_000),
    "digits32": ((3, 32, 32), 10, 1_437, 360),
    # one day file (data.cicids2018 default), about 1.04 M flows after cleaning, split 70/30
    "cicids2018": ((1, 1, 78), 2, 731_000, 313_000),
    "cicids_synthetic": ((1, 1, 78), 2, None, None),  # from data.cicids2018.synthetic_rows
}


def _dataset(config: dict, name: str) -> tuple:
    shape, classes, n_train, n_test = DATASETS[name]
    if name == "cicids_synthetic":  # two generated days: rows + rows / 2, split 70/30
        cic = config["data"]["cicids2018"]
        rows = cic["synthetic_rows"] * 3 // 2
        n_test = round(rows * cic["test_fraction"])
        n_train = rows - n_test
    return shape, classes, n_train, n_test


@dataclass(frozen=True)
class Job:
    stage: str  # the rule: "train", "craft_transfer" or "evaluate"
    experiment: str
    architecture: str
    method: str
    seed: int
    attack: str | None
    gradient_passes: float  # forward + backward passes, summed over examples
    forward_passes: float


def _size(requested: int | None, available: int) -> int:
    return min(requested, available) if requested else available


def planned_jobs(config: dict) -> list[Job]:
    """Every training and evaluation job that `snakemake` plans for ``config`` (the default
    target: each model, and each model under each attack of its experiment)."""
    from advrepro.attacks import ATTACKS
    from advrepro.methods import build_method

    jobs = []
    for name, exp in config["experiments"].items():
        shape, classes, n_train, n_test = _dataset(config, exp["dataset"])
        train_n, test_n = _size(exp["train_size"], n_train), _size(exp["test_size"], n_test)
        input_size = math.prod(shape)
        for method_id, seed in plan.experiment_models(config, name):
            spec = exp["methods"][method_id]
            method = build_method(spec["class"], **spec["options"])
            settings = experiment_settings(config, name, method_id)
            # the smoke scale's limits.batches_per_epoch: an epoch sees that many batches at most
            epoch_n = train_n
            if settings.get("max_batches"):
                epoch_n = min(train_n, settings["max_batches"] * settings["batch_size"])
            passes = settings["epochs"] * method.passes_per_epoch(epoch_n) + method.finish_passes(
                train_n
            )
            jobs.append(Job("train", name, exp["architecture"], method_id, seed, None, passes, 0.0))
        crafted = set()  # (attack, source, seed) of the transfer sets already planned
        for attack_id, spec in exp["attacks"].items():
            gradient, forward = ATTACKS.get(spec["class"]).passes(
                {**ATTACK_OPTION_DEFAULTS[spec["class"]], **spec["params"]}, classes, input_size
            )
            targets = [
                (method_id, seed)
                for method_id in exp["methods"]
                if plan.attack_applies(exp, method_id, attack_id)
                for seed in exp["seeds"]
            ]
            if spec.get("threat") == "transfer":
                # crafted once per source model (+ its own classification), replayed per target
                crafting, source, source_seed = transfer_crafting(config, name, attack_id)
                seeds = {source_seed} if source_seed is not None else {s for _, s in targets}
                for seed in sorted(seeds):
                    if (crafting, source, seed) not in crafted:  # shared with an earlier attack
                        crafted.add((crafting, source, seed))
                        jobs.append(
                            Job(
                                "craft_transfer",
                                name,
                                exp["architecture"],
                                source,
                                seed,
                                crafting,
                                gradient * test_n,
                                (forward + 1) * test_n,
                            )
                        )
                gradient, forward = 0, 0
            # + classifying them, the clean accuracy beside them, and the attack-failure
            # indicators on the first examples (one gradient + probe_steps; upper bound)
            checked = min(config["failure_indicators"]["examples"], test_n)
            params = spec.get("params", {})
            probing = (
                ATTACKS.get(spec["class"]).family == "gradient"
                and "eps" in params
                and spec.get("threat") != "transfer"
                and (params.get("steps", 1) > 1 or "iterations" in params)
            )
            indicators = checked * (1 + probing * config["failure_indicators"]["probe_steps"])
            jobs += [
                Job(
                    "evaluate",
                    name,
                    exp["architecture"],
                    method_id,
                    seed,
                    attack_id,
                    gradient * test_n + indicators,
                    (forward + 2) * test_n + checked,
                )
                for method_id, seed in targets
            ]
    return jobs


def passes_on_random_batch(architecture: str, dataset: str, batch_size: int, device):
    """(model, step, forward) of ``architecture`` on a random batch of the dataset's shape:
    ``step`` runs one forward + backward pass and an optimizer step, ``forward`` one forward
    pass (the cost estimate times them; the pre-flight check measures their memory)."""
    import torch

    from advrepro.models import build_model

    shape, classes, _, _ = DATASETS[dataset]
    model = build_model(
        architecture, shape[0], classes, [0.5] * shape[0], [0.25] * shape[0], image_size=shape[-1]
    ).to(device)
    x = torch.rand(batch_size, *shape, device=device)
    y = torch.randint(classes, (batch_size,), device=device)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)

    def step():
        optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    def forward():
        with torch.no_grad():
            model(x)

    return model, step, forward


def measure_unit_costs(
    architecture: str, dataset: str, batch_size: int, device, repeats: int = 3
) -> tuple[float, float]:
    """Seconds per example of one forward + backward pass (with an optimizer step) and of one
    forward pass of ``architecture``, median of ``repeats`` batches after a warm-up."""
    import statistics

    import torch

    model, step, forward = passes_on_random_batch(architecture, dataset, batch_size, device)

    def seconds(fn):
        times = []
        for _ in range(repeats + 1):  # the first is the warm-up
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            fn()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            times.append(time.perf_counter() - start)
        return statistics.median(times[1:]) / batch_size

    model.train()
    gradient = seconds(step)
    model.eval()
    return gradient, seconds(forward)


def measure_job_startup() -> float:
    """Seconds a job spends before its work: a fresh Python importing torch and the library
    (what each Snakemake job pays; Snakemake's own bookkeeping comes on top)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch, advrepro.jobs"], check=True)
    return time.perf_counter() - start


def estimate(
    config: dict, device, batch_size: int | None = None, job_startup: float = 0.0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-job estimate, per-architecture unit costs); each job pays ``job_startup`` seconds."""
    jobs = planned_jobs(config)
    units = {}
    for exp in config["experiments"].values():
        key = (exp["architecture"], DATASETS[exp["dataset"]][0])
        if key not in units:
            batch = batch_size or (
                exp["train"]["batch_size"]
                if device.type == "cuda"
                else min(exp["train"]["batch_size"], 32)
            )
            gradient, forward = measure_unit_costs(
                exp["architecture"], exp["dataset"], batch, device
            )
            units[key] = {
                "architecture": exp["architecture"],
                "input": "x".join(map(str, key[1])),
                "batch": batch,
                "gradient_s_per_example": gradient,
                "forward_s_per_example": forward,
            }
    table = pd.DataFrame([vars(job) for job in jobs])
    shapes = {name: DATASETS[exp["dataset"]][0] for name, exp in config["experiments"].items()}
    unit = [units[(a, shapes[e])] for a, e in zip(table.architecture, table.experiment)]
    # the Snakemake job of each work item (advrepro.plan.job_of): one start-up for all the work
    # items of one job (a sweep's budgets, a model's attacks, an experiment's models, ...)
    table["job"] = [
        str(plan.job_of(config, *item))
        for item in zip(table.stage, table.experiment, table.method, table.seed, table.attack)
    ]
    shares_startup = table.duplicated("job")
    table["seconds"] = (
        table.gradient_passes * [u["gradient_s_per_example"] for u in unit]
        + table.forward_passes * [u["forward_s_per_example"] for u in unit]
        + job_startup * ~shares_startup
    )
    return table, pd.DataFrame(units.values())


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Jobs, hours and the longest job per (stage, experiment): a job sums its work items (all
    attacks of a model under evaluation_jobs: per_model, ...)."""
    jobs = table.groupby(["stage", "experiment", "job"], sort=False).seconds.sum().reset_index()
    grouped = jobs.groupby(["stage", "experiment"], sort=False).agg(
        jobs=("seconds", "size"),
        hours=("seconds", lambda s: s.sum() / 3600),
        longest_job_hours=("seconds", lambda s: s.max() / 3600),
    )
    return grouped.reset_index()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m advrepro.cost", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--configfile",
        nargs="+",
        default=[str(REPO / "config/config.yaml")],
        help="config files, each merged on top of the previous (as snakemake "
        "--configfile, but the first is the base: pass config/config.yaml first)",
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, ...")
    parser.add_argument(
        "--batch",
        type=int,
        default=None,
        help="batch of the timing runs (default: the training batch; at most 32 on a CPU)",
    )
    parser.add_argument("--jobs", metavar="CSV", help="also write every job's estimate to this CSV")
    args = parser.parse_args(argv)

    from advrepro import cuda_builds, provenance

    config = plan.load(args.configfile, SCHEMA)
    device = provenance.pick_device(args.device)
    startup = measure_job_startup()
    table, units = estimate(config, device, args.batch, startup)
    pd.set_option("display.width", 120)
    print(f"Cost estimate of {' + '.join(args.configfile)} on {provenance.hardware(device)}\n")
    print("Measured seconds per example and pass:")
    print(units.to_string(index=False, float_format=lambda v: f"{v:.3g}"), "\n")
    print(summary(table).to_string(index=False, float_format=lambda v: f"{v:.2f}"), "\n")
    kind = "GPU" if device.type == "cuda" else "CPU"
    for stage in ("train", "craft_transfer", "evaluate"):
        part = table[table.stage == stage]
        print(
            f"{stage:14s} {part.job.nunique():5d} jobs  {part.seconds.sum() / 3600:9.2f} {kind}-hours"
        )
    print(
        f"{'total':14s} {table.job.nunique():5d} jobs  {table.seconds.sum() / 3600:9.2f} {kind}-hours "
        f"(attacks: upper bounds; {startup:.1f} s start-up per job included; one job at a time)"
    )
    print(
        f"\nPinned torch builds (pick the one your GPU nodes' driver runs):\n{cuda_builds.summary()}"
    )
    if args.jobs:
        table.to_csv(args.jobs, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
