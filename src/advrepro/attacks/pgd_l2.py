"""PGD-L2 (Madry et al. 2018, L2 threat model): steps along the L2-normalised gradient of the
cross-entropy, projected onto the L2 ball of radius ``eps`` and [0, 1], from a random start
inside the ball. Wraps torchattacks.PGDL2 (checked in tests against its defining behaviour:
inside the ball, stronger than random noise of the same norm).

Params: eps, alpha (step length), steps, random_start (default True), restarts.
"""

from advrepro.attacks import ATTACKS, Attack


@ATTACKS.register("pgd_l2")
class PGDL2(Attack):
    norm = "l2"
    randomised = True

    def __init__(self, model, eps, alpha, steps, random_start=True, restarts=1):
        super().__init__(model, eps=eps, restarts=restarts, alpha=alpha, steps=steps,
                         random_start=random_start)
        import torchattacks  # imported on use: it pulls in scipy, seconds per job

        self._pgd = torchattacks.PGDL2(model, eps=eps, alpha=alpha, steps=steps,
                                       random_start=random_start)

    def generate(self, x, y):
        return self._pgd(x, y)
