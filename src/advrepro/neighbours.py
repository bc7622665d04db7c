"""MCT Fig. 2: nearest training images, in a model's embedding, of adversarially attacked test
images. The paper shows that MCT's embedding still retrieves images of the query's true class
after a PGD attack; we show it beside adversarial training (AT) and measure it: precision@k,
the fraction of the k nearest training images (cosine similarity of ``model.embed``, the space
MCT's loss shapes) whose label is the query's true class, over many queries per class.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def first_per_class(y: torch.Tensor, classes: list[int], count: int) -> torch.Tensor:
    """Indices of the first ``count`` examples of each class, class by class (no sample loop)."""
    picks = [torch.nonzero(y == c).flatten()[:count] for c in classes]
    return torch.cat(picks)


@torch.no_grad()
def embed_all(model, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    return torch.cat(
        [
            F.normalize(model.embed(x[i : i + batch_size]), dim=1)
            for i in range(0, len(x), batch_size)
        ]
    )


def nearest_neighbours(
    model,
    splits,
    attack,
    classes: list[int],
    shown_per_class: int,
    eval_per_class: int,
    k: int,
    batch_size: int,
) -> dict:
    """Attack the first ``eval_per_class`` test images of each class, retrieve the k nearest
    training images of each adversarial query, and keep the first ``shown_per_class`` queries
    of each class (with their neighbours' images) for the figure."""
    model.eval()
    index = first_per_class(splits.y_test, classes, eval_per_class)
    x, y = splits.x_test[index], splits.y_test[index]
    x_adv = torch.cat(
        [attack(x[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(y), batch_size)]
    )
    train = embed_all(model, splits.x_train, batch_size)
    queries = embed_all(model, x_adv, batch_size)
    nearest = torch.cat(
        [
            (queries[i : i + batch_size] @ train.T).topk(k, dim=1).indices
            for i in range(0, len(queries), batch_size)
        ]
    )
    neighbour_labels = splits.y_train[nearest]
    with torch.no_grad():
        predicted = torch.cat(
            [model.classify(x_adv[i : i + batch_size]) for i in range(0, len(y), batch_size)]
        )
    shown = first_per_class(y, classes, shown_per_class)
    return {
        "classes": splits.classes,
        "precision_at_k": (neighbour_labels == y[:, None]).float().mean().item(),
        "adversarial_accuracy": (predicted == y).float().mean().item(),
        "queries": len(y),
        "k": k,
        "shown_query": x_adv[shown].cpu(),
        "shown_label": y[shown].cpu(),
        "shown_prediction": predicted[shown].cpu(),
        "shown_neighbours": splits.x_train[nearest[shown]].cpu(),
        "shown_neighbour_labels": neighbour_labels[shown].cpu(),
    }
