"""FGSM (Goodfellow et al. 2015): one signed-gradient step of size eps, L-inf. Wraps torchattacks."""

from advrepro.attacks import ATTACKS, Attack, import_torchattacks


@ATTACKS.register("fgsm")
class FGSM(Attack):
    norm = "linf"

    @classmethod
    def passes(cls, params, num_classes, input_size):
        return 1, 1

    def generate(self, x, y):
        torchattacks = import_torchattacks()
        return torchattacks.FGSM(self.model, eps=self.eps)(x, y)
