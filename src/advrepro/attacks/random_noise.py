"""Random noise of the attack's norm and size: the control of Carlini et al. 2019's
gradient-masking checklist (random perturbations must be far weaker than PGD at the same budget).

- linf: every value moved by +eps or -eps (a random corner of the ball), clipped to [0, 1];
- l2: a uniformly random direction scaled to length eps, clipped to [0, 1].

Params: eps, norm ('linf' or 'l2').
"""

from __future__ import annotations

from typing import Literal

import torch

from advrepro.attacks import ATTACKS, Attack
from advrepro.options import Count, Positive


@ATTACKS.register("random_noise")
class RandomNoise(Attack):
    family = "noise"
    adversarial = False
    randomised = True

    def __init__(
        self, model, eps: Positive, norm: Literal["linf", "l2"] = "linf", restarts: Count = 1
    ):
        if norm not in ("linf", "l2"):
            raise ValueError("random_noise norm must be 'linf' or 'l2'")
        super().__init__(model, eps=eps, restarts=restarts)
        self.norm = norm  # per instance: one class serves both norms

    @classmethod
    def passes(cls, params, num_classes, input_size):
        return 0, params["restarts"] + 1

    def generate(self, x, y):
        if self.norm == "linf":
            delta = self.eps * torch.randint_like(x, 0, 2).mul_(2).sub_(1)
        else:
            direction = torch.randn_like(x)
            norms = direction.flatten(1).norm(dim=1).clamp_min(1e-12)
            delta = self.eps * direction / norms.view(-1, *[1] * (x.dim() - 1))
        return (x + delta).clamp(0, 1)
