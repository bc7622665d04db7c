"""PGD adversarial training (Madry et al. 2018): cross-entropy on L-inf PGD examples only.

Madry et al.'s MNIST setting (mnist_challenge config): eps 0.3, 40 steps of 0.01, random
start. The examples are crafted with the model in eval mode (batch-norm statistics frozen,
dropout off), which the attack base class does; training then runs in train mode.

Options: eps, alpha, steps, random_start.
"""

import torch.nn.functional as F

from advrepro.attacks import build_attack
from advrepro.methods import METHODS, Method
from advrepro.options import Count, Flag, NonNegative


@METHODS.register("pgd_at")
class PGDAdversarialTraining(Method):
    # the distance of the training attack (PGD) whose eps and alpha this method takes: config
    # validation refuses an L-inf budget above 1 on [0, 1] inputs (advrepro.options)
    norm = "linf"

    def __init__(
        self, eps: NonNegative, alpha: NonNegative, steps: Count, random_start: Flag = True
    ):
        super().__init__(eps=eps, alpha=alpha, steps=steps, random_start=random_start)

    def setup(self, model, splits):
        self.attack = build_attack("pgd", model, **self.options)

    def loss(self, model, x, y):
        x_adv = self.attack(x, y)
        logits = model(x_adv)
        return F.cross_entropy(logits, y), logits.argmax(1) == y
