"""PGD-L2 (Madry et al. 2018, L2 threat model): steps along the L2-normalised gradient of the
cross-entropy, projected onto the L2 ball of radius ``eps`` and [0, 1], from a random start
inside the ball. Wraps torchattacks.PGDL2 (tested: inside the ball, stronger than random
noise of the same norm).

Params: eps, alpha (step length), steps, random_start (default True), restarts.
"""

from advrepro.attacks import ATTACKS
from advrepro.attacks.pgd import PGD


@ATTACKS.register("pgd_l2")
class PGDL2(PGD):
    norm = "l2"
    reported_as = "pgd"
    torchattacks_class = "PGDL2"
