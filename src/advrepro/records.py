"""The evaluation record and the training protocol: what one model scored under one attack,
and everything it was trained and measured under (docs/verdicts.md).

The evaluation jobs (advrepro.jobs) write one JSON record per (experiment, method, seed,
attack) through ``evaluation_record``, from the state in force during the measurement: the
attack's options with its constructor's defaults, the classifier settings the model was
configured with for this evaluation (DunDi's oracle count), the training protocol saved in the
model file. Every reporting rule reads records through ``read_record``, which returns a typed
``Record`` (attribute access; its training protocols are ``TrainingProtocol``s) or refuses a
file it cannot trust (unreadable, of an older format, a field missing, unknown or of another
type, or numbers that disagree with each other), naming the file and how to rebuild it. The
writer passes what it builds through the same check, so writer and readers cannot drift apart.
No torch import: reporting jobs start without it.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

from advrepro.registry import declared_defaults

# Bumped whenever a field changes meaning; a record of another format is refused by name.
# 2: classifier settings as in force during the measurement (1 recorded them after restoring
# the model's own), options with their defaults, the training settings in force, paper_attack.
FORMAT = 2


@functools.cache
def _option_defaults(package: str) -> dict[str, dict]:
    """Class -> option -> default of a registry (read from its source when a job first builds
    a record: the config module, below which this one sits, imports it on every start)."""
    return declared_defaults(package)


_NUMBER = (int, float)
_NAME = (str,)
_OPTIONAL_NAME = (str, type(None))


def _declared(kinds: tuple, meaning: str, **default) -> dataclasses.Field:
    """A field with the JSON types it may take and what it means (the reader checks both)."""
    return dataclasses.field(metadata={"json": kinds, "meaning": meaning}, **default)


class RecordError(ValueError):
    """A record that cannot be trusted; the message names the file and the fix."""


@dataclasses.dataclass(frozen=True)
class TrainingProtocol:
    """How a model was trained (``training_protocol`` writes it into the model file; every
    record of the model copies it). ``init_from``: the protocol of the model it started from."""

    format: int = _declared((int,), "FORMAT when the model was trained")
    experiment: str = _declared(_NAME, "the config's experiment")
    method: str = _declared(_NAME, "the training method's config name")
    method_class: str = _declared(_NAME, "the method's registry name")
    method_options: dict = _declared((dict,), "every option of the method in force")
    architecture: str = _declared(_NAME, "the network (advrepro.models registry name)")
    dataset: str = _declared(_NAME, "the data it was trained on")
    scale: str = _declared(_NAME, "the scale it was trained at (paper, smoke, demo, tiny)")
    train_size: int | None = _declared((int, type(None)), "training subset (None: all)")
    train_examples: int = _declared((int,), "training examples it saw per epoch")
    train: dict = _declared((dict,), "every training setting in force (TrainSettings)")
    epochs_trained: int = _declared((int,), "epochs it completed")
    seed: int = _declared((int,), "its training seed")
    init_from: TrainingProtocol | None = _declared(
        (dict, type(None)), "the protocol of the model it started from", default=None
    )

    @classmethod
    def from_mapping(cls, data: Mapping, what: str = "training") -> TrainingProtocol:
        fields = _checked(cls, data, what)
        if fields["init_from"] is not None:
            fields["init_from"] = cls.from_mapping(fields["init_from"], f"{what}.init_from")
        return cls(**fields)


@dataclasses.dataclass(frozen=True)
class Record:
    """One evaluation: what the model scored under one attack, and the whole protocol behind
    it. ``settings()`` names every setting a verdict must account for, ``setting(name)``
    reads one by the dotted name the config's protocol entries use."""

    format: int = _declared((int,), "this module's FORMAT when the record was written")
    experiment: str = _declared(_NAME, "the config's experiment (a paper table's setting)")
    dataset: str = _declared(_NAME, "the data the model was trained and tested on")
    paper_dataset: str = _declared(_NAME, "the dataset the paper reports for this experiment")
    architecture: str = _declared(_NAME, "the network (advrepro.models registry name)")
    method: str = _declared(_NAME, "the training method's config name")
    method_class: str = _declared(_NAME, "the method's registry name")
    scale: str = _declared(_NAME, "the scale the run was made at (paper, smoke, demo, tiny)")
    seed: int = _declared((int,), "the model's training seed")
    attack: str = _declared(_NAME, "the attack's config id (a derived id for sweeps and checks)")
    attack_class: str = _declared(_NAME, "the attack's registry name")
    paper_attack: str = _declared(_NAME, "the attack as the papers name it (Attack.paper_name)")
    threat: str = _declared(_NAME, "whitebox or transfer")
    norm: str | None = _declared(_OPTIONAL_NAME, "the budget's norm (None: no budget)")
    family: str = _declared(_NAME, "gradient, transfer, clean, ... (Attack.family)")
    eps: float | None = _declared((*_NUMBER, type(None)), "the budget (None: unbounded)")
    params: dict = _declared((dict,), "every attack option in force, defaults included")
    source: str | None = _declared(_OPTIONAL_NAME, "the transfer source's model file")
    transfer_set: str | None = _declared(_OPTIONAL_NAME, "the replayed transfer set")
    training: TrainingProtocol | None = _declared(
        (dict,), "the model's training protocol (None: its model file holds none)"
    )
    source_training: TrainingProtocol | None = _declared(
        (dict, type(None)), "the transfer source's training protocol"
    )
    classifier: dict = _declared(
        (dict,), "the decision rule's settings in force during the measurement"
    )
    test_size: int | None = _declared(
        (int, type(None)), "examples the experiment evaluates (None: the test set)"
    )
    labels: list = _declared((list,), "true label of each evaluated example")
    classes: list = _declared((list,), "the class names, by label")
    hardware: str = _declared(_NAME, "what the evaluation ran on")
    commit: str = _declared(_NAME, "the code's commit")
    clean_accuracy: float = _declared(_NUMBER, "clean accuracy under the classifier settings")
    model_clean_accuracy: float = _declared(
        _NUMBER, "clean accuracy under the model's own classifier settings"
    )
    accuracy: float = _declared(_NUMBER, "fraction classified correctly under the attack")
    count: int = _declared((int,), "examples evaluated")
    rejected: float = _declared(_NUMBER, "fraction the classifier rejected")
    auc: float = _declared(_NUMBER, "macro one-vs-rest ROC AUC of the scores (NaN: none)")
    seconds: float = _declared(_NUMBER, "seconds the attack and evaluation took")
    examples_per_second: float = _declared(_NUMBER, "count / seconds")
    correct: list = _declared((list,), "1 where the example was classified correctly")
    predicted: list = _declared((list,), "the predicted label of each example")
    attacked: int = _declared((int,), "examples the attack ran on")
    indicators: dict | None = _declared(
        (dict, type(None)), "attack-failure indicators, where measured", default=None
    )

    @classmethod
    def from_mapping(cls, data: Mapping) -> Record:
        """A record from its JSON form, checked as ``read_record`` checks a file."""
        fields = _checked(cls, data, "")
        # {} or None: a model file that holds no protocol (a transfer set made from one, or
        # no transfer at all); the verdict then says so
        for name in ("training", "source_training"):
            if fields[name]:
                fields[name] = TrainingProtocol.from_mapping(fields[name], name)
            else:
                fields[name] = None
        record = cls(**fields)
        record._check_consistent()
        return record

    def _check_consistent(self) -> None:
        correct, labels = self.correct, self.labels
        if not (self.count == len(correct) == len(labels) == len(self.predicted)):
            raise _Invalid(
                f"count {self.count} but {len(correct)} per-example results, "
                f"{len(labels)} labels and {len(self.predicted)} predictions"
            )
        if self.test_size is not None and self.count != self.test_size:
            raise _Invalid(f"{self.count} examples evaluated, test_size {self.test_size}")
        # within half an example: the accuracy is a float32 mean of the per-example results
        if correct and abs(self.accuracy * len(correct) - sum(correct)) >= 0.5:
            raise _Invalid(
                f"accuracy {self.accuracy} but {sum(correct)} of {len(correct)} examples correct"
            )

    @property
    def key(self) -> tuple[str, str, int, str]:
        """(experiment, method, seed, attack): what names a record in the plan (its path)."""
        return (self.experiment, self.method, self.seed, self.attack)

    # The protocol a verdict compares: every leaf below these fields is a setting the run was
    # made with; the models a record rests on are themselves protocols.
    ATTACK_SETTINGS = ("threat", "params", "classifier")
    TRAINING_SETTINGS = ("method_options", "train")
    CHAINED_MODELS = ("init_from",)  # inside a training protocol

    def setting(self, name: str):
        """A field or a setting inside one by its dotted name ('architecture',
        'training.train.epochs', 'classifier.n', 'training.init_from.method'), as the
        config's protocol entries name them; None where the record has no such setting. The
        first part must be a declared field (a misspelt entry fails, it is not "absent")."""
        root, *rest = name.split(".")
        if root not in _FIELD_NAMES[Record]:
            raise KeyError(f"{name}: {root} is not a field of an evaluation record (FIELDS)")
        value = getattr(self, root)
        for key in rest:
            if isinstance(value, TrainingProtocol) and key in _FIELD_NAMES[TrainingProtocol]:
                value = getattr(value, key)
            elif isinstance(value, dict) and key in value:
                value = value[key]
            else:
                return None
        if isinstance(value, TrainingProtocol):
            return dataclasses.asdict(value)
        return value

    def settings(self) -> list[str]:
        """Every setting the record carries that a verdict must account for, as dotted names:
        the attack's (threat, every option in force, the classifier settings), the training's
        (method options and training settings in force) and those of every model it rests on
        (the model it started from, the transfer source and its own)."""
        # the clean "attack" has no settings that change a number, but the classifier's
        attack = ("classifier",) if self.family == "clean" else self.ATTACK_SETTINGS
        found = [path for name in attack for path in _leaves(getattr(self, name), name)]
        if self.training is not None:
            found += _training_settings(self.training, "training")
        if self.source_training is not None:
            found.append("source_training.method")
            found += _training_settings(self.source_training, "source_training")
        return found


_FIELD_NAMES = {
    kind: {f.name for f in dataclasses.fields(kind)} for kind in (Record, TrainingProtocol)
}

# What a record holds: each field, the JSON types it may take, and what it means (docs).
FIELDS = {f.name: (f.metadata["json"], f.metadata["meaning"]) for f in dataclasses.fields(Record)}


def _leaves(value, prefix: str) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(inner, f"{prefix}.{key}")
    else:
        yield prefix


def _training_settings(protocol: TrainingProtocol, prefix: str) -> Iterator[str]:
    for name in Record.TRAINING_SETTINGS:
        yield from _leaves(getattr(protocol, name), f"{prefix}.{name}")
    for name in Record.CHAINED_MODELS:
        chained = getattr(protocol, name)
        if chained is not None:
            yield from _training_settings(chained, f"{prefix}.{name}")


class _Invalid(ValueError):
    """What is wrong inside a record; read_record adds the file and the fix."""


def _checked(kind, data: Mapping, prefix: str) -> dict:
    """``data``'s fields for ``kind``, or _Invalid naming the missing, unknown or mistyped."""
    where = f"{prefix}." if prefix else ""
    if not isinstance(data, Mapping):
        raise _Invalid(f"{prefix or 'record'} is {type(data).__name__}, not an object")
    declared = dataclasses.fields(kind)
    missing = [
        f"{where}{f.name}"
        for f in declared
        if f.name not in data and f.default is dataclasses.MISSING
    ]
    if missing:
        raise _Invalid(f"lacks {', '.join(missing)}")
    unknown = [f"{where}{key}" for key in data if key not in _FIELD_NAMES[kind]]
    if unknown:
        raise _Invalid(f"holds {', '.join(unknown)}, which no evaluation record declares")
    fields = {f.name: data.get(f.name, f.default) for f in declared}
    mistyped = [
        f"{where}{f.name} is {type(fields[f.name]).__name__}, not "
        + " or ".join(k.__name__ for k in f.metadata["json"])
        for f in declared
        # bool is an int to isinstance; no record field is a bool
        if not isinstance(fields[f.name], f.metadata["json"]) or isinstance(fields[f.name], bool)
    ]
    if mistyped:
        raise _Invalid(f"field {'; '.join(mistyped)}")
    return fields


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


def method_options_in_force(
    method_class: str, options: dict, model: str | None = None, passed_on=()
) -> dict:
    """A method's options as it ran them: its constructor's defaults, and for the options it
    passes on to the model it builds (``passed_on``, e.g. DunDi's oracle counts to its
    distance network ``model``) that model's defaults; the configured ones on top."""
    model_defaults = _option_defaults("advrepro.models").get(model, {})
    return {
        **_option_defaults("advrepro.methods").get(method_class, {}),
        **{name: model_defaults[name] for name in passed_on if name in model_defaults},
        **options,
    }


def attack_options_in_force(attack_class: str, params: dict) -> dict:
    """An attack's options as it ran them: its constructor's defaults, the configured ones on
    top (JSMA's random target, C&W's kappa and PGD's random start are then in the record even
    where the config leaves them to the default)."""
    return {**_option_defaults("advrepro.attacks").get(attack_class, {}), **params}


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
    a table's clean floor reads). Checked against the declared fields before it is returned,
    so a record the readers would refuse is never written."""
    record = {
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
    Record.from_mapping(record)  # what the readers will accept, or _Invalid now
    return record


def read_record(path: str | Path) -> Record:
    """A record as the reporting rules may use it, or RecordError naming the file and the fix:
    unreadable or cut JSON, another format, a field missing, unknown or of another type, or
    numbers that disagree (the accuracy against its per-example results, the count against
    the labels)."""
    path = Path(path)
    rebuild = (
        f"delete it and rebuild it (snakemake --cores all {path}, or rerun the job that wrote "
        "it with --forcerun)"
    )
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise RecordError(f"{path}: evaluation record missing; {rebuild}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RecordError(
            f"{path}: not a readable evaluation record ({error}); {rebuild}"
        ) from None
    if not isinstance(data, dict):
        raise RecordError(f"{path}: not an evaluation record (a JSON object); {rebuild}")
    if data.get("format") != FORMAT:
        raise RecordError(
            f"{path}: evaluation record of format {data.get('format', 1)}, this code reads "
            f"format {FORMAT}: rerun its evaluation ({rebuild})"
        )
    try:
        return Record.from_mapping(data)
    except _Invalid as error:
        raise RecordError(f"{path}: evaluation record {error}; {rebuild}") from None
