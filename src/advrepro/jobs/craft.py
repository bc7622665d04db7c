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
    for craft in crafts:
        if len(craft["sets"]) != len(craft["attacks"]):
            raise ValueError(f"{len(craft['attacks'])} attacks but {len(craft['sets'])} sets")
        run, seed = craft["run"], craft["seed"]
        where, splits, loaded = inputs.attack_inputs(
            data_path, craft["model"], run, seed, device, threads
        )
        pairs = zip(craft["attacks"], craft["sets"])
        for source, (attack_spec, out_path) in inputs.unchanged_each_time(
            loaded, craft["model"], run, where, pairs
        ):
            _craft(source, craft, attack_spec, out_path, splits, where, progress)


def _craft(source, craft, attack_spec, out_path, splits, device, progress) -> None:
    run, seed = craft["run"], craft["seed"]
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
