"""PGD-L2 (Madry et al. 2018, L2 threat model): steps along the L2-normalised gradient of the
cross-entropy, projected onto the L2 ball of radius ``eps`` and [0, 1], from a random start
inside the ball. Wraps torchattacks.PGDL2 (tested: inside the ball, stronger than random
noise of the same norm).

Params: eps, alpha (step length), steps, random_start (default True), start, restarts.
``start`` names where the random start lies: torchattacks' Gaussian direction at a radius
uniform in [0, eps] ("gaussian_radius", the one implemented; foolbox and ART draw uniformly
in the ball, nearer its surface; docs/decisions.md, A32), so every record states it.
"""

from typing import Literal

from advrepro.attacks import ATTACKS
from advrepro.attacks.pgd import PGD
from advrepro.options import Count, Flag, Positive


@ATTACKS.register("pgd_l2")
class PGDL2(PGD):
    norm = "l2"
    reported_as = "pgd"
    torchattacks_class = "PGDL2"

    def __init__(
        self,
        model,
        eps: Positive,
        alpha: Positive,
        steps: Count,
        random_start: Flag = True,
        start: Literal["gaussian_radius"] = "gaussian_radius",
        restarts: Count = 1,
    ):
        super().__init__(model, eps, alpha, steps, random_start, restarts)
        self.params["start"] = start
