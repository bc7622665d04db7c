"""Iterative FGSM as DunDi generates it (through Feinman et al. 2017, its cited generator):
``steps`` signed-gradient steps of size ``alpha`` on the cross-entropy, each clipped to the
L-inf ball of radius ``eps`` and to [0, 1]. Feinman et al.'s settings: MNIST eps 0.3, step 0.01;
CIFAR-10 eps 0.05, step 0.005; 50 iterations.

- iFGSM-a (``stop_at_misclassification: true``, Feinman's BIM-A): each example stops at the first
  step where the model misclassifies it, so it is not perturbed further. "Misclassifies" is
  the model's real decision (``attacks.decision``): for DunDi attacked white-box (threat b)
  its two-step oracle vote, not the argmax of the relaxation the gradients come from. Vectorised: a mask of
  still-correct examples scales the step; no loop over examples.
- iFGSM-b (``false``, BIM-B): every example takes all ``steps``.

Params: eps, alpha, steps, stop_at_misclassification.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from advrepro.attacks import ATTACKS, Attack, decision
from advrepro.options import Count, Flag, Positive


@ATTACKS.register("ifgsm")
class IterativeFGSM(Attack):
    norm = "linf"

    def __init__(
        self,
        model,
        eps: Positive,
        alpha: Positive,
        steps: Count,
        stop_at_misclassification: Flag = False,
        restarts: Count = 1,
    ):
        super().__init__(
            model,
            eps=eps,
            restarts=restarts,
            alpha=alpha,
            steps=steps,
            stop_at_misclassification=stop_at_misclassification,
        )

    @property
    def paper_name(self) -> str:
        # DunDi's two iFGSM variants (its Fig. 6 and Feinman et al.'s BIM-A / BIM-B)
        return "ifgsm_a" if self.params["stop_at_misclassification"] else "ifgsm_b"

    def generate(self, x, y):
        eps, alpha = self.eps, self.params["alpha"]
        stop = self.params["stop_at_misclassification"]
        x_adv = x.clone()
        moving = torch.ones(len(x), dtype=torch.bool, device=x.device)
        for _ in range(self.params["steps"]):
            x_adv.requires_grad_(True)
            logits = self.model(x_adv)
            if stop:
                # once fooled, frozen for good
                moving = moving & (decision(self.model, x_adv, logits) == y)
                if not moving.any():
                    break
            (grad,) = torch.autograd.grad(F.cross_entropy(logits, y, reduction="sum"), x_adv)
            step = alpha * grad.sign() * moving.view(-1, *[1] * (x.dim() - 1))
            x_adv = (x + (x_adv.detach() + step - x).clamp(-eps, eps)).clamp(0, 1)
        return x_adv.detach()
