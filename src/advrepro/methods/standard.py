"""Standard training: cross-entropy on clean images."""

import torch.nn.functional as F

from advrepro.methods import METHODS, Method


@METHODS.register("standard")
class Standard(Method):
    def loss(self, model, x, y):
        logits = model(x)
        return F.cross_entropy(logits, y), logits.argmax(1) == y
