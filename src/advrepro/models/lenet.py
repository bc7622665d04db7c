"""LeNet-1, LeNet-4 and LeNet-5 as DeepXplore defines them (its MNIST Model1, Model2, Model3),
the native models of the DunDi paper: 5x5 'same' convolutions with ReLU, 2x2 max-pooling,
then dense layers; no batch norm, no dropout.

    lenet1: conv 4 -> pool -> conv 12 -> pool -> dense 10
    lenet4: conv 6 -> pool -> conv 16 -> pool -> dense 84 -> dense 10
    lenet5: conv 6 -> pool -> conv 16 -> pool -> dense 120 -> dense 84 -> dense 10

The embedding is the input of the last dense layer (the flattened maps for LeNet-1).
"""

from __future__ import annotations

from torch import nn

from advrepro.models import ARCHITECTURES, Classifier


class _LeNet(Classifier):
    conv_channels: tuple[int, int] = (6, 16)
    hidden: tuple[int, ...] = ()

    def __init__(self, in_channels, num_classes, mean, std, image_size=28):
        super().__init__(mean, std)
        c1, c2 = self.conv_channels
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, c1, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
        ]
        width = c2 * (image_size // 4) ** 2
        for units in self.hidden:
            layers += [nn.Linear(width, units), nn.ReLU()]
            width = units
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(width, num_classes)


@ARCHITECTURES.register("lenet1")
class LeNet1(_LeNet):
    conv_channels = (4, 12)


@ARCHITECTURES.register("lenet4")
class LeNet4(_LeNet):
    hidden = (84,)


@ARCHITECTURES.register("lenet5")
class LeNet5(_LeNet):
    hidden = (120, 84)
