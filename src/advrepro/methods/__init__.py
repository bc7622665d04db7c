"""Training methods: what a batch costs, not how the loop runs.

A method computes the training loss of one batch (``loss``) and may choose the batch order
(``batches``, e.g. class-balanced batches for metric losses). ``advrepro.training.fit`` is the
single loop that every method trains through. Add a method with one file here and one config
entry under ``methods:``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import torch
from torch import nn

from advrepro.registry import Registry

METHODS: Registry[Method] = Registry("method", "advrepro.methods")


class Method:
    registry_name: ClassVar[str] = "base"

    def __init__(self, **options):
        self.options = options

    def setup(self, model: nn.Module, splits) -> None:
        """Called once before training, e.g. to build the attack a method trains against;
        ``splits`` is the training data on the device (for methods that sample from it)."""

    def batches(
        self, labels: torch.Tensor, batch_size: int, generator: torch.Generator
    ) -> Iterator[torch.Tensor]:
        """Index tensors of one epoch's batches; default: a seeded random permutation."""
        order = torch.randperm(len(labels), generator=generator).to(labels.device)
        yield from order.split(batch_size)

    def loss(
        self, model: nn.Module, x: torch.Tensor, y: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (loss to minimise, per-example bool tensor: correct, for the running
        training accuracy)."""
        raise NotImplementedError

    def architecture(self, name: str) -> tuple[str, dict]:
        """The model this method trains, given the experiment's architecture: (registry name,
        options). Most methods train the architecture itself; DunDi wraps it."""
        return name, {}

    def prepare_model(self, model: nn.Module, splits, init_model: nn.Module | None) -> None:
        """Called on the freshly built model before training (e.g. load and freeze a
        pre-trained backbone, pick oracle images); ``init_model`` is the model named by the
        method's ``init_from`` option, if any. Default: fine-tune from its weights (TLA from
        the AT checkpoint, as Mao et al.'s CIFAR config does)."""
        if init_model is not None:
            model.load_state_dict(init_model.state_dict())

    def finish(self, model: nn.Module, splits, seed: int) -> None:
        """Called after training, before the model is saved (DunDi stores its oracles here)."""

    def passes_per_epoch(self, train_size: int) -> float:
        """Forward + backward passes of one epoch, for the cost estimate (advrepro.cost)."""
        return train_size * (self.options.get("steps", 0) + 1)

    def finish_passes(self, train_size: int) -> float:
        """Passes of ``finish`` (fitting after training), for the cost estimate."""
        return 0.0


def build_method(name: str, **options) -> Method:
    return METHODS.get(name)(**options)
