"""Triplet-loss adversarial training, TLA (Mao et al. 2019, "Metric Learning for Adversarial
Robustness"): cross-entropy on PGD examples plus a triplet term on penultimate-layer
embeddings, with the adversarial example as anchor, a clean example of the same class as
positive and the hardest (most similar) clean example of another class in the batch as
negative, plus feature-norm decay.

    loss = CE(f(x_adv), y) + triplet_weight * triplet(a, p, n) + norm_weight * norm

Defaults from their public MNIST config (config_mnist.json): cosine distance, margin 0.05,
triplet weight 0.5, norm weight 1e-4, adversarial-only cross-entropy. Options: eps, alpha,
steps, margin, triplet_weight, norm_weight, distance, positive ("other": another clean image
of the class, falling back to the clean twin when the batch has none; or "twin").
"""

import torch
import torch.nn.functional as F

from advrepro.attacks import build_attack
from advrepro.losses import TripletMarginLoss, feature_norm_decay
from advrepro.methods import METHODS, Method
from advrepro.methods.mining import hardest_negative, same_class_partner


@METHODS.register("tla")
class TripletLossAdversarialTraining(Method):
    def __init__(self, eps, alpha, steps, margin=0.05, triplet_weight=0.5, norm_weight=1e-4,
                 distance="cosine", positive="other", random_start=True):
        super().__init__(eps=eps, alpha=alpha, steps=steps, random_start=random_start)
        if positive not in ("other", "twin"):
            raise ValueError("positive must be 'other' or 'twin'")
        self.triplet = TripletMarginLoss(margin, distance)
        self.triplet_weight, self.norm_weight, self.positive = triplet_weight, norm_weight, positive


    def passes_per_epoch(self, train_size):
        return train_size * (self.options["steps"] + 2)  # the PGD steps, adversarial and clean

    def setup(self, model, splits):
        self.attack = build_attack("pgd", model, **self.options)

    def loss(self, model, x, y):
        x_adv = self.attack(x, y)
        # one pass over [adversarial; clean], as Mao et al. feed both halves in one batch
        embeddings = model.embed(torch.cat([x_adv, x]))
        anchor, clean = embeddings.split(len(y))
        logits = model.head(anchor)
        positive_index = same_class_partner(y) if self.positive == "other" else None
        positive = clean if positive_index is None else clean[positive_index]
        negative = clean[hardest_negative(anchor, clean, y, y)]
        loss = (F.cross_entropy(logits, y)
                + self.triplet_weight * self.triplet(anchor, positive, negative)
                + self.norm_weight * feature_norm_decay(anchor, positive, negative))
        return loss, logits.argmax(1) == y

