"""Batch mining shared by the metric-learning methods (no gradients; returns indices).

Not a method: the registry only holds modules' registered classes, so helpers may live here.
"""

from __future__ import annotations

import torch

from advrepro.losses import cosine_similarity_matrix


@torch.no_grad()
def same_class_partner(
    labels: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """For each example, a random *other* example of its class in the batch (itself if none)."""
    same = labels[:, None] == labels[None, :]
    same.fill_diagonal_(False)
    scores = torch.rand(same.shape, device=labels.device, generator=generator)
    scores = scores.masked_fill(~same, -1.0)
    partner = scores.argmax(1)
    has_partner = same.any(1)
    return torch.where(has_partner, partner, torch.arange(len(labels), device=labels.device))


@torch.no_grad()
def hardest_negative(
    anchor_emb: torch.Tensor,
    pool_emb: torch.Tensor,
    anchor_labels: torch.Tensor,
    pool_labels: torch.Tensor,
) -> torch.Tensor:
    """Index into the pool of the most similar (cosine) example of another class, per anchor."""
    similarity = cosine_similarity_matrix(anchor_emb, pool_emb)
    similarity = similarity.masked_fill(
        anchor_labels[:, None] == pool_labels[None, :], float("-inf")
    )
    return similarity.argmax(1)


@torch.no_grad()
def nearest_per_class(
    anchor_emb: torch.Tensor,
    pool_emb: torch.Tensor,
    anchor_labels: torch.Tensor,
    pool_labels: torch.Tensor,
    num_classes: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """For each anchor and each *other* class, the pool index of that class's example nearest
    to the anchor (cosine). Returns (indices (B, C-1), valid (B, C-1)); valid is False where
    the class is absent from the pool."""
    similarity = cosine_similarity_matrix(anchor_emb, pool_emb)  # (B, P)
    classes = torch.arange(num_classes, device=pool_labels.device)
    in_class = pool_labels[None, :] == classes[:, None]  # (C, P)
    per_class = similarity[:, None, :].masked_fill(~in_class[None], float("-inf"))  # (B, C, P)
    nearest = per_class.argmax(2)  # (B, C)
    present = in_class.any(1)[None, :].expand(len(anchor_labels), -1)  # (B, C)
    others = classes[None, :] != anchor_labels[:, None]  # (B, C)
    keep = others.nonzero(as_tuple=True)
    shape = (len(anchor_labels), num_classes - 1)
    return nearest[keep].view(shape), present[keep].view(shape)


def class_balanced_batches(
    labels: torch.Tensor, batch_size: int, num_classes: int, generator: torch.Generator
):
    """Batches with ``batch_size // num_classes`` examples of every class, so every anchor has a
    positive and a negative of each other class. One epoch = ``len(labels) // batch_size``
    batches; each class is drawn from its own reshuffled stream (small classes repeat). A class
    with no training example at all (only in tiny subsets) is left out; the N-pair loss masks
    its missing negatives."""
    per_class = max(1, batch_size // num_classes)
    num_batches = max(1, len(labels) // (per_class * num_classes))
    need = num_batches * per_class
    labels_cpu = labels.cpu()
    streams = []
    for c in range(num_classes):  # a loop over classes, not samples
        members = (labels_cpu == c).nonzero(as_tuple=True)[0]
        if len(members) == 0:
            continue
        repeats = -(-need // len(members))
        order = torch.cat(
            [members[torch.randperm(len(members), generator=generator)] for _ in range(repeats)]
        )[:need]
        streams.append(order.view(num_batches, per_class))
    batches = torch.stack(streams, 1).view(num_batches, per_class * len(streams))
    yield from batches.to(labels.device)
