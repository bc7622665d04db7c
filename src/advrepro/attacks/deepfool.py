"""DeepFool (Moosavi-Dezfooli et al. 2016), L2: at each step, linearise the model around the
current point and move each still-correct example to the nearest linearised decision
boundary, r = (|f_k| + 1e-4) / ||w_k||^2 * w_k with f_k = z_k - z_y, w_k = grad f_k and k the
class with the smallest |f_k| / ||w_k||; the total perturbation is scaled by (1 + overshoot).
MCT's Table 3 runs 2 steps.

Vectorised over the batch (torchattacks.DeepFool loops over images): one backward pass per
class gives the whole batch's Jacobian; examples already misclassified are masked. With
``eps`` set, a perturbation longer than eps is scaled back onto the L2 ball (robust accuracy at
that bound); eps null leaves the minimal perturbation unbounded.

Params: steps, overshoot (0.02), eps (L2 bound or null).
"""

from __future__ import annotations

import torch

from advrepro.attacks import ATTACKS, Attack
from advrepro.options import Count, NonNegative, Positive


def project_l2(delta: torch.Tensor, eps: float | None) -> torch.Tensor:
    """Scale each perturbation longer than eps back onto the L2 sphere of radius eps."""
    if eps is None:
        return delta
    norms = delta.flatten(1).norm(dim=1).clamp_min(1e-12)
    factor = (eps / norms).clamp(max=1.0)
    return delta * factor.view(-1, *[1] * (delta.dim() - 1))


@ATTACKS.register("deepfool")
class DeepFool(Attack):
    norm = "l2"

    def __init__(
        self,
        model,
        steps: Count = 50,
        overshoot: NonNegative = 0.02,
        eps: Positive | None = None,
        restarts: Count = 1,
    ):
        super().__init__(model, eps=eps, restarts=restarts, steps=steps, overshoot=overshoot)

    def _jacobian(self, x):
        """Logits (B, C) and their gradients (B, C, *input) by one backward pass per class."""
        x = x.detach().requires_grad_(True)
        logits = self.model(x)
        grads = [
            torch.autograd.grad(logits[:, k].sum(), x, retain_graph=k < logits.shape[1] - 1)[0]
            for k in range(logits.shape[1])
        ]
        return logits.detach(), torch.stack(grads, 1)

    @classmethod
    def passes(cls, params, num_classes, input_size):
        # a Jacobian (one backward per class) per step
        return params["steps"] * num_classes * params["restarts"], 1

    def generate(self, x, y):
        overshoot = self.params["overshoot"]
        shape = [-1] + [1] * (x.dim() - 1)
        total = torch.zeros_like(x)
        for _ in range(self.params["steps"]):
            x_adv = (x + (1 + overshoot) * total).clamp(0, 1)
            logits, jacobian = self._jacobian(x_adv)
            active = logits.argmax(1) == y
            if not active.any():
                break
            f = logits - logits.gather(1, y[:, None])  # (B, C), 0 at y
            w = jacobian - jacobian[torch.arange(len(y)), y][:, None]  # (B, C, ...)
            w_norm = w.flatten(2).norm(dim=2).clamp_min(1e-12)  # (B, C)
            distance = f.abs() / w_norm
            distance.scatter_(1, y[:, None], float("inf"))  # never the true class
            k = distance.argmin(1)
            rows = torch.arange(len(y))
            step = ((f[rows, k].abs() + 1e-4) / w_norm[rows, k] ** 2).view(shape) * w[rows, k]
            total = total + step * active.view(shape)
        delta = (x + (1 + overshoot) * total).clamp(0, 1) - x
        return (x + project_l2(delta, self.eps)).clamp(0, 1)
