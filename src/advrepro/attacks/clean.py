"""No attack: the clean test images (so clean accuracy is one more evaluation record)."""

from advrepro.attacks import ATTACKS, Attack


@ATTACKS.register("clean")
class Clean(Attack):
    adversarial = False
    norm = None

    @classmethod
    def passes(cls, params, num_classes, input_size):
        return 0, 1

    def generate(self, x, y):
        return x.clone()
