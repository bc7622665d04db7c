"""The MCT paper's CIFAR-10 network: five conv layers with 32, 64, 64, 128, 128 filters, batch
norm, dropout 0.2 / 0.3 / 0.4 and a 1024-unit dense layer (Appiah et al. 2020, Sec. IV).

The paper puts a 3x3 max-pooling after *every* conv layer, which leaves no spatial extent worth
a 1024-unit layer at 32x32; we pool (2x2) after the 2nd, 3rd and 5th conv, VGG-style, each
pool followed by one of the three dropouts: 32 -> 16 -> 8 -> 4 (docs/decisions.md).
Every conv is 3x3 'same' + ReLU + batch norm, as the paper orders conv and BN.
"""

from __future__ import annotations

from torch import nn

from advrepro.models import ARCHITECTURES, Classifier


def _conv(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(c_out)]


@ARCHITECTURES.register("cifar_cnn")
class CifarCNN(Classifier):
    def __init__(self, in_channels, num_classes, mean, std, image_size=32, embedding_dim=1024):
        super().__init__(mean, std)
        side = image_size
        for _ in range(3):  # three ceil-mode poolings
            side = -(-side // 2)
        self.features = nn.Sequential(
            *_conv(in_channels, 32),
            *_conv(32, 64),
            nn.MaxPool2d(2, ceil_mode=True),
            nn.Dropout(0.2),
            *_conv(64, 64),
            nn.MaxPool2d(2, ceil_mode=True),
            nn.Dropout(0.3),
            *_conv(64, 128),
            *_conv(128, 128),
            nn.MaxPool2d(2, ceil_mode=True),
            nn.Dropout(0.4),
            nn.Flatten(),
            nn.Linear(128 * side * side, embedding_dim),
            nn.ReLU(),
        )
        self.head = nn.Linear(embedding_dim, num_classes)
