"""Madry et al.'s CIFAR-10 wide residual network, as in Mao et al. 2019's code
(``learning/model_vanilla.py``), on which the AT, ALP and TLA rows that the MCT paper copied
into its Table 2 were measured: widths 16 -> 160, 320, 640, five pre-activation residual units
per stage (batch norm + leaky ReLU 0.1 before each conv), global average pooling to the
640-d embedding, one linear layer. Their code calls it w28-10; it is usually cited as
WRN-34-10 (34 = the layer count with the shortcut convolutions counted): the registry name
follows the reference CSV (``wrn34_10``).

Their shortcut when the width changes is an average pool plus zero padding of the channels
(no parameters); it is reproduced here.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from advrepro.models import ARCHITECTURES, Classifier


class _PreActUnit(nn.Module):
    def __init__(
        self, in_channels: int, out_channels: int, stride: int, activate_before_shortcut: bool
    ):
        super().__init__()
        self.bn1, self.bn2 = nn.BatchNorm2d(in_channels), nn.BatchNorm2d(out_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.stride, self.pad = stride, out_channels - in_channels
        # Madry's first unit of the network activates the input before the shortcut too
        self.activate_before_shortcut = activate_before_shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        activated = F.leaky_relu(self.bn1(x), 0.1)
        shortcut = activated if self.activate_before_shortcut else x
        out = self.conv2(F.leaky_relu(self.bn2(self.conv1(activated)), 0.1))
        if self.stride > 1:
            shortcut = F.avg_pool2d(shortcut, self.stride)
        if self.pad:
            shortcut = F.pad(shortcut, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return out + shortcut


@ARCHITECTURES.register("wrn34_10")
class WideResNet(Classifier):
    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        mean,
        std,
        image_size: int = 32,
        widths: tuple[int, ...] = (16, 160, 320, 640),
        units_per_stage: int = 5,
    ):
        super().__init__(mean, std)
        layers: list[nn.Module] = [nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)]
        for stage, width in enumerate(widths[1:]):
            previous = widths[stage]
            for unit in range(units_per_stage):
                layers.append(
                    _PreActUnit(
                        previous if unit == 0 else width,
                        width,
                        (1 if stage == 0 else 2) if unit == 0 else 1,
                        activate_before_shortcut=stage == 0 and unit == 0,
                    )
                )
        layers += [
            nn.BatchNorm2d(widths[-1]),
            nn.LeakyReLU(0.1),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        ]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(widths[-1], num_classes)
