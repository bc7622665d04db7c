"""BIM / iterative FGSM (Kurakin et al. 2017): PGD without the random start, L-inf.
Wraps torchattacks. Used by the MCT paper as its black-box transfer attack.

Params: eps, alpha (step size), steps.
"""

from advrepro.attacks import ATTACKS, Attack, import_torchattacks
from advrepro.options import Count, Positive


@ATTACKS.register("bim")
class BIM(Attack):
    norm = "linf"

    def __init__(self, model, eps: Positive, alpha: Positive, steps: Count, restarts: Count = 1):
        super().__init__(model, eps=eps, restarts=restarts, alpha=alpha, steps=steps)
        torchattacks = import_torchattacks()
        self._bim = torchattacks.BIM(model, eps=eps, alpha=alpha, steps=steps)

    def generate(self, x, y):
        return self._bim(x, y)
