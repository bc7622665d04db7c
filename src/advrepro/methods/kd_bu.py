"""Feinman et al. 2017's KD+BU detector as a method (the comparison of DunDi's Fig. 6).

No training of its own: the detector wraps the trained native model (``init_from``, as
DunDi_P does; set ``train: {epochs: 0}``), and ``finish`` fits it on training images. The
first ``fit_examples`` (shuffled by the training seed) fit the logistic regression: those
images clean, with Gaussian noise of the same L2 size as their adversarial perturbation
(negatives, as in Feinman et al.), and under ``fit_attack`` crafted on the backbone
(positives). Up to ``reference_per_class`` of the other training images per class are the
kernel-density reference. Feinman et al. fit one regression per attack, on that attack; one
attack for all (default FGSM) is the stricter, attack-agnostic reading (docs/decisions.md).

Options: init_from (required), fit_attack ({class, params}), fit_examples, reference_per_class,
and the detector's bandwidth (null: median heuristic), dropout, mc_samples, fpr.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from advrepro.attacks import build_attack
from advrepro.methods import METHODS, Method
from advrepro.options import AttackSpec, Count


@METHODS.register("kd_bu")
class KDBU(Method):
    # the detector's options, passed on to the model: option -> annotation (advrepro.options;
    # read by config validation too)
    extra_options = {
        "bandwidth": "Positive | None",
        "dropout": "Rate",
        "mc_samples": "Count",
        "fpr": "OpenShare",
    }

    def __init__(
        self,
        init_from: str | None = None,
        fit_attack: AttackSpec | None = None,
        fit_examples: Count = 1000,
        reference_per_class: Count = 1000,
        **detector_options,
    ):
        unknown = set(detector_options) - set(self.extra_options)
        if unknown:
            raise ValueError(
                f"unknown kd_bu options {sorted(unknown)}; known: init_from, "
                "fit_attack, fit_examples, reference_per_class, " + ", ".join(self.extra_options)
            )
        if init_from is None:
            raise ValueError("kd_bu wraps a trained classifier: set init_from (e.g. Native)")
        fit_attack = fit_attack or {"class": "fgsm", "params": {"eps": 0.3}}
        super().__init__(
            init_from=init_from,
            fit_attack=fit_attack,
            fit_examples=fit_examples,
            reference_per_class=reference_per_class,
            **detector_options,
        )
        self.init_from, self.fit_attack = init_from, fit_attack
        self.fit_examples, self.reference_per_class = fit_examples, reference_per_class
        self.detector_options = detector_options

    def passes_per_epoch(self, train_size):
        return train_size  # only if a config fine-tunes the backbone

    def finish_passes(self, train_size):
        # the fitting attack and one forward pass of each fitting image (clean, noisy,
        # adversarial: with mc_samples dropout heads, about a third of a pass each), and the
        # reference images' features
        fit = min(self.fit_examples, train_size)
        return fit * (3 + self.detector_options.get("mc_samples", 50) / 3) + train_size / 3

    def architecture(self, name):
        return "kd_bu_detector", {"backbone": name, **self.detector_options}

    def prepare_model(self, model, splits, init_model):
        if init_model is None:
            raise ValueError("kd_bu needs the trained model named by init_from")
        model.backbone.load_state_dict(init_model.state_dict())

    def loss(self, model, x, y):  # only if a config gives it epochs: fine-tunes the backbone
        logits = model(x)
        return F.cross_entropy(logits, y), logits.argmax(1) == y

    def finish(self, model, splits, seed):
        model.eval()
        if self.fit_examples >= len(splits.y_train):
            raise ValueError(
                f"kd_bu fit_examples ({self.fit_examples}) leaves no training image "
                f"for the kernel-density reference ({len(splits.y_train)} training "
                "images): lower fit_examples"
            )
        order = torch.randperm(len(splits.y_train), generator=torch.Generator().manual_seed(seed))
        order = order.to(splits.y_train.device)
        fit, rest = order[: self.fit_examples], order[self.fit_examples :]
        labels = splits.y_train[rest]
        rank = _rank_within_class(labels, splits.num_classes)
        reference = rest[rank < self.reference_per_class]
        with torch.no_grad():
            features = torch.cat(
                [model.embed(batch) for batch in splits.x_train[reference].split(1000)]
            )
        model.set_reference(features, splits.y_train[reference])

        clean, y = splits.x_train[fit], splits.y_train[fit]
        attack = build_attack(
            self.fit_attack["class"], model.backbone, **self.fit_attack.get("params", {})
        )
        adversarial = torch.cat([attack(xb, yb) for xb, yb in zip(clean.split(500), y.split(500))])
        size = (adversarial - clean).flatten(1).norm(dim=1).view(-1, *[1] * (clean.dim() - 1))
        noise = torch.randn(clean.shape, generator=torch.Generator().manual_seed(seed)).to(clean)
        noise = noise / noise.flatten(1).norm(dim=1).view_as(size).clamp(min=1e-12) * size
        noisy = (clean + noise).clamp(0, 1)
        self.fit_summary = model.fit_detector(clean, adversarial, noisy)


def _rank_within_class(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Position of each example among the examples of its class, in the given order."""
    one_hot = F.one_hot(labels, num_classes)
    return (one_hot.cumsum(0) * one_hot).sum(1) - 1
