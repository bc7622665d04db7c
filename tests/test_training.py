"""The one training loop: seeds, checkpoints, kill-and-resume."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import save_prepared

from advrepro.io import load_torch
from advrepro.methods import build_method
from advrepro.models import build_model
from advrepro.training import TrainSettings, fit


class Killed(RuntimeError):
    pass


def fresh_model(splits, method=None):
    torch.manual_seed(0)
    mean, std = splits.channel_stats()
    if method is not None and method.architecture("lenet1")[0] != "lenet1":
        name, options = method.architecture("lenet1")
        return build_model(name, 1, 10, mean, std, **options)
    return build_model("mnist_cnn", 1, 10, mean, std, embedding_dim=32)


METHODS = {
    "standard": {},
    "pgd_at": {"eps": 0.1, "alpha": 0.05, "steps": 2},
    "alp": {"eps": 0.1, "alpha": 0.05, "steps": 2},
    "tla": {"eps": 0.1, "alpha": 0.05, "steps": 2},
    # Mao et al.'s CIFAR form: two triplet terms, negatives from a random pool, smoothing
    "tla_both_pool": {
        "eps": 0.1,
        "alpha": 0.05,
        "steps": 2,
        "positive": "both",
        "negative_pool": 16,
        "label_smoothing": 0.1,
    },
    "mct": {"sigma": 0.1},
    "mct_noise_only": {"sigma": 0.1, "alpha": 0.0, "lam": 0.0},
    "mct_printed_norm": {"sigma": 0.1, "norm_term": "pair_distance", "positive": "other"},
    "mct_squared_norm": {"sigma": 0.1, "norm_term": "feature_decay"},
    "dundi": {"tuples": 96, "oracles_per_class": 2},
    # fine-tunes its backbone only if a config gives it epochs (its fitting: test_detector.py)
    "kd_bu": {"init_from": "Native"},
}


def method(name):
    variant_of = next((c for c in ("mct", "tla") if name.startswith(c)), name)
    return build_method(variant_of, **METHODS[name])


@pytest.mark.parametrize("method_name", sorted(METHODS))
def test_kill_and_resume_gives_identical_weights(method_name, tiny_splits, tmp_path):
    settings = TrainSettings(epochs=3, batch_size=32, lr=1e-3, seed=5, lr_milestones=[2])

    reference = fresh_model(tiny_splits, method(method_name))
    fit(
        reference,
        method(method_name),
        tiny_splits,
        settings,
        tmp_path / "reference.pt",
        progress=False,
    )

    def kill_in_second_epoch(epoch, batch):
        if epoch == 1 and batch == 1:
            raise Killed()

    interrupted = fresh_model(tiny_splits, method(method_name))
    with pytest.raises(Killed):
        fit(
            interrupted,
            method(method_name),
            tiny_splits,
            settings,
            tmp_path / "run.pt",
            progress=False,
            after_batch=kill_in_second_epoch,
        )
    assert load_torch(tmp_path / "run.pt")["epoch"] == 1

    resumed = fresh_model(
        tiny_splits, method(method_name)
    )  # a new process starts from scratch and finds the checkpoint
    history = fit(
        resumed, method(method_name), tiny_splits, settings, tmp_path / "run.pt", progress=False
    )
    assert [h["epoch"] for h in history] == [1, 2, 3]
    for name, tensor in reference.state_dict().items():
        assert torch.equal(tensor, resumed.state_dict()[name]), name


def test_kill_and_resume_with_crop_and_flip_gives_identical_weights(tiny_splits, tmp_path):
    """The augmentation draws from the RNG the checkpoint saves, so a resumed run augments
    the remaining batches exactly as an uninterrupted one."""
    settings = TrainSettings(epochs=2, batch_size=32, lr=1e-3, seed=3, augmentation="crop_flip")
    reference = fresh_model(tiny_splits)
    fit(reference, method("standard"), tiny_splits, settings, tmp_path / "a.pt", progress=False)

    def kill(epoch, batch):
        if epoch == 1 and batch == 0:
            raise Killed()

    with pytest.raises(Killed):
        fit(
            fresh_model(tiny_splits),
            method("standard"),
            tiny_splits,
            settings,
            tmp_path / "b.pt",
            progress=False,
            after_batch=kill,
        )
    resumed = fresh_model(tiny_splits)
    fit(resumed, method("standard"), tiny_splits, settings, tmp_path / "b.pt", progress=False)
    unaugmented = fresh_model(tiny_splits)
    fit(
        unaugmented,
        method("standard"),
        tiny_splits,
        TrainSettings(epochs=2, batch_size=32, lr=1e-3, seed=3),
        tmp_path / "c.pt",
        progress=False,
    )
    for name, tensor in reference.state_dict().items():
        assert torch.equal(tensor, resumed.state_dict()[name]), name
    assert not all(
        torch.equal(t, unaugmented.state_dict()[n]) for n, t in reference.state_dict().items()
    )


def test_checkpoint_of_other_settings_is_not_resumed(tiny_splits, tmp_path):
    checkpoint = tmp_path / "ckpt.pt"
    fit(
        fresh_model(tiny_splits),
        build_method("standard"),
        tiny_splits,
        TrainSettings(epochs=1, batch_size=32, lr=1e-3, seed=0),
        checkpoint,
        progress=False,
    )
    history = fit(
        fresh_model(tiny_splits),
        build_method("standard"),
        tiny_splits,
        TrainSettings(epochs=1, batch_size=16, lr=1e-3, seed=0),
        checkpoint,
        progress=False,
    )
    assert len(history) == 1  # trained anew, not "already done"
    assert load_torch(checkpoint)["history"][0]["examples_per_second"] > 0


def test_history_records_time_per_epoch(tiny_splits, tmp_path):
    history = fit(
        fresh_model(tiny_splits),
        build_method("standard"),
        tiny_splits,
        TrainSettings(epochs=2, batch_size=32, lr=1e-3, seed=0),
        tmp_path / "c.pt",
        progress=False,
    )
    assert all(h["seconds"] > 0 and 0 <= h["train_accuracy"] <= 1 for h in history)


def test_every_registered_method_is_trained_here():
    from advrepro.methods import METHODS as REGISTRY

    assert set(REGISTRY.names()) <= {m.split("_noise")[0].split("_printed")[0] for m in METHODS}


def test_mct_norm_readings_on_flows(tmp_path):
    """docs/decisions.md, MCT Eq. 4: with the paper's lambda 0.03 the default reading (mean L2
    norm) learns the flow network, while the squared norm (Sohn's regulariser) drives its ReLU
    embedding to zero at the start and leaves one class for every flow."""
    from advrepro.data import Splits, cicids

    cicids.write_synthetic_day(tmp_path / "day.csv", 1500, seed=0)
    data = cicids.prepare([tmp_path / "day.csv"])
    splits = Splits(
        "flows", data["classes"], data["x_train"], data["y_train"], data["x_test"], data["y_test"]
    )
    predictions = {}
    for reading in ("feature_norm", "feature_decay"):
        torch.manual_seed(0)
        mean, std = splits.channel_stats()
        model = build_model("flow_mnist_cnn", 1, 2, mean, std, image_size=splits.x_train.shape[-1])
        fit(
            model,
            build_method("mct", norm_term=reading),
            splits,
            TrainSettings(epochs=2, batch_size=64, lr=1e-3, seed=0),
            tmp_path / f"{reading}.pt",
            progress=False,
        )
        with torch.no_grad():
            predictions[reading] = model.eval()(splits.x_test).argmax(1)
    assert build_method("mct").options["norm_term"] == "feature_norm"
    assert (predictions["feature_norm"] == splits.y_test).float().mean() > 0.95
    assert predictions["feature_decay"].unique().numel() == 1


def test_train_job_resumes_a_killed_run_and_leaves_no_checkpoint(tiny_splits, tmp_path):
    """The job level (rule train): a checkpoint left by a killed job is resumed; a finished
    job deletes its checkpoint, so a rerun (e.g. --forcerun, or changed code) trains anew
    instead of "resuming" after its last epoch with the old weights."""
    from advrepro import io, jobs, model_files

    data_path = save_prepared(tiny_splits, tmp_path / "data.pt")
    run = {
        "experiment": "tiny",
        "method": "Native",
        "dataset": "tiny",
        "scale": "test",
        "method_class": "standard",
        "method_options": {},
        "architecture": "lenet1",
        "train_size": None,
        "test_size": None,
        "train": {"epochs": 2, "batch_size": 32, "lr": 1e-3},
    }
    checkpoint, model, history = (
        tmp_path / "ckpt.pt",
        tmp_path / "model.pt",
        tmp_path / "model.json",
    )

    def train_job():
        training = {
            "run": run,
            "seed": 0,
            "checkpoint": str(checkpoint),
            "model": str(model),
            "history": str(history),
        }
        jobs.train_models(str(data_path), [training], device="cpu", progress=False)
        return io.read_json(history)["history"]

    def kill_after_first_epoch(epoch, batch):
        if epoch == 1:
            raise Killed()

    torch.manual_seed(0)
    splits_model = model_files.model_for(tiny_splits, "lenet1")
    with pytest.raises(Killed):
        fit(
            splits_model,
            build_method("standard"),
            tiny_splits,
            TrainSettings(seed=0, **run["train"]),
            checkpoint,
            run_key=run,
            progress=False,
            after_batch=kill_after_first_epoch,
        )
    assert checkpoint.is_file()
    resumed = train_job()
    assert [h["epoch"] for h in resumed] == [1, 2] and not checkpoint.exists()
    first_weights = load_torch(model)["state_dict"]
    rerun = train_job()  # nothing to resume from: both epochs are trained again, from the seed
    assert [h["epoch"] for h in rerun] == [1, 2] and not checkpoint.exists()
    assert all(torch.equal(v, load_torch(model)["state_dict"][k]) for k, v in first_weights.items())
    # the model carries how it was trained; its evaluation records copy it (the verdict rule)
    protocol = load_torch(model)["training"]
    assert protocol["epochs_trained"] == 2
    # every training setting in force, the defaults included (Adam: no momentum, no decay)
    assert protocol["train"] == {
        **run["train"],
        "optimizer": "adam",
        "weight_decay": 0.0,
        "lr_milestones": [],
        "augmentation": "none",
        "sampling": "method",
    }
    assert protocol["method_class"] == "standard" and protocol["train_examples"] == 96


def test_class_balanced_sampling_applies_to_every_method(tiny_splits, tmp_path):
    """MCT Fig. 3: the baselines train on the same class-balanced batches as MCT."""
    seen = []

    class Recording(type(method("standard"))):
        def loss(self, model, x, y):
            seen.append(torch.bincount(y, minlength=10))
            return super().loss(model, x, y)

    fit(
        fresh_model(tiny_splits),
        Recording(),
        tiny_splits,
        TrainSettings(epochs=1, batch_size=20, lr=1e-3, seed=0, sampling="class_balanced"),
        tmp_path / "ckpt.pt",
        progress=False,
    )
    assert seen and all(torch.equal(counts, torch.full((10,), 2)) for counts in seen)


def test_max_batches_caps_every_epoch(tiny_splits, tmp_path):
    """The smoke scale's limits.batches_per_epoch: each epoch stops after that many batches."""
    seen = []
    settings = TrainSettings(epochs=2, batch_size=8, lr=1e-3, seed=0, max_batches=3)
    assert len(tiny_splits.y_train) > 3 * 8  # else the cap would not cut anything
    fit(
        fresh_model(tiny_splits),
        build_method("standard"),
        tiny_splits,
        settings,
        tmp_path / "checkpoint.pt",
        progress=False,
        after_batch=lambda epoch, batch: seen.append((epoch, batch)),
    )
    assert seen == [(e, b) for e in range(2) for b in range(3)]


def test_one_job_per_experiment_trains_the_models_of_one_job_per_model(tiny_splits, tmp_path):
    """training_jobs: per_experiment: one job of several models gives the weights of one job
    per model, a model
    after the one it starts from (init_from); after a failure at a later model, the models
    already trained are resumed at their last epoch, not trained again."""
    from advrepro import io, jobs

    data_path = str(save_prepared(tiny_splits, tmp_path / "data.pt"))
    base = {
        "experiment": "tiny",
        "dataset": "tiny",
        "scale": "test",
        "architecture": "lenet1",
        "train_size": None,
        "test_size": None,
    }
    native = {
        **base,
        "method": "Native",
        "method_class": "standard",
        "method_options": {},
        "train": {"epochs": 1, "batch_size": 32, "lr": 1e-3},
    }
    dundi = {
        **base,
        "method": "DunDi_P",
        "method_class": "dundi",
        "method_options": {
            "tuples": 64,
            "init_from": "Native",
            "freeze_backbone": True,
            "oracles_per_class": 5,
        },
        "train": {"epochs": 1, "batch_size": 32, "lr": 1e-3},
    }

    def spec(run, folder, init=None):
        stem = tmp_path / folder / run["method"]
        return {
            "run": run,
            "seed": 0,
            "checkpoint": str(stem) + ".ckpt",
            "model": str(stem) + ".pt",
            "history": str(stem) + ".json",
            "init_model": init,
        }

    alone = [spec(native, "alone"), spec(dundi, "alone", str(tmp_path / "alone/Native.pt"))]
    for one in alone:
        jobs.train_models(data_path, [one], device="cpu", progress=False)
    together = [
        spec(native, "together"),
        spec(dundi, "together", str(tmp_path / "together/Native.pt")),
    ]
    failing = [together[0], {**together[1], "run": {**dundi, "method_class": "no_such_method"}}]
    with pytest.raises(KeyError, match="no_such_method"):
        jobs.train_models(data_path, failing, device="cpu", progress=False)
    assert Path(together[0]["checkpoint"]).is_file()  # kept for the rerun to resume
    first_history = io.read_json(together[0]["history"])["history"]
    Path(together[0]["model"]).unlink()  # as Snakemake removes the outputs of a failed job
    jobs.train_models(data_path, together, device="cpu", progress=False)
    for one, other in zip(alone, together):
        weights, same = (
            load_torch(one["model"])["state_dict"],
            load_torch(other["model"])["state_dict"],
        )
        assert weights.keys() == same.keys()
        assert all(torch.equal(v, same[k]) for k, v in weights.items()), one["run"]["method"]
        assert not Path(other["checkpoint"]).exists()
    # the resumed native model was not trained again: its epoch (and its time) is the first run's
    assert io.read_json(together[0]["history"])["history"] == first_history
