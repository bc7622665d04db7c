"""Standard training: cross-entropy on clean images."""

import torch.nn.functional as F

from advrepro.methods import METHODS, Method


@METHODS.register("standard")
class Standard(Method):
    def __init__(self):  # no options: anything under its `options:` is a config error
        super().__init__()

    def loss(self, model, x, y):
        logits = model(x)
        return F.cross_entropy(logits, y), logits.argmax(1) == y
