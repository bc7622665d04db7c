"""The one training loop: seeds, checkpoints, kill-and-resume."""

from __future__ import annotations

import pytest
import torch

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
    "mct": {"sigma": 0.1},
    "mct_noise_only": {"sigma": 0.1, "alpha": 0.0, "lam": 0.0},
    "mct_printed_norm": {"sigma": 0.1, "norm_term": "pair_distance", "positive": "other"},
    "dundi": {"tuples": 96, "oracles_per_class": 2},
    # fine-tunes its backbone only if a config gives it epochs (its fitting: test_detector.py)
    "kd_bu": {"init_from": "Native"},
}


def method(name):
    return build_method(name.split("_noise")[0].split("_printed")[0], **METHODS[name])


@pytest.mark.parametrize("method_name", sorted(METHODS))
def test_kill_and_resume_gives_identical_weights(method_name, tiny_splits, tmp_path):
    settings = TrainSettings(epochs=3, batch_size=32, lr=1e-3, seed=5, lr_milestones=[2])

    reference = fresh_model(tiny_splits, method(method_name))
    fit(reference, method(method_name), tiny_splits, settings,
        tmp_path / "reference.pt", progress=False)

    def kill_in_second_epoch(epoch, batch):
        if epoch == 1 and batch == 1:
            raise Killed()

    interrupted = fresh_model(tiny_splits, method(method_name))
    with pytest.raises(Killed):
        fit(interrupted, method(method_name), tiny_splits,
            settings, tmp_path / "run.pt", progress=False, after_batch=kill_in_second_epoch)
    assert load_torch(tmp_path / "run.pt")["epoch"] == 1

    resumed = fresh_model(tiny_splits, method(method_name))  # a new process starts from scratch and finds the checkpoint
    history = fit(resumed, method(method_name), tiny_splits,
                  settings, tmp_path / "run.pt", progress=False)
    assert [h["epoch"] for h in history] == [1, 2, 3]
    for name, tensor in reference.state_dict().items():
        assert torch.equal(tensor, resumed.state_dict()[name]), name


def test_checkpoint_of_other_settings_is_not_resumed(tiny_splits, tmp_path):
    checkpoint = tmp_path / "ckpt.pt"
    fit(fresh_model(tiny_splits), build_method("standard"), tiny_splits,
        TrainSettings(epochs=1, batch_size=32, lr=1e-3, seed=0), checkpoint, progress=False)
    history = fit(fresh_model(tiny_splits), build_method("standard"), tiny_splits,
                  TrainSettings(epochs=1, batch_size=16, lr=1e-3, seed=0), checkpoint,
                  progress=False)
    assert len(history) == 1  # trained anew, not "already done"
    assert load_torch(checkpoint)["history"][0]["examples_per_second"] > 0


def test_history_records_time_per_epoch(tiny_splits, tmp_path):
    history = fit(fresh_model(tiny_splits), build_method("standard"), tiny_splits,
                  TrainSettings(epochs=2, batch_size=32, lr=1e-3, seed=0), tmp_path / "c.pt",
                  progress=False)
    assert all(h["seconds"] > 0 and 0 <= h["train_accuracy"] <= 1 for h in history)


def test_every_registered_method_is_trained_here():
    from advrepro.methods import METHODS as REGISTRY
    assert set(REGISTRY.names()) <= {m.split("_noise")[0].split("_printed")[0] for m in METHODS}
