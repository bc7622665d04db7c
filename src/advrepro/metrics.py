"""Summary statistics over seeds and examples."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: reporting jobs need mean_std only, not torch
    import torch


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    n = len(values)
    if n == 0:
        return math.nan, math.nan
    mean = sum(values) / n
    if n == 1:
        return mean, 0.0
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))


def _average_ranks(values: torch.Tensor) -> torch.Tensor:
    """1-based ranks of ``values``, ties sharing their average rank."""
    import torch

    unique, inverse, counts = torch.unique(values, return_inverse=True, return_counts=True)
    last = counts.cumsum(0).double()
    return ((last - counts.double() + 1 + last) / 2)[inverse]


def macro_ovr_auc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Macro average over classes of the one-vs-rest ROC AUC of each class's score (the
    Mann-Whitney statistic, ties counted half): MCT Tables 3-4's "AUC score" as we read it
    (docs/decisions.md, A15). Classes without positives or negatives among ``labels`` are left
    out; NaN if none is left."""
    aucs = []
    for c in range(scores.shape[1]):  # a loop over classes, not examples
        positive = labels == c
        n_pos, n_neg = int(positive.sum()), int((~positive).sum())
        if n_pos == 0 or n_neg == 0:
            continue
        ranks = _average_ranks(scores[:, c].double())
        aucs.append(float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)))
    return sum(aucs) / len(aucs) if aucs else math.nan
