"""AutoAttack (Croce & Hein 2020), standard version, from the authors' own code as packaged on
PyPI (``pyautoattack``, the fra31/auto-attack code): APGD-CE, APGD-T (9 target classes),
FAB-T (9 target classes) and Square (5000 queries), 100 iterations each, worst case per example.

Not torchattacks.AutoAttack: it runs its parts at 10 iterations where the original runs 100
(torchattacks issue #196), a weaker attack than the standard one it is named after.

``iterations``, ``square_queries`` and ``target_classes`` override the standard settings; they
exist for the CPU demo only, and a record made with any of them says so in its params (the
paper config never sets them; a test pins the standard settings).

Params: eps, norm ('linf' or 'l2'), iterations, square_queries, target_classes.
"""

from __future__ import annotations

from typing import Literal

import torch

from advrepro.attacks import ATTACKS, Attack
from advrepro.options import Count, Positive

NORM_NAMES = {"linf": "Linf", "l2": "L2"}


@ATTACKS.register("autoattack")
class AutoAttack(Attack):
    def __init__(
        self,
        model,
        eps: Positive,
        norm: Literal["linf", "l2"] = "linf",
        iterations: Count | None = None,
        square_queries: Count | None = None,
        target_classes: Count | None = None,
        restarts: Count = 1,
    ):
        if norm not in NORM_NAMES:
            raise ValueError(f"autoattack norm must be one of {sorted(NORM_NAMES)}")
        super().__init__(
            model,
            eps=eps,
            restarts=restarts,
            iterations=iterations,
            square_queries=square_queries,
            target_classes=target_classes,
        )
        self.norm = norm  # per instance: one class serves both norms

    def configured(self, device, seed: int = 0):
        """The authors' AutoAttack object with the standard settings (and any demo overrides)."""
        import pyautoattack  # imported on use

        runner = pyautoattack.AutoAttack(
            self.model,
            eps=self.eps,
            norm=NORM_NAMES[self.norm],
            version="standard",
            seed=seed,
            device=device,
        )
        runner.verbose = False
        p = self.params
        if p["iterations"] is not None:
            for part in (runner.apgd, runner.apgd_targeted, runner.fab):
                part.n_iter = p["iterations"]
        if p["square_queries"] is not None:
            runner.square.n_queries = p["square_queries"]
        if p["target_classes"] is not None:
            runner.apgd_targeted.n_target_classes = p["target_classes"]
            runner.fab.n_target_classes = p["target_classes"]
        return runner

    @classmethod
    def passes(cls, params, num_classes, input_size):
        # standard version: APGD-CE, APGD-T and FAB-T over 9 targets, 100 iterations each,
        # Square with 5,000 queries; an upper bound, since each stage only attacks the
        # examples that are still robust (None: the standard version's own setting)
        iterations = params["iterations"] or 100
        targets = params["target_classes"] or 9
        return iterations * (1 + 2 * targets), params["square_queries"] or 5000

    def generate(self, x, y):
        # its seed drawn from torch's generator, so a record is reproducible under the job's seed
        seed = int(torch.randint(0, 2**31 - 1, (1,)))
        runner = self.configured(x.device, seed)
        x_adv, _ = runner.run_standard_evaluation(x, y, batch_size=len(x))
        return x_adv.to(x.device)
