"""MCT Fig. 2's compute (rule neighbours): nearest training images of attacked test images
under one model's embedding (the figure rule only plots them)."""

from __future__ import annotations

import logging

import torch

from advrepro import io, provenance
from advrepro.attacks import build_attack
from advrepro.jobs import inputs

log = logging.getLogger("advrepro")


def neighbours(
    data_path: str,
    model_path: str,
    run: dict,
    attack_spec: dict,
    spec: dict,
    seed: int,
    out_path: str,
    device: str = "auto",
    threads: int | None = None,
) -> None:
    """MCT Fig. 2's compute: nearest training images of attacked test images (one model)."""
    from advrepro.neighbours import nearest_neighbours

    device, splits, model = inputs.attack_inputs(data_path, model_path, run, seed, device, threads)
    torch.manual_seed(seed)
    attack = build_attack(attack_spec["class"], model, **attack_spec["params"])
    result = nearest_neighbours(
        model,
        splits,
        attack,
        spec["classes"],
        spec["shown_per_class"],
        spec["eval_per_class"],
        spec["neighbours"],
        run["eval_batch_size"],
    )
    result.update(
        {k: run[k] for k in ("experiment", "dataset", "paper_dataset", "method", "scale")},
        seed=seed,
        attack=attack_spec["id"],
        **provenance.produced_on(device),
    )
    io.save_torch(out_path, result)
    log.info(
        "%s/%s: precision@%d %.3f, adversarial accuracy %.3f over %d queries",
        run["experiment"],
        run["method"],
        spec["neighbours"],
        result["precision_at_k"],
        result["adversarial_accuracy"],
        result["queries"],
    )
