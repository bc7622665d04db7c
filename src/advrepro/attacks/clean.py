"""No attack: the clean test images (so clean accuracy is one more evaluation record)."""

from advrepro.attacks import ATTACKS, Attack
from advrepro.options import Count, Positive


@ATTACKS.register("clean")
class Clean(Attack):
    family = "clean"
    adversarial = False
    norm = None

    # no options of its own
    def __init__(self, model, eps: Positive | None = None, restarts: Count = 1):
        super().__init__(model, eps=eps, restarts=restarts)

    @classmethod
    def passes(cls, params, num_classes, input_size):
        return 0, 1

    def generate(self, x, y):
        return x.clone()
