"""Attacks: one class per attack behind one interface, mapped from config names by ``ATTACKS``.

``Attack(model, eps=..., **params)(x, y) -> x_adv`` switches the model to eval mode, runs the
attack (with per-example worst case over random restarts when ``restarts > 1``), restores the
model's mode and verifies every adversarial example: inside its norm ball and inside [0, 1].
A violation raises :class:`BudgetViolation`; it is never a warning.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import ClassVar

import torch
from torch import nn

from advrepro.registry import Registry

ATTACKS: Registry[Attack] = Registry("attack", "advrepro.attacks")

# float32 rounding in x + clamp(x_adv - x, -eps, eps) may overshoot the bound by ~1 ulp
BUDGET_TOLERANCE = 1e-5


def import_torchattacks():
    """torchattacks, imported on first use with ``scipy.stats`` loaded lazily.

    ``import torchattacks`` imports every attack it has, and one we never use (TIFGSM) imports
    scipy.stats at module level: 2 s of each short evaluation job on a 2-core machine. A
    stdlib LazyLoader defers that import until something touches scipy.stats (ART and TIFGSM
    then get the real module).
    """
    if "torchattacks" not in sys.modules and "scipy.stats" not in sys.modules:
        spec = importlib.util.find_spec("scipy.stats")
        if spec is not None and spec.loader is not None:
            spec.loader = importlib.util.LazyLoader(spec.loader)
            module = importlib.util.module_from_spec(spec)
            sys.modules["scipy.stats"] = module
            spec.loader.exec_module(module)
            # `from scipy import stats` looks the attribute up on the package first
            importlib.import_module("scipy").stats = module
    import torchattacks

    return torchattacks


class BudgetViolation(AssertionError):
    """An adversarial example left its norm ball or the [0, 1] box."""


def perturbation_norm(delta: torch.Tensor, norm: str) -> torch.Tensor:
    """Per-example norm of a perturbation: 'linf', 'l2', or 'l0' (fraction of changed values)."""
    flat = delta.flatten(1)
    if norm == "linf":
        return flat.abs().amax(1)
    if norm == "l2":
        return flat.norm(p=2, dim=1)
    if norm == "l0":
        return (flat.abs() > BUDGET_TOLERANCE).float().mean(1)
    raise ValueError(f"unknown norm '{norm}'")


def check_budget(
    x: torch.Tensor,
    x_adv: torch.Tensor,
    norm: str | None,
    eps: float | None,
    tolerance: float = BUDGET_TOLERANCE,
) -> None:
    if x_adv.shape != x.shape:
        raise BudgetViolation(
            f"adversarial batch has shape {tuple(x_adv.shape)}, inputs {tuple(x.shape)}"
        )
    if not torch.isfinite(x_adv).all():
        raise BudgetViolation("adversarial examples contain NaN or inf")
    low, high = x_adv.min().item(), x_adv.max().item()
    if low < -tolerance or high > 1 + tolerance:
        raise BudgetViolation(f"adversarial examples leave [0, 1]: range [{low:.6g}, {high:.6g}]")
    if norm is None or eps is None:
        return
    sizes = perturbation_norm(x_adv - x, norm)
    worst = sizes.max().item()
    if worst > eps + tolerance:
        count = int((sizes > eps + tolerance).sum())
        raise BudgetViolation(
            f"{count} adversarial examples exceed the {norm} budget {eps:.6g} (largest {worst:.6g})"
        )


def decision(model: nn.Module, x: torch.Tensor, logits: torch.Tensor | None = None) -> torch.Tensor:
    """The labels the model really predicts for ``x``: its ``classify`` (DunDi's two-step oracle
    vote, not the argmax of its differentiable relaxation), or the argmax of ``logits`` (already
    computed on ``x``) for a plain classifier, without another forward pass."""
    from advrepro.models import Classifier

    classify = getattr(type(model), "classify", None)
    if classify is None or (logits is not None and classify is Classifier.classify):
        return (logits if logits is not None else model(x)).argmax(1)
    return model.classify(x.detach())


class Attack:
    """Base class. Subclasses set ``norm`` and implement ``generate`` (one run)."""

    registry_name: ClassVar[str] = "base"
    norm: ClassVar[str | None] = None
    # True for attacks whose single run is random (random start): restarts only help those
    randomised: ClassVar[bool] = False
    # False for the clean and noise controls: a detector that rejects their inputs is wrong
    adversarial: ClassVar[bool] = True
    # what guides the attack: gradient, decision (queries only), noise, clean, or transfer
    # (replayed from a source model); the masking report's per-example checks read it
    family: ClassVar[str] = "gradient"
    # the attack's name in the papers' tables (the reported CSV's `attack` column) where it is
    # not the registry name: PGD-L2 is the papers' "pgd" at norm l2 (the record states the norm)
    reported_as: ClassVar[str | None] = None

    def __init__(self, model: nn.Module, eps: float | None = None, restarts: int = 1, **params):
        if restarts < 1:
            raise ValueError("restarts must be >= 1")
        self.model = model
        self.eps = eps
        self.restarts = restarts
        self.params = params

    def generate(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @property
    def paper_name(self) -> str:
        """What the papers call this attack (the reported CSV's ``attack``), which the verdict
        rule compares with the printed row's."""
        return self.reported_as or self.registry_name

    @classmethod
    def passes(cls, params: dict, num_classes: int, input_size: int) -> tuple[float, float]:
        """Upper-bound cost per example, for the cost estimate (advrepro.cost): (forward +
        backward passes, forward-only passes). ``params`` holds every option, the constructor's
        defaults filled in (advrepro.cost). Default: ``steps`` gradient steps per restart (one
        for an attack without steps)."""
        return params.get("steps", 1) * params["restarts"], params["restarts"]

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        was_training = self.model.training
        self.model.eval()
        try:
            x_adv = self.generate(x, y)
            # Worst case over restarts, per example: a later run attacks only the examples
            # the earlier ones still failed to fool (each example's attack is independent of
            # the others in its batch), and replaces just those.
            for _ in range(self.restarts - 1):
                with torch.no_grad():
                    still_correct = (decision(self.model, x_adv) == y).nonzero().flatten()
                if len(still_correct) == 0:
                    break
                x_adv = x_adv.clone()
                x_adv[still_correct] = self.generate(x[still_correct], y[still_correct])
        finally:
            self.model.train(was_training)
        x_adv = x_adv.detach()
        check_budget(x, x_adv, self.norm, self.eps)
        return x_adv


def build_attack(name: str, model: nn.Module, **params) -> Attack:
    return ATTACKS.get(name)(model, **params)
