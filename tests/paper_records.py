"""Every evaluation record the paper artifacts of config/config.yaml read, written by the
project's own job functions (advrepro.jobs: train_models, craft_transfer_sets,
evaluate_models, with advrepro.plan's work items) as a paper-scale run would write them, in
seconds on a CPU.

Three things are cut, none of which a record's protocol fields depend on:

* optimisation: ``training.fit`` returns one history entry per configured epoch without a
  gradient step (the model file then says every epoch was trained, as a finished run does);
* the attack's search: every registered attack is built as configured (its options and
  defaults in force) and returns its input unchanged; transfer sets are crafted and replayed
  as usual;
* the network: each architecture is built as LeNet-1 of the same input shape (the record's
  ``architecture`` is the configured one, read from the run; methods wrap it as they do the
  real one: DunDi's distance network, KD+BU's detector).

The data have the paper's training-set sizes (60,000 MNIST and 50,000 CIFAR-10 images, so
``train_examples`` is the paper's) and 20 test images (the record's ``test_size`` is null: the
whole test split, as at paper scale).
"""

from __future__ import annotations

from pathlib import Path

import torch

from advrepro import config as config_checks
from advrepro import io, jobs, model_files, paths, plan
from advrepro.attacks import Attack
from advrepro.data import Splits
from advrepro.jobs import inputs
from advrepro.jobs import train as train_stage
from advrepro.records import read_record
from advrepro.reporting import cells, reported
from advrepro.reporting.kinds import shape_of

ROOT = Path(__file__).resolve().parents[1]
REPORTED_CSV = ROOT.parent / "shared" / "reference" / "reported_results.csv"
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"
SHAPES = {"mnist": (60000, 1, 28), "cifar10": (50000, 3, 32)}
TEST_EXAMPLES = 20
STAND_IN = "lenet1"


def paper_config() -> dict:
    return plan.load([ROOT / "config/config.yaml"], SCHEMA)


def paper_artifacts(config: dict) -> dict:
    """The artifacts that show the papers' numbers (tables and figures of cells)."""
    return {
        name: spec
        for name, spec in config["artifacts"].items()
        if spec["paper"] != "ours" and shape_of(spec) == "cells"
    }


def _dataset(name: str, path: Path) -> None:
    train, channels, size = SHAPES[name]
    generator = torch.Generator().manual_seed(0)

    def images(n):
        return torch.randint(0, 256, (n, channels, size, size), generator=generator).to(torch.uint8)

    io.save_torch(
        path,
        {
            "name": name,
            "classes": [str(c) for c in range(10)],
            "files": {},
            "x_train": images(train),
            "y_train": torch.arange(train) % 10,
            "x_test": images(TEST_EXAMPLES),
            "y_test": torch.arange(TEST_EXAMPLES) % 10,
        },
    )


def _untrained_fit(model, method, splits, settings, checkpoint, **_):
    method.setup(model, splits)
    return [{"epoch": e + 1, "seconds": 0.0, "loss": 0.0} for e in range(settings.epochs)]


def _identity(self, x, y):
    return x.detach().clone()


def _stand_in(model_for):
    def build(splits, architecture, **options):
        if "backbone" in options:
            options = {**options, "backbone": STAND_IN}
        else:
            architecture = STAND_IN
        return model_for(splits, architecture, **options)

    return build


def _cached(load_splits):
    """Each data file loaded once (a CIFAR-10 training split is 600 MB of floats)."""
    loaded = {}

    def load(data_path, run, device):
        key = (data_path, run["train_size"], run["test_size"], str(device))
        if key not in loaded:
            loaded[key] = load_splits(data_path, run, device)
        return loaded[key]

    return load


def _once_per_split(channel_stats):
    """A split's channel statistics computed once (std over 60,000 images per model)."""
    stats = {}

    def cached(splits):
        if id(splits) not in stats:
            stats[id(splits)] = channel_stats(splits)
        return stats[id(splits)]

    return cached


def printed_cell_records(config: dict) -> list[tuple[str, str, int, str]]:
    """(experiment, method, seed, attack) of every record behind a cell that shows a printed
    number."""
    table = reported.load_reported(REPORTED_CSV)
    experiments = config["experiments"]
    needed = set()
    for spec in paper_artifacts(config).values():
        for row in cells.expand_rows(spec, experiments):
            for column in cells.expand_columns(spec, experiments):
                if cells._reported_row(table, spec, experiments, row, column) is None:
                    continue
                needed |= {
                    (m.experiment, m.method, seed, attack)
                    for m in row.members
                    for attack in column.attacks
                    for seed in experiments[m.experiment]["seeds"]
                }
    return sorted(needed)


def _models_needed(config: dict, needed) -> set[tuple[str, str]]:
    """(experiment, method) of the models behind ``needed``: the evaluated ones, the models
    they start from and the transfer sources of their attacks."""
    models = {(experiment, method) for experiment, method, _, _ in needed}
    for experiment, _, _, attack in needed:
        exp = config["experiments"][experiment]
        if exp["attacks"][attack]["threat"] == "transfer":
            _, source, _ = config_checks.transfer_crafting(config, experiment, attack)
            models.add((experiment, source))
    for experiment, method in list(models):
        init_from = config["experiments"][experiment]["methods"][method]["options"].get("init_from")
        if init_from:
            models.add((experiment, init_from))
    return models


def write_records(config: dict, folder: Path, monkeypatch) -> list[dict]:
    """Train, craft and evaluate every model the paper artifacts read (cut as above) under
    ``folder``, with the work items the workflow's rules hand the jobs (advrepro.plan);
    returns their records."""
    monkeypatch.chdir(folder)
    monkeypatch.setattr(train_stage, "fit", _untrained_fit)
    monkeypatch.setattr(model_files, "model_for", _stand_in(model_files.model_for))
    monkeypatch.setattr(Attack, "__call__", _identity)
    monkeypatch.setattr(inputs, "load_splits", _cached(inputs.load_splits))
    monkeypatch.setattr(Splits, "channel_stats", _once_per_split(Splits.channel_stats))
    config["failure_indicators"] = None  # they probe the attack's search, which is cut
    needed = printed_cell_records(config)
    experiments = sorted({experiment for experiment, *_ in needed})
    trained = _models_needed(config, needed)
    for name in {config["experiments"][e]["dataset"] for e in experiments}:
        _dataset(name, Path(paths.dataset_file(name)))
    for experiment in experiments:
        data = paths.dataset_file(config["experiments"][experiment]["dataset"])
        trainings = [
            plan.training(config, experiment, method, seed)
            for method, seed in plan.experiment_models(config, experiment)
            if (experiment, method) in trained
        ]
        jobs.train_models(data, trainings, device="cpu", progress=False)
        crafts = {}  # transfer set -> its crafting: sets shared by several attacks once
        for _, _, seed, attack in (key for key in needed if key[0] == experiment):
            path = plan.transfer_set_of(config, experiment, attack, seed)
            if path and path not in crafts:
                first, source, source_seed = config_checks.transfer_crafting(
                    config, experiment, attack
                )
                seed = seed if source_seed is None else source_seed
                crafts[path] = plan.crafting(config, experiment, source, seed, [first])
        jobs.craft_transfer_sets(data, list(crafts.values()), device="cpu", progress=False)
    by_model: dict[tuple, list[str]] = {}
    for experiment, method, seed, attack in needed:
        by_model.setdefault((experiment, method, seed), []).append(attack)
    evaluations = {key: plan.evaluation(config, *key, attacks) for key, attacks in by_model.items()}
    for (experiment, _, _), evaluation in evaluations.items():
        data = paths.dataset_file(config["experiments"][experiment]["dataset"])
        jobs.evaluate_models(data, [evaluation], device="cpu", progress=False)
    return [read_record(path) for e in evaluations.values() for path in e["records"]]
