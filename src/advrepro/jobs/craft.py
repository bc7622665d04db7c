"""Stage 3a (rules craft_transfer, craft_transfer_<experiment>_<source>): a transfer attack's
examples, crafted once on their source model; every target's evaluation replays them
(advrepro.transfer)."""

from __future__ import annotations

import logging

import torch

from advrepro import io, provenance
from advrepro.attacks import build_attack
from advrepro.evaluation import evaluate
from advrepro.jobs import inputs
from advrepro.transfer import transfer_set

log = logging.getLogger("advrepro")


def craft_transfer_sets(
    data_path: str,
    crafts: list[dict],
    device: str = "auto",
    progress: bool = True,
    threads: int | None = None,
) -> None:
    """Each of ``crafts`` (advrepro.plan.crafting: model, run, seed, attacks, sets) is one
    source model and the transfer sets crafted on it, from one load of data and model
    (reloaded should an attack ever change its weights): one set per job (rule
    craft_transfer) or every set of a source model (craft_transfer_<experiment>_<source>)."""
    for source, craft, k, splits, where in inputs.attacks_of_models(
        data_path, crafts, "sets", device, threads
    ):
        _craft(source, craft, k, splits, where, progress)


def _craft(source, craft, k, splits, device, progress) -> None:
    """The k-th transfer set of ``craft``, crafted on ``source``."""
    run, seed = craft["run"], craft["seed"]
    attack_spec, out_path = craft["attacks"][k], craft["sets"][k]
    torch.manual_seed(seed)
    attack = build_attack(attack_spec["class"], source, **attack_spec["params"])
    attacked = inputs.attacked_rows(splits, attack_spec)
    result = evaluate(
        source,
        attack,
        splits.x_test,
        splits.y_test,
        run["eval_batch_size"],
        progress=progress,
        attacked=attacked,
        keep_adversarial=True,
    )
    rows = inputs.row_indices(attacked, splits.y_test)
    io.save_torch(
        out_path,
        transfer_set(
            attack,
            attack_spec,
            splits.x_test[rows],
            result["adversarial_examples"],
            rows,
            source=craft["model"],
            source_method=run["method"],
            source_training=source.protocol,
            seed=seed,
            source_correct=torch.tensor(result["correct"], dtype=torch.bool)[rows.cpu()],
            source_accuracy=result["accuracy"],
            seconds=result["seconds"],
            **provenance.produced_on(device),
        ),
    )
    log.info(
        "%s/%s seed %d %s: crafted %d examples in %.1f s (source accuracy %.4f)",
        run["experiment"],
        run["method"],
        seed,
        attack_spec["id"],
        len(rows),
        result["seconds"],
        result["accuracy"],
    )
