"""Evaluate a model under one attack: batched over the test set, on the model's device.

A white-box attack is crafted on the target model itself; a transfer attack replays examples
crafted once on its source model (advrepro.transfer). The adversarial examples are classified
by ``target.classify``
(the model's real decision rule: DunDi's two-step oracle vote, argmax of logits otherwise).
A model with a detector (``reject_label``, e.g. Feinman et al.'s KD+BU) defends an adversarial
example by classifying it correctly or by rejecting it; a rejected clean or noisy input is an
error. ``accuracy`` is that defence success rate; ``rejected`` the share rejected. Returns
the tidy record fields (with ``auc``, the macro one-vs-rest ROC AUC of the softmax scores on
the inputs as classified) plus per-example correctness (for worst-case-over-attacks and
bootstrap intervals) and predictions (for confusion matrices); with ``keep_adversarial`` also
the attacked examples' inputs as the model saw them (on the CPU, in test-set order).
"""

from __future__ import annotations

import sys
import time

import torch
from torch import nn
from tqdm import tqdm

from advrepro.attacks import Attack, decision
from advrepro.indicators.tally import IndicatorTally
from advrepro.metrics import macro_ovr_auc


def evaluate(
    target: nn.Module,
    attack: Attack,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    progress: bool = True,
    attacked: torch.Tensor | None = None,
    keep_adversarial: bool = False,
    indicators: dict | None = None,
) -> dict:
    """``attacked``: bool mask of the examples to attack (default all); the others are
    classified clean and count as clean inputs. ``indicators``: measure the attack-failure
    indicators (advrepro.indicators; keys ``examples``, ``probe_steps``) on the first attacked
    examples."""
    target.eval()
    tally = IndicatorTally(target, attack, **indicators) if indicators else None
    attacked = (
        torch.ones(len(y), dtype=torch.bool, device=y.device) if attacked is None else attacked
    )
    predictions = torch.empty(len(y), dtype=torch.long, device=y.device)
    correct = torch.empty(len(y), dtype=torch.bool, device=y.device)
    rejected = torch.zeros(len(y), dtype=torch.bool, device=y.device)
    scores = None
    reject_label = getattr(target, "reject_label", None)
    kept = []
    started = time.perf_counter()
    for start in tqdm(
        range(0, len(y), batch_size),
        desc=attack.registry_name,
        file=sys.stderr,
        disable=not progress,
        mininterval=2.0,
    ):
        xb, yb = x[start : start + batch_size], y[start : start + batch_size]
        chosen = attacked[start : start + batch_size]
        x_adv = xb.clone()
        if chosen.any():
            x_adv[chosen] = attack(xb[chosen], yb[chosen])
            if keep_adversarial:
                kept.append(x_adv[chosen].cpu())
        with torch.no_grad():
            probabilities = target(x_adv).softmax(1)  # argmax = logits' argmax
            predicted = decision(target, x_adv, probabilities)
        if scores is None:
            scores = torch.empty(len(y), probabilities.shape[1], device=y.device)
        scores[start : start + batch_size] = probabilities
        predictions[start : start + batch_size] = predicted
        correct[start : start + batch_size] = predicted == yb
        if reject_label is not None:
            rejected[start : start + batch_size] = predicted == reject_label
        if tally is not None and chosen.any():
            tally.update(
                xb[chosen],
                yb[chosen],
                x_adv[chosen],
                predicted[chosen],
                getattr(attack, "last_source_correct", None),
            )
    if attack.adversarial:
        correct |= rejected & attacked
    if x.device.type == "cuda":
        torch.cuda.synchronize(x.device)
    seconds = time.perf_counter() - started
    if keep_adversarial:
        kept = {
            "adversarial_examples": torch.cat(kept)
            if kept
            else x.new_empty((0, *x.shape[1:])).cpu()
        }
    return {
        **(kept or {}),
        "accuracy": correct.float().mean().item(),
        "count": len(y),
        "rejected": rejected.float().mean().item(),
        # MCT Tables 3-4's "AUC score": macro one-vs-rest ROC AUC of the softmax scores
        "auc": macro_ovr_auc(scores, y) if scores is not None else float("nan"),
        "seconds": seconds,
        "examples_per_second": len(y) / seconds,
        "correct": correct.cpu().to(torch.uint8).tolist(),
        "predicted": predictions.cpu().tolist(),
        "attacked": int(attacked.sum()),
        **({"indicators": tally.result()} if tally is not None else {}),
    }
