"""Triplet-loss adversarial training, TLA (Mao et al. 2019, "Metric Learning for Adversarial
Robustness"), as their code (train_update_fast_triplet.py, utils.py) computes it:
cross-entropy on PGD examples plus triplet terms on penultimate-layer embeddings, the
adversarial example as anchor, a clean image of the same class as positive and the most
similar clean image of another class as negative:

    loss = CE(f(x_adv), y; label_smoothing)
           + sum over triplet terms t of
             triplet_weight * (triplet(a, p_t, n) + norm_weight * mean(a^2 + p_t^2 + n^2))

with the mean over examples and embedding dimensions (their ``reduce_mean(a*a + p*p + n*n)``,
inside the weighted triplet term: the effective norm weight is triplet_weight x norm_weight).

Options (their config keys in brackets):
- eps, alpha, steps, random_start: the PGD of the anchors;
- margin [margin_list], triplet_weight [lamda_triplet], norm_weight [regularize_lambda];
- distance: abs_cosine (their ``cos``: 1 - |cos|), cosine or euclidean;
- positive: "other" (another clean image of the class [Use_A1_Ap_B], MNIST), "twin" (the
  anchor's own clean image [Use_A_Ap_B]) or "both" (two terms, their CIFAR config);
- negative_pool: 0 = mine the negative among the batch's clean images; N = among N random
  clean training images embedded without gradient in eval mode, as their separate pool of
  batch_size x mul_num images (50 on MNIST, 500 on CIFAR); the chosen ones are embedded
  again in train mode with gradient;
- label_smoothing: of the cross-entropy (their MNIST CNN's 0.1);
- twin_noise [nat_noise_level / 255]: the anchor's own clean image, as a positive, gets
  uniform noise in [-twin_noise, twin_noise] per value, rounded to the 8-bit grid and clipped
  to [0, 1] (their CIFAR config: 8 on the 0-255 scale; the other positive, the negatives and
  the pool stay clean; on MNIST their noisy twin enters no loss, so 0);
- init_from: fine-tune from that method's trained model [finetuning: true, CIFAR].
"""

from typing import Literal

import torch
import torch.nn.functional as F

from advrepro.attacks import build_attack
from advrepro.losses import TripletMarginLoss, mean_squared_feature
from advrepro.methods import METHODS, Method
from advrepro.methods.mining import hardest_negative, same_class_partner
from advrepro.options import Count, CountOrZero, Flag, NonNegative, Rate

POSITIVES = ("other", "twin", "both")


@METHODS.register("tla")
class TripletLossAdversarialTraining(Method):
    # the distance of the training attack (PGD) whose eps and alpha this method takes: config
    # validation refuses an L-inf budget above 1 on [0, 1] inputs (advrepro.options)
    norm = "linf"

    def __init__(
        self,
        eps: NonNegative,
        alpha: NonNegative,
        steps: Count,
        margin: NonNegative = 0.05,
        triplet_weight: NonNegative = 0.5,
        norm_weight: NonNegative = 1e-4,
        distance: Literal["abs_cosine", "cosine", "euclidean"] = "abs_cosine",
        positive: Literal["other", "twin", "both"] = "other",
        negative_pool: CountOrZero = 0,
        label_smoothing: Rate = 0.0,
        twin_noise: NonNegative = 0.0,
        random_start: Flag = True,
        init_from: str | None = None,
    ):
        super().__init__(eps=eps, alpha=alpha, steps=steps, random_start=random_start)
        if positive not in POSITIVES:
            raise ValueError(f"positive must be one of {', '.join(POSITIVES)}")
        self.triplet = TripletMarginLoss(margin, distance)
        self.triplet_weight, self.norm_weight, self.positive = triplet_weight, norm_weight, positive
        self.negative_pool, self.label_smoothing = negative_pool, label_smoothing
        self.twin_noise = twin_noise

    def passes_per_epoch(self, train_size):
        # the PGD steps, adversarial and clean, and the negative pool's forward passes
        twin = 1 if self.twin_noise > 0 and self.positive in ("twin", "both") else 0
        return train_size * (self.options["steps"] + 2 + twin + self.negative_pool / 50)

    def setup(self, model, splits):
        self.attack = build_attack("pgd", model, **self.options)
        self.x_train, self.y_train = splits.x_train, splits.y_train

    def _negatives(self, model, anchor, clean, y):
        """Each anchor's hardest negative embedding (with gradient)."""
        if not self.negative_pool:
            return clean[hardest_negative(anchor, clean, y, y)]
        pool = torch.randint(len(self.y_train), (self.negative_pool,), device=y.device)
        was_training = model.training
        model.eval()
        with torch.no_grad():
            pool_embeddings = model.embed(self.x_train[pool])
        model.train(was_training)
        chosen = pool[hardest_negative(anchor, pool_embeddings, y, self.y_train[pool])]
        return model.embed(self.x_train[chosen])

    def _noisy_twin(self, x):
        """Mao et al.'s noisy positive: np.clip(np.rint(x + U(-level, level)), 0, 255)."""
        noise = torch.empty_like(x).uniform_(-self.twin_noise, self.twin_noise)
        return ((x + noise) * 255).round().clamp(0, 255) / 255

    def loss(self, model, x, y):
        x_adv = self.attack(x, y)
        twin_noised = self.twin_noise > 0 and self.positive in ("twin", "both")
        # one pass over [adversarial; clean (; noisy twin)], as Mao et al. feed them in one batch
        batch = [x_adv, x] + ([self._noisy_twin(x)] if twin_noised else [])
        anchor, clean, *noisy = model.embed(torch.cat(batch)).split(len(y))
        logits = model.head(anchor)
        negative = self._negatives(model, anchor, clean, y)
        positives = []
        if self.positive in ("twin", "both"):
            positives.append(noisy[0] if twin_noised else clean)
        if self.positive in ("other", "both"):
            positives.append(clean[same_class_partner(y)])
        loss = F.cross_entropy(logits, y, label_smoothing=self.label_smoothing)
        for positive in positives:
            loss = loss + self.triplet_weight * (
                self.triplet(anchor, positive, negative)
                + self.norm_weight * mean_squared_feature(anchor, positive, negative)
            )
        return loss, logits.argmax(1) == y
