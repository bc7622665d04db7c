"""The MNIST network of Mao et al. 2019's code (``learning/model_mnist_large.py`` of
columbia/Metric_Learning_Adversarial_Robustness), on which the AT, ALP and TLA rows that the MCT
paper copied into its Table 1 were measured.

conv 3x3 32 -> conv 3x3 64 -> 2x2 max-pool -> conv 3x3 128 -> conv 3x3 256 -> 2x2 max-pool ->
FC 1024 -> FC classes; batch normalisation and ReLU after every conv and after the FC 1024
layer, whose output is the embedding TLA's triplet loss reads ("x4" in their code).
"""

from __future__ import annotations

from torch import nn

from advrepro.models import ARCHITECTURES, Classifier


def _conv(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [
        nn.Conv2d(in_channels, out_channels, 3, padding=1),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    ]


@ARCHITECTURES.register("mao_mnist_large")
class MaoMnistLarge(Classifier):
    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        mean,
        std,
        image_size: int = 28,
        embedding_dim: int = 1024,
    ):
        super().__init__(mean, std)
        side = image_size // 4  # two 2x2 poolings
        self.features = nn.Sequential(
            *_conv(in_channels, 32),
            *_conv(32, 64),
            nn.MaxPool2d(2),
            *_conv(64, 128),
            *_conv(128, 256),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(256 * side * side, embedding_dim),
            nn.BatchNorm1d(embedding_dim),
            nn.ReLU(),
        )
        self.head = nn.Linear(embedding_dim, num_classes)
