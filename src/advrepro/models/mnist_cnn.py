"""The MCT paper's MNIST (and CIC-IDS2018) network, Appiah et al. 2020, Sec. IV:
two conv layers with 32 and 64 filters, each followed by 2x2 max-pooling, batch normalisation
and dropout (0.2, 0.3), then a fully connected layer of 1024 units.

Unstated details, chosen as the Keras defaults of the time and documented in docs/models.md:
3x3 kernels with 'same' padding, ReLU after each conv and after the dense layer, and the
1024-d dense output (after ReLU) as the embedding used by metric-learning losses.
"""

from __future__ import annotations

from torch import nn

from advrepro.models import ARCHITECTURES, Classifier


@ARCHITECTURES.register("mnist_cnn")
class MnistCNN(Classifier):
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
            nn.Conv2d(in_channels, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.BatchNorm2d(32),
            nn.Dropout(0.2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.BatchNorm2d(64),
            nn.Dropout(0.3),
            nn.Flatten(),
            nn.Linear(64 * side * side, embedding_dim),
            nn.ReLU(),
        )
        self.head = nn.Linear(embedding_dim, num_classes)
