"""A trained model's file: its weights, how to rebuild it, and its training protocol
(advrepro.records.training_protocol), which every evaluation record copies and which an attack
job checks against what the config asks of the file's path (advrepro.model_protocol)."""

from __future__ import annotations

from pathlib import Path

import torch

from advrepro import data, io, records
from advrepro.methods import build_method
from advrepro.model_protocol import check_trained_as
from advrepro.models import build_model
from advrepro.training import TrainSettings


def model_for(splits: data.Splits, architecture: str, **options) -> torch.nn.Module:
    """A fresh ``architecture`` for the data of ``splits`` (its shape, classes and channel
    statistics, which the model's normaliser holds)."""
    mean, std = splits.channel_stats()
    return build_model(
        architecture,
        splits.input_shape[0],
        splits.num_classes,
        mean,
        std,
        image_size=splits.input_shape[-1],
        **options,
    )


def settings_in_force(run: dict) -> dict:
    """The method options and training settings a model of ``run`` trains with, every default
    included: what its file's protocol states and what an attack job checks a file against."""
    method = build_method(run["method_class"], **run["method_options"])
    architecture, _ = method.architecture(run["architecture"])
    return {
        "method_options": records.method_options_in_force(
            run["method_class"],
            run["method_options"],
            architecture,
            getattr(method, "extra_options", ()),
        ),
        "train": TrainSettings(seed=0, **run["train"]).in_force(),
    }


def save_model(path: str | Path, model: torch.nn.Module, training: dict | None = None) -> None:
    """``training``: how the model was trained (records.training_protocol); every evaluation
    record of the model copies it, so verdicts are judged from what was run, not the config."""
    io.save_torch(
        path,
        {
            "build_args": model.build_args,
            "training": training or {},
            "state_dict": {k: v.cpu() for k, v in model.state_dict().items()},
        },
    )


def load_model(path: str | Path, device: torch.device) -> torch.nn.Module:
    """Rebuild a trained model from its file (architecture, options and normaliser are in it);
    ``model.protocol`` is how it was trained."""
    saved = io.load_torch(path, map_location=device)
    try:
        # built on the meta device: no random initialisation of weights the file replaces
        # (VGG-16's discarded ImageNet head alone took ~2.5 s per load on a CPU)
        with torch.device("meta"):
            model = build_model(**saved["build_args"])
        model.load_state_dict(saved["state_dict"], assign=True)
        if any(t.is_meta for t in (*model.parameters(), *model.buffers())):
            raise NotImplementedError("state not in the file")
    except (NotImplementedError, RuntimeError):  # an architecture that needs real tensors
        model = build_model(**saved["build_args"])
        model.load_state_dict(saved["state_dict"])
    model.protocol = saved.get("training", {})
    return model.to(device).eval()


def load_checked(path: str | Path, run: dict, seed: int, device: torch.device) -> torch.nn.Module:
    """The model at ``path``, stopped with both named if it was not trained as ``run`` asks."""
    model = load_model(path, device)
    if model.protocol:  # a file without one cannot be checked: the check warns
        run = {**run, **settings_in_force(run)}
    check_trained_as(model.protocol, run, seed, path)
    return model
