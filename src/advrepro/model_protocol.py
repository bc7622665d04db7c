"""A model file is evaluated only as what it was trained as. Each model file carries its
training protocol (``records.training_protocol``: experiment, method, class, options,
architecture, dataset, training settings, seed); an attack job compares it with what the
config asks of the model's path, so a file of another method or architecture placed there (a
copy, a renamed folder, a config changed since training with ``--rerun-triggers mtime``)
stops the job, naming both, instead of being recorded under the configured label."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

# The settings of a run (advrepro.jobs.run_params) that decide what a model is, as
# records.training_protocol saves them in the model file (options and settings in force).
TRAINING_SETTINGS = (
    "experiment",
    "method",
    "method_class",
    "method_options",
    "architecture",
    "dataset",
    "scale",
    "train_size",
    "train",
)


class ModelMismatchError(ValueError):
    """A model file was trained as something other than what the config asks of its path."""


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 160 else text[:157] + "..."


def check_trained_as(protocol: dict, run: dict, seed: int | None, path: str | Path) -> None:
    """Raise ModelMismatchError when the model at ``path``, trained as ``protocol``, is not
    the model ``run`` (and ``seed``) asks for: every setting both name must be equal. A file
    without a protocol (written before models carried one, or by hand) cannot be checked: a
    warning says so, and its records carry the empty protocol, which no verdict accepts."""
    if not protocol:
        log.warning("%s holds no training protocol: cannot check what it was trained as", path)
        return
    expected = {key: run[key] for key in TRAINING_SETTINGS if key in run}
    if seed is not None:
        expected["seed"] = seed
    differences = [
        f"{key}: {_shown(protocol[key])} in the file, {_shown(value)} in the config"
        for key, value in expected.items()
        if key in protocol and protocol[key] != value
    ]
    if differences:
        raise ModelMismatchError(
            f"{path}: this model file was not trained as the config asks of this path:\n  "
            + "\n  ".join(differences)
            + "\nA model copied in, a renamed folder, or a config changed since it was "
            f"trained. Delete {path} so the workflow trains it again, or put back the "
            "config it was trained under."
        )
