"""CW-Linf: PGD on the Carlini-Wagner margin loss inside an L-inf ball, as in Madry et al.'s
challenge code and Mao et al. 2019 (the source of the MCT paper's baselines):

    loss = -relu(z_y - max_{j != y} z_j + kappa)

A small implementation of our own: torchattacks has no L-inf CW, and its CW-L2 margin takes
``max((1 - onehot) * logits)``, which picks 0 instead of the largest wrong logit when all wrong
logits are negative (torchattacks issue #184). Here the true class is masked with -inf, so the
largest wrong logit is always used.

Params: eps, alpha (step size), steps, kappa (confidence, 50 in Madry's code), random_start.
"""

from __future__ import annotations

import torch

from advrepro.attacks import ATTACKS, Attack
from advrepro.options import Count, Flag, NonNegative, Positive


def margin(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """z_y - max_{j != y} z_j per example (positive: correctly classified)."""
    true_logit = logits.gather(1, labels[:, None]).squeeze(1)
    others = logits.scatter(1, labels[:, None], float("-inf"))
    return true_logit - others.amax(1)


@ATTACKS.register("cw_linf")
class CWLinf(Attack):
    norm = "linf"
    randomised = True

    def __init__(
        self,
        model,
        eps: Positive,
        alpha: Positive,
        steps: Count,
        kappa: NonNegative = 50.0,
        random_start: Flag = True,
        restarts: Count = 1,
    ):
        super().__init__(
            model,
            eps=eps,
            restarts=restarts,
            alpha=alpha,
            steps=steps,
            kappa=kappa,
            random_start=random_start,
        )

    def generate(self, x, y):
        # the base class has put the model in eval mode and verifies the result
        eps, alpha, kappa = self.eps, self.params["alpha"], self.params["kappa"]
        x_adv = x.clone()
        if self.params["random_start"]:
            x_adv = (x_adv + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
        for _ in range(self.params["steps"]):
            x_adv.requires_grad_(True)
            loss = -torch.relu(margin(self.model(x_adv), y) + kappa).sum()
            (grad,) = torch.autograd.grad(loss, x_adv)
            x_adv = x_adv.detach() + alpha * grad.sign()
            x_adv = (x + (x_adv - x).clamp(-eps, eps)).clamp(0, 1)
        return x_adv.detach()
