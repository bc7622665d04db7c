"""What every job starts from: its threads, device and the prepared data; the attack jobs
(crafting, evaluation, retrieval) also their trained model, checked and in the configured
memory layout."""

from __future__ import annotations

import logging

import torch

from advrepro import data, model_files, provenance
from advrepro import performance as perf
from advrepro.models import weights_version

log = logging.getLogger("advrepro")


def use_threads(threads: int | None) -> None:
    if threads:
        torch.set_num_threads(threads)


def load_splits(data_path: str, run: dict, device: torch.device) -> data.Splits:
    return data.load_prepared(
        data_path,
        device,
        train_size=run["train_size"],
        test_size=run["test_size"],
        config_key=f"experiments.{run['experiment']}",
    )


def attack_inputs(
    data_path: str, model_path: str, run: dict, seed: int, device: str, threads: int | None
) -> tuple[torch.device, data.Splits, torch.nn.Module]:
    """(device, test data, the trained model checked to be the one the config asks of its
    path, in the configured layout)."""
    use_threads(threads)
    device = provenance.pick_device(device)
    splits = load_splits(data_path, run, device)
    perf.configure_backend(run.get("performance"))
    model = model_files.load_checked(model_path, run, seed, device)
    return device, splits, perf.to_layout(model, run.get("performance"))


def unchanged_each_time(model, model_path, run, device, items):
    """Yield (model, item) for each of ``items``, the model as saved each time: reloaded should
    the work on an earlier item have changed its weights (no attack should; this makes sure)."""
    version = weights_version(model)
    for item in items:
        if weights_version(model) != version:
            model = perf.to_layout(
                model_files.load_model(model_path, device), run.get("performance")
            )
            version = weights_version(model)
        yield model, item


def attacks_of_models(
    data_path: str, items: list[dict], outputs: str, device: str, threads: int | None
):
    """Yield (model, item, k, test data, device) for the k-th attack of each work item's model
    (``items``: advrepro.plan.evaluation or .crafting), each model loaded once, checked, and
    reloaded should an attack ever change its weights; ``outputs``: the item's key of one file
    per attack."""
    for i, item in enumerate(items):
        if len(item[outputs]) != len(item["attacks"]):
            raise ValueError(f"{len(item['attacks'])} attacks but {len(item[outputs])} {outputs}")
        log.info("model %d of %d: %s", i + 1, len(items), item["model"])
        where, splits, loaded = attack_inputs(
            data_path, item["model"], item["run"], item["seed"], device, threads
        )
        attacks = range(len(item["attacks"]))
        for model, k in unchanged_each_time(loaded, item["model"], item["run"], where, attacks):
            log.info("attack %d of %d: %s", k + 1, len(attacks), item["attacks"][k]["id"])
            yield model, item, k, splits, where


def attacked_rows(splits: data.Splits, attack_spec: dict) -> torch.Tensor | None:
    """Mask of the test rows an attack attacks (config ``only_classes``); None = all."""
    if not attack_spec.get("only_classes"):  # e.g. MCT Fig. 3: the illegitimate flows only
        return None
    unknown = set(attack_spec["only_classes"]) - set(splits.classes)
    if unknown:
        raise ValueError(
            f"attack {attack_spec['id']}: only_classes {sorted(unknown)} are not "
            f"classes of {splits.name} ({', '.join(splits.classes)})"
        )
    chosen = torch.tensor(
        [splits.classes.index(c) for c in attack_spec["only_classes"]], device=splits.y_test.device
    )
    return torch.isin(splits.y_test, chosen)


def row_indices(attacked: torch.Tensor | None, y: torch.Tensor) -> torch.Tensor:
    """The indices of the attacked test rows (all, where ``attacked`` is None)."""
    return (
        (torch.ones_like(y, dtype=torch.bool) if attacked is None else attacked).nonzero().flatten()
    )
