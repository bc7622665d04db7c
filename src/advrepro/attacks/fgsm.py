"""FGSM (Goodfellow et al. 2015): one signed-gradient step of size eps, L-inf.

``random_start: true`` is FGSM as Mao et al.'s code runs it (their ``LinfPGDAttack`` with one
step of size eps and ``random_start``), behind the FGSM rows the MCT paper copied: a uniform
start in the eps-ball, one step of eps from there, projected back onto the ball and [0, 1].
Without it, torchattacks' FGSM from the clean image.

Params: eps, random_start (default false), restarts.
"""

import torch
import torch.nn.functional as F

from advrepro.attacks import ATTACKS, Attack, import_torchattacks
from advrepro.options import Count, Flag, Positive


@ATTACKS.register("fgsm")
class FGSM(Attack):
    norm = "linf"

    def __init__(self, model, eps: Positive, random_start: Flag = False, restarts: Count = 1):
        super().__init__(model, eps=eps, restarts=restarts, random_start=random_start)
        self.randomised = random_start  # restarts help only a random start

    @classmethod
    def passes(cls, params, num_classes, input_size):
        return params["restarts"], params["restarts"]

    def generate(self, x, y):
        if not self.params["random_start"]:
            return import_torchattacks().FGSM(self.model, eps=self.eps)(x, y)
        start = (x + torch.empty_like(x).uniform_(-self.eps, self.eps)).clamp(0, 1)
        start.requires_grad_(True)
        (grad,) = torch.autograd.grad(F.cross_entropy(self.model(start), y, reduction="sum"), start)
        step = start.detach() + self.eps * grad.sign()
        return (x + (step - x).clamp(-self.eps, self.eps)).clamp(0, 1)
