"""ResNet-50 and DenseNet-121 in their CIFAR form, built on torchvision's definitions: the
ImageNet stem (7x7 stride-2 conv and 3x3 max-pool) is replaced by one 3x3 stride-1 conv, so a
32x32 image keeps its resolution into the first block (MCT Table 3's architectures)."""

from __future__ import annotations

from torch import nn

from advrepro.models import ARCHITECTURES, Classifier


@ARCHITECTURES.register("resnet50")
class ResNet50(Classifier):
    def __init__(self, in_channels, num_classes, mean, std, image_size=32):
        super().__init__(mean, std)
        from torchvision.models import (
            resnet50,  # imported here: torchvision takes seconds to import
        )

        net = resnet50(weights=None, num_classes=num_classes)
        net.conv1 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
        net.maxpool = nn.Identity()
        self.head = net.fc
        net.fc = nn.Identity()
        self.features = net  # torchvision's forward ends with avgpool + flatten -> 2048-d


@ARCHITECTURES.register("densenet121")
class DenseNet121(Classifier):
    def __init__(self, in_channels, num_classes, mean, std, image_size=32):
        super().__init__(mean, std)
        from torchvision.models import (
            densenet121,  # imported here: torchvision takes seconds to import
        )

        net = densenet121(weights=None, num_classes=num_classes)
        net.features.conv0 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
        net.features.pool0 = nn.Identity()
        self.head = net.classifier
        net.classifier = nn.Identity()
        self.features = net  # features + relu + global average pool + flatten -> 1024-d
