"""No attack: the clean test images (so clean accuracy is one more evaluation record)."""

from advrepro.attacks import ATTACKS, Attack


@ATTACKS.register("clean")
class Clean(Attack):
    adversarial = False
    norm = None

    def generate(self, x, y):
        return x.clone()
