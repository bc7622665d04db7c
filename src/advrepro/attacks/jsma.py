"""JSMA (Papernot et al. 2016), the Jacobian saliency map attack, as Feinman et al. 2017 (DunDi's
generator) ran it: targeted at a random other class, theta = 1 (chosen values pushed to 1),
at most a fraction ``gamma`` of the input values changed (the L0 budget; 0.1 in Feinman et al.,
0.02 in MCT's Table 3).

Each step picks, per example, the PAIR of still-unchanged values (p, q) that maximises
    a * |b|  subject to  a > 0, b < 0,
with a = d z_t / dx summed over p and q (target logit) and b = the same for the sum of the
other logits, and raises both to 1. An example stops when the model predicts the target or its
budget is spent.

Vectorised, unlike torchattacks.JSMA (a Python loop over images that also assumes 10 classes):
the pair scores of a whole chunk of examples are one (B, n, n) tensor, with the chunk size
chosen so that tensor stays below ``pair_budget`` entries; examples that are done drop out
of the chunk.

Params: gamma (L0 budget, fraction of values), theta (1.0 = increase), target ('random' or
'next'), pair_budget.
"""

from __future__ import annotations

import math
from typing import Literal

import torch

from advrepro.attacks import ATTACKS, Attack
from advrepro.options import Count, Fraction, Positive


def pick_targets(y: torch.Tensor, num_classes: int, how: str) -> torch.Tensor:
    if how == "next":
        return (y + 1) % num_classes
    # uniformly among the other classes
    return (y + torch.randint(1, num_classes, y.shape, device=y.device)) % num_classes


@ATTACKS.register("jsma")
class JSMA(Attack):
    norm = "l0"

    def __init__(
        self,
        model,
        gamma: Fraction = 0.1,
        theta: Positive = 1.0,
        target: Literal["random", "next"] = "random",
        pair_budget: Count = 4_000_000,
        restarts: Count = 1,
    ):
        if target not in ("random", "next"):
            raise ValueError("jsma target must be 'random' or 'next'")
        if theta <= 0:
            raise ValueError("jsma theta must be > 0 (this implementation increases values)")
        super().__init__(
            model, eps=gamma, restarts=restarts, theta=theta, target=target, pair_budget=pair_budget
        )

    @classmethod
    def passes(cls, params, num_classes, input_size):
        # one saliency step (gradients of the target and the other classes) per changed pair
        return 2 * params["gamma"] * input_size / 2, 0

    def generate(self, x, y):
        with torch.no_grad():
            num_classes = self.model(x[:1]).shape[1]
        targets = pick_targets(y, num_classes, self.params["target"])
        features = x[0].numel()
        chunk = max(1, self.params["pair_budget"] // (features * features))
        return torch.cat(
            [
                self._attack_chunk(x[i : i + chunk], targets[i : i + chunk])
                for i in range(0, len(x), chunk)
            ]
        )

    def _saliency_gradients(self, x_adv, targets):
        """d(target logit)/dx and d(sum of the other logits)/dx, flattened."""
        x_adv = x_adv.detach().requires_grad_(True)
        logits = self.model(x_adv)
        target_logit = logits.gather(1, targets[:, None]).sum()
        (grad_target,) = torch.autograd.grad(target_logit, x_adv, retain_graph=True)
        (grad_all,) = torch.autograd.grad(logits.sum(), x_adv)
        return logits.detach(), grad_target.flatten(1), (grad_all - grad_target).flatten(1)

    def _attack_chunk(self, x, targets):
        theta = self.params["theta"]
        batch, features = len(x), x[0].numel()
        max_pairs = int(math.floor(features * self.eps / 2))
        x_adv = x.clone().flatten(1)
        # values that can still be raised and have not been chosen yet
        searchable = x_adv < 1
        active = torch.ones(batch, dtype=torch.bool, device=x.device)
        for _ in range(max_pairs):
            # only examples still under attack cost anything: the rest are done
            rows = active.nonzero().squeeze(1)
            if len(rows) == 0:
                break
            logits, grad_t, grad_o = self._saliency_gradients(
                x_adv[rows].view(-1, *x.shape[1:]), targets[rows]
            )
            best_score, best = best_pairs(grad_t, grad_o, searchable[rows])
            # an example stops at the target class, or with no admissible pair left
            # (Papernot et al.)
            going_on = (logits.argmax(1) != targets[rows]) & (best_score > 0)
            active[rows[~going_on]] = False
            rows, best = rows[going_on], best[going_on]
            p, q = best // features, best % features
            for index in (p, q):
                x_adv[rows, index] = (x_adv[rows, index] + theta).clamp(0, 1)
                searchable[rows, index] = False
        return x_adv.view_as(x).detach()


def best_pairs(
    grad_target: torch.Tensor, grad_others: torch.Tensor, searchable: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per example, the admissible pair (p, q), p != q, both searchable, maximising
    alpha * |beta| with alpha = a_p + a_q > 0 and beta = b_p + b_q < 0; returns the score
    (0 where no pair is admissible) and the flat index p * n + q.

    Written as relu(alpha) * min(beta, 0) on one (B, n, n) buffer, with unsearchable values
    sent to alpha = -inf: a third of the memory passes of masking each condition separately
    (the pair search is the attack's cost; tests compare it with the plain definition).
    """
    n = grad_target.shape[1]
    minus_inf = torch.tensor(float("-inf"), device=grad_target.device, dtype=grad_target.dtype)
    a = torch.where(searchable, grad_target, minus_inf)
    product = (a[:, :, None] + a[:, None, :]).relu_()
    product.mul_((grad_others[:, :, None] + grad_others[:, None, :]).clamp_(max=0))
    product.diagonal(dim1=1, dim2=2).zero_()
    lowest, best = product.view(len(product), n * n).min(1)
    return -lowest, best
