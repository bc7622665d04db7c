"""Metric-learning losses on embeddings, one class each, with the same small interface:
``loss(anchor, positive, negatives) -> scalar``. Mining (which examples are the positive and
the negatives) happens in the methods, under ``torch.no_grad``, as in pytorch-metric-learning.

Tests recompute each loss by hand and against pytorch-metric-learning where the definitions
coincide (tests/test_losses.py).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def cosine_similarity_matrix(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pairwise cosine similarity, rows of ``a`` against rows of ``b``."""
    return F.normalize(a, dim=1) @ F.normalize(b, dim=1).T


def feature_norm_decay(*embeddings: torch.Tensor) -> torch.Tensor:
    """Mean squared L2 norm of the embeddings (the 'feature norm decay' of Sohn 2016 / Mao 2019)."""
    return torch.cat([e.pow(2).sum(1) for e in embeddings]).mean()


def mean_squared_feature(*embeddings: torch.Tensor) -> torch.Tensor:
    """Sum over the embeddings of the mean of their squared elements (over examples and
    dimensions): TLA's norm term as Mao et al.'s code computes it,
    ``reduce_mean(a * a + p * p + n * n)`` (utils.py, ``triplet_loss``). ``feature_norm_decay``
    sums over the dimensions instead: D / 3 times this for a triplet of D-dimensional embeddings."""
    return sum(e.pow(2).mean() for e in embeddings)


def feature_norm(*embeddings: torch.Tensor) -> torch.Tensor:
    """Mean L2 norm (not squared) of the embeddings: pytorch-metric-learning's LpRegularizer
    with its defaults (p = 2, power 1). Its gradient has length at most 1 per embedding, so a
    large weight cannot drive ReLU embeddings to zero as the squared norm can (docs/decisions.md,
    MCT Eq. 4). A zero embedding gets a zero gradient (vector_norm's subgradient)."""
    return torch.cat([torch.linalg.vector_norm(e, dim=1) for e in embeddings]).mean()


class TripletMarginLoss:
    """Triplet loss of TLA (Mao et al. 2019): mean over all triplets (zero terms included) of
    ``relu(D(a, p) - D(a, n) + margin)``, with D one of
    ``abs_cosine``: 1 - |cos|, what their code computes for ``triplet_loss_type: cos``
    (``1 - tf.abs(reduce_sum(norm_a * norm_p))``); ``cosine``: 1 - cos; ``euclidean``."""

    DISTANCES = ("abs_cosine", "cosine", "euclidean")

    def __init__(self, margin: float, distance: str = "abs_cosine"):
        if distance not in self.DISTANCES:
            raise ValueError(f"distance must be one of {', '.join(self.DISTANCES)}")
        self.margin, self.distance = margin, distance

    def pair_distance(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if self.distance == "abs_cosine":
            return 1 - F.cosine_similarity(a, b, dim=1).abs()
        if self.distance == "cosine":
            return 1 - F.cosine_similarity(a, b, dim=1)
        return (a - b).norm(dim=1)

    def __call__(self, anchor, positive, negative) -> torch.Tensor:
        violation = (
            self.pair_distance(anchor, positive)
            - self.pair_distance(anchor, negative)
            + self.margin
        )
        return F.relu(violation).mean()


class MultiClassNPairLoss:
    """The multi-class N-pair loss (Sohn 2016) as MCT uses it, with cosine similarity s:

        mean over anchors of  log(1 + sum_c exp(s(a, n_c) - s(a, p) + margin))

    where n_c is one negative per other class. ``negatives`` has shape (B, C-1, D). The printed
    Eq. 1 of the MCT paper sums a log over i and an exp over a stray index j and reuses alpha as
    a margin; Sohn's definition (margin 0) is the reading we implement (docs/decisions.md).
    """

    def __init__(self, margin: float = 0.0):
        self.margin = margin

    def __call__(
        self, anchor, positive, negatives, valid: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``valid`` (B, C-1) masks out negatives that do not exist (a class absent from the batch)."""
        anchor_unit = F.normalize(anchor, dim=1)
        s_pos = (anchor_unit * F.normalize(positive, dim=1)).sum(1)  # (B,)
        s_neg = torch.einsum("bd,bkd->bk", anchor_unit, F.normalize(negatives, dim=2))  # (B, C-1)
        logits = s_neg - s_pos[:, None] + self.margin
        if valid is not None:
            logits = logits.masked_fill(~valid, float("-inf"))
        # log(1 + sum exp(z)) = logsumexp over [0, z_1, ..., z_k], numerically stable
        return torch.logsumexp(F.pad(logits, (1, 0)), dim=1).mean()
