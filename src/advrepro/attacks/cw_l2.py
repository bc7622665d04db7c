"""Carlini-Wagner L2 (Carlini & Wagner 2017), batched, of our own: Adam on w with
x' = (tanh(w) + 1) / 2, minimising ||x' - x||^2 + c * max(z_y - max_{j != y} z_j + kappa, 0),
keeping per example the smallest successful perturbation. ``binary_search_steps`` > 1 searches
c per example (halving between success and failure, x10 while it fails), as the original does;
torchattacks.CW has a fixed c and the negative-logit margin defect (issue #184), which this
margin does not share (see cw_linf.margin).

With ``eps`` set, the result is scaled back onto the L2 ball of that radius (robust accuracy at
the bound: MCT's Table 3 reports CW-L2 at a fixed L2). Failed examples stay clean.

Params: steps (30 in MCT's Table 3), lr (0.01), c (initial constant, 1.0), kappa (0),
binary_search_steps (1), eps (L2 bound or null).
"""

from __future__ import annotations

import torch

from advrepro.attacks import ATTACKS, Attack
from advrepro.attacks.cw_linf import margin
from advrepro.attacks.deepfool import project_l2
from advrepro.options import Count, NonNegative, Positive


@ATTACKS.register("cw_l2")
class CWL2(Attack):
    norm = "l2"

    def __init__(
        self,
        model,
        steps: Count = 30,
        lr: Positive = 0.01,
        c: Positive = 1.0,
        kappa: NonNegative = 0.0,
        binary_search_steps: Count = 1,
        eps: Positive | None = None,
        restarts: Count = 1,
    ):
        super().__init__(
            model,
            eps=eps,
            restarts=restarts,
            steps=steps,
            lr=lr,
            c=c,
            kappa=kappa,
            binary_search_steps=binary_search_steps,
        )

    @classmethod
    def passes(cls, params, num_classes, input_size):
        return params["steps"] * params["binary_search_steps"], 1

    def generate(self, x, y):
        p = self.params
        shape = [-1] + [1] * (x.dim() - 1)
        best_adv = x.clone()
        best_norm = torch.full((len(x),), float("inf"), device=x.device)
        c = torch.full((len(x),), float(p["c"]), device=x.device)
        lower = torch.zeros_like(c)
        upper = torch.full_like(c, float("inf"))
        w_start = torch.atanh((2 * x - 1).clamp(-1 + 1e-6, 1 - 1e-6))
        for _ in range(p["binary_search_steps"]):
            w = w_start.clone().requires_grad_(True)
            optimizer = torch.optim.Adam([w], lr=p["lr"])
            succeeded = torch.zeros(len(x), dtype=torch.bool, device=x.device)
            for _ in range(p["steps"]):
                x_adv = (torch.tanh(w) + 1) / 2
                logits = self.model(x_adv)
                distance = (x_adv - x).flatten(1).pow(2).sum(1)
                gap = margin(logits, y)
                loss = (distance + c * torch.relu(gap + p["kappa"])).sum()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                with torch.no_grad():
                    fooled = logits.argmax(1) != y
                    better = fooled & (distance.sqrt() < best_norm)
                    best_norm = torch.where(better, distance.sqrt(), best_norm)
                    best_adv = torch.where(better.view(shape), x_adv.detach(), best_adv)
                    succeeded |= fooled
            # per-example search on c: smaller after a success, larger after a failure
            upper = torch.where(succeeded, torch.minimum(upper, c), upper)
            lower = torch.where(succeeded, lower, torch.maximum(lower, c))
            c = torch.where(upper.isinf(), c * 10, (lower + upper) / 2)
        return (x + project_l2(best_adv - x, self.eps)).clamp(0, 1)
