"""PGD (Madry et al. 2018): L-inf projected gradient ascent on cross-entropy from a uniform
random start; ``restarts`` repeats it and keeps the per-example worst case. Wraps torchattacks.

Params: eps, alpha (step size), steps, random_start (default True), restarts.
"""

from advrepro.attacks import ATTACKS, Attack, import_torchattacks
from advrepro.options import Count, Flag, Positive


@ATTACKS.register("pgd")
class PGD(Attack):
    norm = "linf"
    randomised = True
    torchattacks_class = "PGD"  # PGDL2 for the L2 subclass

    def __init__(
        self,
        model,
        eps: Positive,
        alpha: Positive,
        steps: Count,
        random_start: Flag = True,
        restarts: Count = 1,
    ):
        super().__init__(
            model, eps=eps, restarts=restarts, alpha=alpha, steps=steps, random_start=random_start
        )
        torchattacks = import_torchattacks()
        self._pgd = getattr(torchattacks, self.torchattacks_class)(
            model, eps=eps, alpha=alpha, steps=steps, random_start=random_start
        )

    def generate(self, x, y):
        return self._pgd(x, y)
