"""The MCT MNIST network on CIC-IDS2018 flows (MCT Sec. IV uses one network for MNIST and
CIC-IDS2018). A flow is F scaled features, stored as a (1, 1, F) "image"; the model places
them, in order, on a ``side`` x ``side`` grid (zeros after the last feature) and runs the
MNIST CNN on it. The default side 28 follows the paper's "x = 784". The padding lives inside
the model, so attacks perturb the F real features only and their norm balls are over those.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from advrepro.models import ARCHITECTURES, Classifier
from advrepro.models.mnist_cnn import MnistCNN


@ARCHITECTURES.register("flow_mnist_cnn")
class FlowMnistCNN(Classifier):
    def __init__(
        self, in_channels, num_classes, mean, std, image_size=78, side=28, embedding_dim=1024
    ):
        super().__init__(mean, std)
        if image_size > side * side:
            raise ValueError(f"{image_size} flow features do not fit a {side}x{side} grid")
        self.side = side
        self.cnn = MnistCNN(
            1, num_classes, [0.0], [1.0], image_size=side, embedding_dim=embedding_dim
        )
        self.head = self.cnn.head

    def _grid(self, x: torch.Tensor) -> torch.Tensor:
        flat = self.normalize(x).flatten(1)
        return F.pad(flat, (0, self.side * self.side - flat.shape[1])).view(
            -1, 1, self.side, self.side
        )

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.cnn.features(self._grid(x))
