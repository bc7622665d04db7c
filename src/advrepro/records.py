"""The evaluation record and the training protocol: what one model scored under one attack,
and everything it was trained and measured under (docs/verdicts.md).

The evaluation jobs (advrepro.jobs) write one JSON record per (experiment, method, seed,
attack) through ``evaluation_record``, from the state in force during the measurement: the
attack's options with its constructor's defaults, the classifier settings the model was
configured with for this evaluation (DunDi's oracle count), the training protocol saved in the
model file. Every reporting rule reads records through ``read_record``, which refuses a file it
cannot trust (unreadable, of an older format, or whose numbers disagree with each other),
naming the file and how to rebuild it. No torch import: reporting jobs start without it.
"""

from __future__ import annotations

import json
from pathlib import Path

from advrepro.config import ATTACK_OPTION_DEFAULTS
from advrepro.registry import declared_defaults

# Bumped whenever a field changes meaning; a record of another format is refused by name.
# 2: classifier settings as in force during the measurement (1 recorded them after restoring
# the model's own), options with their defaults, the training settings in force, paper_attack.
FORMAT = 2

METHOD_OPTION_DEFAULTS = declared_defaults("advrepro.methods")
MODEL_OPTION_DEFAULTS = declared_defaults("advrepro.models")

# What a record must hold for the reporting rules (tables, figures, verdicts, masking checks):
# each field, the JSON types it may take, and what it means. read_record refuses a record
# lacking one or holding another type, so a hand edit cannot slip a string into a table.
_NUMBER = (int, float)
_NAME = (str,)
FIELDS = {
    "format": ((int,), "this module's FORMAT when the record was written"),
    "experiment": (_NAME, "the config's experiment (a paper table's setting)"),
    "dataset": (_NAME, "the data the model was trained and tested on"),
    "paper_dataset": (_NAME, "the dataset the paper reports for this experiment"),
    "architecture": (_NAME, "the network (advrepro.models registry name)"),
    "method": (_NAME, "the training method's config name"),
    "scale": (_NAME, "the scale the run was made at (paper, smoke, demo, tiny)"),
    "seed": ((int,), "the model's training seed"),
    "attack": (_NAME, "the attack's config id (a derived id for sweeps and checks)"),
    "attack_class": (_NAME, "the attack's registry name"),
    "paper_attack": (_NAME, "the attack as the papers name it (Attack.paper_name)"),
    "threat": (_NAME, "whitebox or transfer"),
    "params": ((dict,), "every attack option in force, constructor defaults included"),
    "training": ((dict,), "the model's training protocol (training_protocol)"),
    "classifier": ((dict,), "the decision rule's settings in force during the measurement"),
    "test_size": ((int, type(None)), "examples the experiment evaluates (None: the test set)"),
    "labels": ((list,), "true label of each evaluated example"),
    "accuracy": (_NUMBER, "fraction of examples classified correctly under the attack"),
    "count": ((int,), "examples evaluated"),
    "correct": ((list,), "1 where the example was classified correctly, per example"),
    "predicted": ((list,), "the predicted label of each example"),
}
REQUIRED = tuple(FIELDS)


# What a record (and a kept adversarial set) copies from the job's run.
RUN_FIELDS = (
    "experiment",
    "dataset",
    "paper_dataset",
    "architecture",
    "method",
    "method_class",
    "scale",
)


class RecordError(ValueError):
    """A record that cannot be trusted; the message names the file and the fix."""


def method_options_in_force(
    method_class: str, options: dict, model: str | None = None, passed_on=()
) -> dict:
    """A method's options as it ran them: its constructor's defaults, and for the options it
    passes on to the model it builds (``passed_on``, e.g. DunDi's oracle counts to its
    distance network ``model``) that model's defaults; the configured ones on top."""
    model_defaults = MODEL_OPTION_DEFAULTS.get(model, {})
    return {
        **METHOD_OPTION_DEFAULTS.get(method_class, {}),
        **{name: model_defaults[name] for name in passed_on if name in model_defaults},
        **options,
    }


def attack_options_in_force(attack_class: str, params: dict) -> dict:
    """An attack's options as it ran them: its constructor's defaults, the configured ones on
    top (JSMA's random target, C&W's kappa and PGD's random start are then in the record even
    where the config leaves them to the default)."""
    return {**ATTACK_OPTION_DEFAULTS.get(attack_class, {}), **params}


def training_protocol(
    run: dict,
    method_options: dict,
    train: dict,
    seed: int,
    train_examples: int,
    epochs_trained: int,
    init_model: dict | None = None,
) -> dict:
    """How a model was trained, saved in its model file and copied into every record of it:
    ``method_options`` every option of the method in force (method_options_in_force),
    ``train`` every training setting in force (TrainSettings.in_force), ``init_model`` the
    protocol of the model it started from."""
    return {
        "format": FORMAT,
        "experiment": run["experiment"],
        "method": run["method"],
        "method_class": run["method_class"],
        "method_options": method_options,
        "architecture": run["architecture"],
        "dataset": run["dataset"],
        "scale": run["scale"],
        "train_size": run["train_size"],
        "train_examples": train_examples,
        "train": train,
        "epochs_trained": epochs_trained,
        "seed": seed,
        **({"init_from": init_model} if init_model else {}),
    }


def evaluation_record(
    run: dict,
    attack_spec: dict,
    attack,
    seed: int,
    *,
    training: dict,
    classifier: dict,
    result: dict,
    clean_accuracy: float,
    model_clean_accuracy: float,
    labels: list[int],
    classes: list[str],
    produced_on: dict,
    source: str | None = None,
    source_training: dict | None = None,
    transfer_set: str | None = None,
) -> dict:
    """One evaluation's record. ``classifier``: the decision rule's settings in force while
    ``result`` was measured (not the model's own, restored afterwards); ``clean_accuracy`` the
    clean accuracy under those settings, ``model_clean_accuracy`` under the model's own (what
    a table's clean floor reads)."""
    return {
        "format": FORMAT,
        **{k: run[k] for k in RUN_FIELDS},
        "seed": seed,
        "attack": attack_spec["id"],
        "attack_class": attack_spec["class"],
        "paper_attack": attack.paper_name,
        "threat": attack_spec["threat"],
        "norm": attack.norm,
        "family": attack.family,
        "eps": attack.eps,
        "params": attack_options_in_force(attack_spec["class"], attack_spec["params"]),
        "source": source,
        "transfer_set": transfer_set,
        # the full protocol behind the number, for the verdict rule (docs/verdicts.md)
        "training": training,
        "source_training": source_training,
        "classifier": classifier,
        "test_size": run["test_size"],
        "labels": labels,
        "classes": classes,
        **produced_on,
        "clean_accuracy": clean_accuracy,
        "model_clean_accuracy": model_clean_accuracy,
        **result,
    }


def read_record(path: str | Path) -> dict:
    """A record as the reporting rules may use it, or RecordError naming the file and the fix:
    unreadable or cut JSON, another format, a missing field, or numbers that disagree (the
    accuracy against its per-example results, the count against the labels)."""
    path = Path(path)
    rebuild = (
        f"delete it and rebuild it (snakemake --cores all {path}, or rerun the job that wrote "
        "it with --forcerun)"
    )
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        raise RecordError(f"{path}: evaluation record missing; {rebuild}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RecordError(
            f"{path}: not a readable evaluation record ({error}); {rebuild}"
        ) from None
    if not isinstance(record, dict):
        raise RecordError(f"{path}: not an evaluation record (a JSON object); {rebuild}")
    if record.get("format") != FORMAT:
        raise RecordError(
            f"{path}: evaluation record of format {record.get('format', 1)}, this code reads "
            f"format {FORMAT}: rerun its evaluation ({rebuild})"
        )
    missing = [key for key in REQUIRED if key not in record]
    if missing:
        raise RecordError(f"{path}: evaluation record lacks {', '.join(missing)}; {rebuild}")
    mistyped = [
        f"{key} is {type(record[key]).__name__}, not "
        + " or ".join(kind.__name__ for kind in kinds)
        for key, (kinds, _meaning) in FIELDS.items()
        # bool is an int to isinstance; no record field is a bool
        if not isinstance(record[key], kinds) or isinstance(record[key], bool)
    ]
    if mistyped:
        raise RecordError(f"{path}: evaluation record field {'; '.join(mistyped)}; {rebuild}")
    correct, labels = record["correct"], record["labels"]
    if not (record["count"] == len(correct) == len(labels) == len(record["predicted"])):
        raise RecordError(
            f"{path}: count {record['count']} but {len(correct)} per-example results, "
            f"{len(labels)} labels and {len(record['predicted'])} predictions; {rebuild}"
        )
    if record["test_size"] is not None and record["count"] != record["test_size"]:
        raise RecordError(
            f"{path}: {record['count']} examples evaluated, test_size {record['test_size']}; "
            f"{rebuild}"
        )
    # within half an example: the accuracy is a float32 mean of the per-example results
    if correct and abs(record["accuracy"] * len(correct) - sum(correct)) >= 0.5:
        raise RecordError(
            f"{path}: accuracy {record['accuracy']} but {sum(correct)} of {len(correct)} "
            f"examples correct; {rebuild}"
        )
    return record
