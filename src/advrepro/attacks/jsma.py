"""JSMA (Papernot et al. 2016), the Jacobian saliency map attack, with theta = 1 (chosen values
raised to 1) and at most a fraction ``gamma`` of the input values changed (the L0 budget; 0.1
in Feinman et al., 0.02 in MCT's Table 3): floor(d * gamma / 2) steps of one PAIR of values,
each value changed at most once, so no example ever changes more than gamma * d values (the
base class checks that on every example, as it checks the norm ball of other attacks).

Each step picks, per example, the pair of searchable values (p, q) that maximises
    a * |b|  subject to  a > 0, b < 0,
with a = d F_t / dx summed over p and q (F_t: the target class's output) and b = the same for
the sum of the other classes' outputs, and raises both. The options are the readings of the
attack (docs/decisions.md, "JSMA"; measured in benchmarks/jsma_readings.py):

- ``jacobian``: ``probabilities`` (F = softmax: cleverhans' JSMA, the one Feinman et al. 2017,
  DunDi's generator, ran) or ``logits`` (torchattacks 3.5.1; this class before issue #37).
- ``search_below``: values at or above it are never chosen (1.0: cleverhans' and ART's
  "x < clip_max"; 0.99: torchattacks', which spends no change on a value already near 1).
- ``target``: ``random`` (uniform among the classes other than the true one, Feinman et al.)
  or ``next`` ((y + 1) mod K, torchattacks' untargeted default): targeted, an example stops at
  its target; ``every``: untargeted, one run towards each wrong class in turn for the
  examples no earlier run fooled, each stopping at the first misclassification (up to K - 1
  times the cost).

The papers' reading is the defaults (probabilities, 1.0, random); the strongest within the
budget, which our worst-case columns add, is probabilities, 0.99, every.

Vectorised, unlike torchattacks.JSMA (a Python loop over images that also assumes 10 classes):
the pair scores of a whole chunk of examples are one (B, n, n) tensor, with the chunk size
chosen so that tensor stays below ``pair_budget`` entries; examples that are done drop out
of the chunk.
"""

from __future__ import annotations

import math
from typing import Literal

import torch

from advrepro.attacks import ATTACKS, Attack, decision
from advrepro.options import Count, Fraction, Positive

TARGETS = ("random", "next", "every")
JACOBIANS = ("probabilities", "logits")


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
        target: Literal["random", "next", "every"] = "random",
        jacobian: Literal["probabilities", "logits"] = "probabilities",
        search_below: Fraction = 1.0,
        pair_budget: Count = 4_000_000,
        restarts: Count = 1,
    ):
        if target not in TARGETS:
            raise ValueError(f"jsma target must be one of {TARGETS}")
        if jacobian not in JACOBIANS:
            raise ValueError(f"jsma jacobian must be one of {JACOBIANS}")
        if theta <= 0:
            raise ValueError("jsma theta must be > 0 (this implementation increases values)")
        super().__init__(
            model,
            eps=gamma,
            restarts=restarts,
            theta=theta,
            target=target,
            jacobian=jacobian,
            search_below=search_below,
            pair_budget=pair_budget,
        )

    @classmethod
    def passes(cls, params, num_classes, input_size):
        # two gradients (the target's and the other classes') per changed pair, per target run
        runs = num_classes - 1 if params["target"] == "every" else 1
        return runs * 2 * math.floor(params["gamma"] * input_size / 2), 0

    def generate(self, x, y):
        with torch.no_grad():
            num_classes = self.model(x[:1]).shape[1]
        if self.params["target"] == "every":
            return self._every_target(x, y, num_classes)
        return self._chunked(x, y, pick_targets(y, num_classes, self.params["target"]))

    def _every_target(self, x, y, num_classes):
        """A run towards each other class in turn, for the examples no earlier run fooled."""
        x_adv = x.clone()
        todo = torch.arange(len(x), device=x.device)
        for shift in range(1, num_classes):
            if len(todo) == 0:
                break
            run = self._chunked(x[todo], y[todo], (y[todo] + shift) % num_classes)
            x_adv[todo] = run
            with torch.no_grad():
                fooled = decision(self.model, run) != y[todo]
            todo = todo[~fooled]
        return x_adv

    def _chunked(self, x, y, targets):
        features = x[0].numel()
        chunk = max(1, self.params["pair_budget"] // (features * features))
        return torch.cat(
            [
                self._attack_chunk(x[i : i + chunk], y[i : i + chunk], targets[i : i + chunk])
                for i in range(0, len(x), chunk)
            ]
        )

    def _saliency_gradients(self, x_adv, targets):
        """d(target output)/dx and d(sum of the other outputs)/dx, flattened, with the logits."""
        x_adv = x_adv.detach().requires_grad_(True)
        logits = self.model(x_adv)
        outputs = logits.softmax(1) if self.params["jacobian"] == "probabilities" else logits
        is_target = torch.nn.functional.one_hot(targets, outputs.shape[1]).to(outputs.dtype)
        (grad_target,) = torch.autograd.grad((outputs * is_target).sum(), x_adv, retain_graph=True)
        (grad_others,) = torch.autograd.grad((outputs * (1 - is_target)).sum(), x_adv)
        return logits.detach(), grad_target.flatten(1), grad_others.flatten(1)

    def _attack_chunk(self, x, y, targets):
        theta = self.params["theta"]
        untargeted = self.params["target"] == "every"
        batch, features = len(x), x[0].numel()
        max_pairs = int(math.floor(features * self.eps / 2))
        x_adv = x.clone().flatten(1)
        # values that can still be raised and have not been chosen yet
        searchable = x_adv < self.params["search_below"]
        active = torch.ones(batch, dtype=torch.bool, device=x.device)
        for _ in range(max_pairs):
            # only examples still under attack cost anything: the rest are done
            rows = active.nonzero().squeeze(1)
            if len(rows) == 0:
                break
            x_rows = x_adv[rows].view(-1, *x.shape[1:])
            logits, grad_t, grad_o = self._saliency_gradients(x_rows, targets[rows])
            best_score, best = best_pairs(grad_t, grad_o, searchable[rows])
            # an example stops at its target (targeted) or at a misclassification
            # (untargeted), or with no admissible pair left (Papernot et al.)
            predicted = decision(self.model, x_rows, logits)
            done = (predicted != y[rows]) if untargeted else (predicted == targets[rows])
            going_on = ~done & (best_score > 0)
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
