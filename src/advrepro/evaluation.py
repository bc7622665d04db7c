"""Evaluate a model under one attack: batched over the test set, on the model's device.

The attack is crafted on ``source`` (the target model itself for white-box attacks, another
model for transfer attacks) and the adversarial examples are classified by ``target.classify``
(the model's real decision rule: DunDi's two-step oracle vote, argmax of logits otherwise).
Returns the tidy record fields plus per-example correctness (for worst-case-over-attacks and
bootstrap intervals).
"""

from __future__ import annotations

import sys
import time

import torch
from torch import nn
from tqdm import tqdm

from advrepro.attacks import Attack


def evaluate(target: nn.Module, attack: Attack, x: torch.Tensor, y: torch.Tensor,
             batch_size: int, progress: bool = True) -> dict:
    target.eval()
    correct = torch.empty(len(y), dtype=torch.bool, device=y.device)
    started = time.perf_counter()
    for start in tqdm(range(0, len(y), batch_size), desc=attack.registry_name, file=sys.stderr,
                      disable=not progress, mininterval=2.0):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        x_adv = attack(xb, yb)
        with torch.no_grad():
            correct[start:start + batch_size] = target.classify(x_adv) == yb
    if x.device.type == "cuda":
        torch.cuda.synchronize(x.device)
    seconds = time.perf_counter() - started
    return {
        "accuracy": correct.float().mean().item(),
        "count": len(y),
        "seconds": seconds,
        "examples_per_second": len(y) / seconds,
        "correct": correct.cpu().to(torch.uint8).tolist(),
    }
