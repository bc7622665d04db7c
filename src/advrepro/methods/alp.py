"""Adversarial logit pairing (Kannan et al. 2018): adversarial training on a mixed batch of
clean and PGD examples plus a penalty on the squared L2 distance between the clean and the
adversarial logits of the same image.

    loss = (1 - adv_weight) * CE(f(x), y) + adv_weight * CE(f(x_adv), y)
           + pairing_weight * mean over examples and classes of (f(x) - f(x_adv))^2

The pairing term is the mean squared error over the logits, as Kannan et al.'s code computes it
(``tf.losses.mean_squared_error`` on the two logit batches: a mean over classes too, not the
squared L2 distance, which is ``classes`` times larger).

Options: eps, alpha, steps (the PGD of the pairs), adv_weight (0.5: Kannan's mixed minibatch),
pairing_weight (the logit-pairing lambda; an assumed 0.5, see docs/decisions.md).
"""

import torch
import torch.nn.functional as F

from advrepro.attacks import build_attack
from advrepro.methods import METHODS, Method
from advrepro.options import Count, Flag, NonNegative, Share


@METHODS.register("alp")
class AdversarialLogitPairing(Method):
    # the distance of the training attack (PGD) whose eps and alpha this method takes: config
    # validation refuses an L-inf budget above 1 on [0, 1] inputs (advrepro.options)
    norm = "linf"

    def __init__(
        self,
        eps: NonNegative,
        alpha: NonNegative,
        steps: Count,
        adv_weight: Share = 0.5,
        pairing_weight: NonNegative = 0.5,
        random_start: Flag = True,
    ):
        super().__init__(eps=eps, alpha=alpha, steps=steps, random_start=random_start)
        self.adv_weight, self.pairing_weight = adv_weight, pairing_weight

    def passes_per_epoch(self, train_size):
        return train_size * (self.options["steps"] + 2)  # the PGD steps, clean and adversarial

    def setup(self, model, splits):
        self.attack = build_attack("pgd", model, **self.options)

    def loss(self, model, x, y):
        x_adv = self.attack(x, y)
        # one forward pass over the mixed batch, as in Kannan et al.'s mixed minibatches
        logits_clean, logits_adv = model(torch.cat([x, x_adv])).split(len(y))
        ce = (1 - self.adv_weight) * F.cross_entropy(
            logits_clean, y
        ) + self.adv_weight * F.cross_entropy(logits_adv, y)
        pairing = (logits_clean - logits_adv).pow(2).mean()  # over examples and classes
        return ce + self.pairing_weight * pairing, logits_adv.argmax(1) == y
