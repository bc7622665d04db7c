"""Measuring the attack-failure indicators (advrepro.indicators) while an evaluation runs."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from advrepro.indicators import NAMES


def input_gradients(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """d CE / d x per example; zeros where the model gives no gradient at all."""
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        loss = F.cross_entropy(model(x), y, reduction="sum")
        if not loss.requires_grad:
            return torch.zeros_like(x)
        (gradient,) = torch.autograd.grad(loss, x, allow_unused=True)
    return torch.zeros_like(x) if gradient is None else gradient


def continue_attack(
    model: torch.nn.Module,
    x: torch.Tensor,
    x_adv: torch.Tensor,
    y: torch.Tensor,
    norm: str,
    eps: float,
    steps: int,
) -> torch.Tensor:
    """``steps`` projected gradient steps on the cross-entropy from ``x_adv``, inside the
    ``norm`` ball of radius ``eps`` around ``x`` and the [0, 1] box."""
    step = eps / 4
    z = x_adv.detach().clone()
    view = (-1, *[1] * (x.dim() - 1))
    for _ in range(steps):
        g = input_gradients(model, z, y)
        with torch.no_grad():
            if norm == "linf":
                z = x + (z + step * g.sign() - x).clamp(-eps, eps)
            else:
                g = g / g.flatten(1).norm(dim=1).clamp_min(1e-12).view(view)
                delta = z + step * g - x
                scale = (eps / delta.flatten(1).norm(dim=1).clamp_min(1e-12)).clamp(max=1)
                z = x + delta * scale.view(view)
            z = z.clamp(0, 1)
    return z.detach()


class IndicatorTally:
    """Counts of each indicator over the first ``examples`` attacked examples of a record."""

    def __init__(self, target: torch.nn.Module, attack, examples: int = 500, probe_steps: int = 10):
        self.target, self.attack = target, attack
        self.room, self.probe_steps = examples, probe_steps
        family = getattr(attack, "family", "gradient")
        self.applies = {
            "unavailable_gradients": True,
            "silent_success": attack.adversarial,
            # iterative attacks only: a single step (FGSM) is not meant to converge
            "incomplete_optimisation": (
                family == "gradient"
                and attack.norm in ("linf", "l2")
                and attack.eps is not None
                and probe_steps > 0
                and (attack.params.get("steps", 1) > 1 or "iterations" in attack.params)
            ),
            "unstable_predictions": True,
            "transfer_failure": family == "transfer",
        }
        self.hits = dict.fromkeys(NAMES, 0)
        self.checked = dict.fromkeys(NAMES, 0)

    def _count(self, name: str, hits: torch.Tensor, of: torch.Tensor | None = None) -> None:
        of = torch.ones_like(hits) if of is None else of
        self.hits[name] += int((hits & of).sum())
        self.checked[name] += int(of.sum())

    def update(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        x_adv: torch.Tensor,
        predicted: torch.Tensor,
        source_correct: torch.Tensor | None = None,
    ) -> None:
        """One batch of attacked examples: clean inputs, labels, adversarial inputs, the
        decisions scored, and (transfer) whether the source model still got each right."""
        from advrepro.attacks import decision

        take = min(self.room, len(y))
        if take == 0:
            return
        self.room -= take
        x, y, x_adv, predicted = x[:take], y[:take], x_adv[:take], predicted[:take]
        model = self.target
        gradient = input_gradients(model, x, y).flatten(1)
        self._count(
            "unavailable_gradients",
            ~torch.isfinite(gradient).all(1) | (gradient.abs().amax(1) == 0),
        )
        with torch.no_grad():
            logits = model(x_adv)
            again = decision(model, x_adv, logits)
        if self.applies["silent_success"]:
            self._count("silent_success", (logits.argmax(1) != y) & (predicted == y))
        self._count("unstable_predictions", again != predicted)
        if self.applies["incomplete_optimisation"]:
            survivors = predicted == y
            if survivors.any():
                probed = continue_attack(
                    model,
                    x[survivors],
                    x_adv[survivors],
                    y[survivors],
                    self.attack.norm,
                    float(self.attack.eps),
                    self.probe_steps,
                )
                with torch.no_grad():
                    flipped = decision(model, probed) != y[survivors]
                self._count("incomplete_optimisation", flipped)
        if self.applies["transfer_failure"] and source_correct is not None:
            self._count("transfer_failure", predicted == y, of=~source_correct[:take].bool())

    def result(self) -> dict:
        """Per indicator: share, count and examples checked; None where it does not apply."""
        return {
            name: (
                {
                    "share": self.hits[name] / self.checked[name] if self.checked[name] else 0.0,
                    "count": self.hits[name],
                    "checked": self.checked[name],
                }
                if self.applies[name]
                else None
            )
            for name in NAMES
        }
