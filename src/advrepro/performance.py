"""The GPU path (config key ``performance``): switches that change speed, not the method.

- ``cudnn_benchmark``: cuDNN picks the fastest convolution algorithm per input shape.
- ``channels_last``: NHWC memory layout for models and image batches (tensor cores).
- ``autocast_bf16``: bfloat16 autocast in *training* only; attacks and evaluation stay in
  float32, so the precision never weakens an attack.
- ``compile``: ``torch.compile`` of the model's forward pass in training.

Data already lives on the device as tensors (``advrepro.data.load_prepared``). Each switch
is off unless the config turns it on; benchmarks/run.py --gpu measures each one's gain.
On a CPU, all but ``channels_last`` and ``compile`` are no-ops.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

DEFAULTS = {
    "cudnn_benchmark": False,
    "channels_last": False,
    "autocast_bf16": False,
    "compile": False,
}


def settings(performance: dict | None) -> dict:
    return {**DEFAULTS, **(performance or {})}


def configure_backend(performance: dict | None) -> None:
    torch.backends.cudnn.benchmark = settings(performance)["cudnn_benchmark"]


def to_layout(tensor_or_model, performance: dict | None):
    """A model or a 4-d image batch in the configured memory layout."""
    if not settings(performance)["channels_last"]:
        return tensor_or_model
    if isinstance(tensor_or_model, torch.Tensor) and tensor_or_model.dim() != 4:
        return tensor_or_model
    return tensor_or_model.to(memory_format=torch.channels_last)


def training_model(model: nn.Module, performance: dict | None) -> nn.Module:
    """What the training loop calls: the model, or its compiled forward (attributes such as
    ``embed`` and the state dict stay the original module's)."""
    return torch.compile(model) if settings(performance)["compile"] else model


def training_autocast(device: torch.device, performance: dict | None):
    if settings(performance)["autocast_bf16"] and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()
