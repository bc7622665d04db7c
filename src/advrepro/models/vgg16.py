"""VGG-16 in its CIFAR form (DunDi's CIFAR-10 native model): torchvision's VGG-16-BN
convolution stack, a 512-d embedding after the last pooling, and one linear classifier in
place of the ImageNet 4096-4096 head. Pooling uses ceil mode so 28x28 inputs also fit."""

from __future__ import annotations

from torch import nn

from advrepro.models import ARCHITECTURES, Classifier


@ARCHITECTURES.register("vgg16")
class VGG16(Classifier):
    def __init__(self, in_channels, num_classes, mean, std, image_size=32):
        super().__init__(mean, std)
        from torchvision.models import (
            vgg16_bn,  # imported here: torchvision takes seconds to import
        )

        convs = vgg16_bn(weights=None).features
        convs[0] = nn.Conv2d(in_channels, 64, 3, padding=1)
        for index, layer in enumerate(convs):
            if isinstance(layer, nn.MaxPool2d):
                convs[index] = nn.MaxPool2d(2, ceil_mode=True)
        self.features = nn.Sequential(convs, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(512, num_classes)
