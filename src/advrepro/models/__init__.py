"""Architectures. Every model takes images in [0, 1], normalises them itself (first module),
and exposes ``embed(x)`` (the penultimate-layer features that metric-learning losses use) and
``forward(x)`` (logits). Add an architecture with one file here and one config entry.
"""

from __future__ import annotations

import torch
from torch import nn

from advrepro.registry import Registry

ARCHITECTURES: Registry[Classifier] = Registry("architecture", "advrepro.models")


class Normalize(nn.Module):
    """Per-channel standardisation inside the model, so attacks see [0, 1] inputs."""

    def __init__(self, mean: list[float], std: list[float]):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class Classifier(nn.Module):
    """Base: ``features`` maps normalised images to an embedding, ``head`` maps it to logits."""

    registry_name = "base"

    def __init__(self, mean: list[float], std: list[float]):
        super().__init__()
        self.normalize = Normalize(mean, std)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(self.normalize(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))

    def configure(self, **settings) -> None:
        """Decision-rule settings for one evaluation; plain classifiers have none (DunDi's
        oracle counts do not apply to its native models, whose Table 1 row is oracle-free)."""

    def classifier_settings(self) -> dict:
        """The decision rule's settings in force (recorded with every evaluation)."""
        return {}

    @torch.no_grad()
    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Predicted labels. Differs from ``forward().argmax(1)`` only for models whose real
        decision rule is not differentiable (DunDi's two-step oracle vote)."""
        return self(x).argmax(1)


def weights_version(model: nn.Module) -> tuple:
    """Identity and in-place version counter of every parameter and buffer: equal before and
    after a computation exactly when it left the model's numbers as they were (an optimiser
    step, ``load_state_dict`` or a batch-norm statistics update each bump a counter)."""
    return tuple((t.data_ptr(), t._version) for t in (*model.parameters(), *model.buffers()))


def build_model(
    name: str,
    in_channels: int,
    num_classes: int,
    mean: list[float],
    std: list[float],
    image_size: int = 28,
    **options,
) -> Classifier:
    """Build a registered architecture; ``model.build_args`` records how, so that a saved
    model can be rebuilt from its file alone."""
    build_args = dict(
        name=name,
        in_channels=in_channels,
        num_classes=num_classes,
        mean=list(mean),
        std=list(std),
        image_size=image_size,
        **options,
    )
    model = ARCHITECTURES.get(name)(
        in_channels=in_channels,
        num_classes=num_classes,
        mean=mean,
        std=std,
        image_size=image_size,
        **options,
    )
    model.build_args = build_args
    return model
