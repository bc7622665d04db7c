"""HopSkipJump (Chen et al. 2020): a decision-based attack that sees only predicted labels, run
through ART's implementation on the model's real decision rule ``model.classify`` (DunDi's
non-differentiable two-step oracle vote: threat model (c) of docs/decisions.md). A gradient
attack on a differentiable stand-in (threat b) that is weaker than this one means the stand-in
misleads the gradient: one of the gradient-masking checks.

HopSkipJump finds a minimal perturbation; with ``eps`` set, a longer one is projected back onto
the ball (scaled onto the L2 sphere, or clipped in L-inf), giving robust accuracy at that bound
as for CW-L2 and DeepFool. ART queries in batches; its outer loop is over examples (a known cost
of ART's implementation: budget ``max_iter`` x ``max_eval`` queries per example).

Params: eps (bound or null), norm ('l2' or 'linf'), max_iter (50), max_eval (10000),
init_eval (100), init_size (100), query_batch (queries per forward pass, 1000).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch

from advrepro.attacks import ATTACKS, Attack
from advrepro.attacks.deepfool import project_l2
from advrepro.options import Count, Positive


@ATTACKS.register("hopskipjump")
class HopSkipJump(Attack):
    family = "decision"
    randomised = True

    def __init__(
        self,
        model,
        eps: Positive | None = None,
        norm: Literal["linf", "l2"] = "l2",
        max_iter: Count = 50,
        max_eval: Count = 10000,
        init_eval: Count = 100,
        init_size: Count = 100,
        query_batch: Count = 1000,
        restarts: Count = 1,
    ):
        if norm not in ("l2", "linf"):
            raise ValueError("hopskipjump norm must be 'l2' or 'linf'")
        super().__init__(
            model,
            eps=eps,
            restarts=restarts,
            max_iter=max_iter,
            max_eval=max_eval,
            init_eval=init_eval,
            init_size=init_size,
        )
        self.norm = norm  # per instance: one class serves both norms
        self.query_batch = query_batch

    def _labels_one_hot(self, x: np.ndarray, device, num_classes: int) -> np.ndarray:
        """ART's view of the model: labels only (as one-hot scores), never gradients or logits."""
        labels = []
        with torch.no_grad():
            for start in range(0, len(x), self.query_batch):
                batch = torch.from_numpy(x[start : start + self.query_batch]).to(device)
                labels.append(self.model.classify(batch).cpu())
        return (
            torch.nn.functional.one_hot(torch.cat(labels), num_classes).numpy().astype(np.float32)
        )

    @classmethod
    def passes(cls, params, num_classes, input_size):
        # decision-based: queries only, at most max_eval per iteration plus the start
        queries = params["max_iter"] * params["max_eval"] + params["init_size"]
        return 0, queries * params["restarts"]

    def generate(self, x, y):
        from art.attacks.evasion import HopSkipJump as ArtHopSkipJump  # seconds to import
        from art.estimators.classification import BlackBoxClassifier

        with torch.no_grad():
            num_classes = int(self.model(x[:1]).shape[1])
        classifier = BlackBoxClassifier(
            lambda batch: self._labels_one_hot(batch.astype(np.float32), x.device, num_classes),
            input_shape=tuple(x.shape[1:]),
            nb_classes=num_classes,
            clip_values=(0.0, 1.0),
        )
        # ART draws from numpy's global generator: seed it from torch's, so that a job's seed
        # makes the run reproducible
        np.random.seed(int(torch.randint(0, 2**31 - 1, (1,)).item()))
        attack = ArtHopSkipJump(
            classifier,
            batch_size=self.query_batch,
            targeted=False,
            norm=2 if self.norm == "l2" else np.inf,
            verbose=False,
            **self.params,
        )
        labels = torch.nn.functional.one_hot(y.cpu(), num_classes).numpy()
        x_adv = torch.from_numpy(attack.generate(x.cpu().numpy(), y=labels)).to(x.device)
        delta = x_adv - x
        if self.eps is not None:
            delta = (
                project_l2(delta, self.eps)
                if self.norm == "l2"
                else delta.clamp(-self.eps, self.eps)
            )
        return (x + delta).clamp(0, 1)
