"""Stage 2 (rules train, train_<experiment>): train models through the single training loop
(advrepro.training.fit), one or several per job, each resuming from its checkpoint after a
kill, and save each with its training protocol."""

from __future__ import annotations

import logging
from pathlib import Path

import torch

from advrepro import io, model_files, provenance, records
from advrepro import performance as perf
from advrepro.jobs import inputs
from advrepro.methods import build_method
from advrepro.model_protocol import check_trained_as
from advrepro.training import TrainSettings, fit

log = logging.getLogger("advrepro")


def train_models(
    data_path: str,
    trainings: list[dict],
    device: str = "auto",
    progress: bool = True,
    threads: int | None = None,
) -> None:
    """Train each of ``trainings`` (advrepro.plan.training: run, seed, checkpoint, model,
    history, init_model), a model after the one it starts from. One model per job (rule train)
    or every model of an experiment (rule train_<experiment>): the models come out the same,
    as each training seeds itself.

    A model keeps its final checkpoint until every model of the job is trained: Snakemake
    deletes every output of a job that fails, and a rerun after a failure at the k-th model
    then "resumes" the first k-1 at their last epoch instead of training them again. Once the
    outputs exist the checkpoints go: a later rerun (--forcerun, a changed method) would
    otherwise "resume" after the last epoch and return the old weights without training."""
    inputs.use_threads(threads)
    device = provenance.pick_device(device)
    for i, training in enumerate(trainings):
        run = training["run"]
        log.info(
            "model %d of %d: %s seed %d", i + 1, len(trainings), run["method"], training["seed"]
        )
        _train(data_path, training, device, progress)
    for training in trainings:
        Path(training["checkpoint"]).unlink(missing_ok=True)


def _train(data_path: str, training: dict, device: torch.device, progress: bool) -> None:
    run, seed = training["run"], training["seed"]
    torch.manual_seed(seed)
    splits = inputs.load_splits(data_path, run, device)
    method = build_method(run["method_class"], **run["method_options"])
    architecture, options = method.architecture(run["architecture"])
    model = model_files.model_for(splits, architecture, **options).to(device)
    init_model = None
    if training.get("init_model"):  # the model it starts from (DunDi_P's native model)
        init_model = model_files.load_model(training["init_model"], device)
        expected = {"experiment": run["experiment"], "method": run["method_options"]["init_from"]}
        check_trained_as(init_model.protocol, expected, seed, training["init_model"])
    method.prepare_model(model, splits, init_model)
    settings = TrainSettings(seed=seed, **run["train"])
    perf.configure_backend(run.get("performance"))
    history = fit(
        model,
        method,
        splits,
        settings,
        training["checkpoint"],
        run_key=run,
        progress=progress,
        performance=run.get("performance"),
    )
    method.finish(model, splits, seed)
    model_files.save_model(
        training["model"],
        model,
        records.training_protocol(
            run,
            **model_files.settings_in_force(run),
            seed=seed,
            train_examples=len(splits.y_train),
            epochs_trained=len(history),
            init_model=init_model.protocol if init_model is not None else None,
        ),
    )
    io.write_json(
        training["history"],
        {
            **run,
            "seed": seed,
            "history": history,
            **provenance.produced_on(device),
            "train_examples": len(splits.y_train),
            "seconds_per_epoch": (
                sum(h["seconds"] for h in history) / len(history) if history else None
            ),
            **({"detector_fit": method.fit_summary} if hasattr(method, "fit_summary") else {}),
        },
    )
