"""CW-Linf: PGD on the Carlini-Wagner margin loss inside an L-inf ball, as in Madry et al.'s
challenge code and Mao et al. 2019 (the source of the MCT paper's baselines):

    loss = -relu(z_y - max_{j != y} z_j + kappa)

torchattacks has no L-inf CW, and its CW-L2 margin takes ``max((1 - onehot) * logits)``, which
picks 0 instead of the largest wrong logit when all wrong logits are negative (torchattacks
issue #184). Here the true class is masked with -inf, so the largest wrong logit is always used.

Params: eps, alpha (step size), steps, kappa (confidence, 50 in Madry's code), random_start.
"""

from __future__ import annotations

import torch
from torchattacks.attack import Attack as TorchattacksBase

from advrepro.attacks import ATTACKS, Attack


def margin(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """z_y - max_{j != y} z_j per example (positive: correctly classified)."""
    true_logit = logits.gather(1, labels[:, None]).squeeze(1)
    others = logits.scatter(1, labels[:, None], float("-inf"))
    return true_logit - others.amax(1)


class _MarginPGD(TorchattacksBase):
    def __init__(self, model, eps, alpha, steps, kappa, random_start):
        super().__init__("CWLinf", model)
        self.eps, self.alpha, self.steps = eps, alpha, steps
        self.kappa, self.random_start = kappa, random_start

    def forward(self, images, labels):
        images = images.clone().detach()
        adv = images.clone()
        if self.random_start:
            adv = (adv + torch.empty_like(adv).uniform_(-self.eps, self.eps)).clamp(0, 1)
        for _ in range(self.steps):
            adv.requires_grad_(True)
            loss = -torch.relu(margin(self.get_logits(adv), labels) + self.kappa).sum()
            (grad,) = torch.autograd.grad(loss, adv)
            adv = adv.detach() + self.alpha * grad.sign()
            adv = (images + (adv - images).clamp(-self.eps, self.eps)).clamp(0, 1)
        return adv.detach()


@ATTACKS.register("cw_linf")
class CWLinf(Attack):
    norm = "linf"
    randomised = True

    def __init__(self, model, eps, alpha, steps, kappa=50.0, random_start=True, restarts=1):
        super().__init__(model, eps=eps, restarts=restarts, alpha=alpha, steps=steps,
                         kappa=kappa, random_start=random_start)
        self._attack = _MarginPGD(model, eps, alpha, steps, kappa, random_start)

    def generate(self, x, y):
        return self._attack(x, y)
