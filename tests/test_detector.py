"""Feinman et al.'s KD+BU detector (DunDi Fig. 6's comparison): its two artefacts against plain
formulas, its threshold, a saved detector reloaded, and how evaluation scores a rejection."""

from __future__ import annotations

import torch

from advrepro import model_files
from advrepro.attacks import build_attack
from advrepro.evaluation import evaluate
from advrepro.methods import build_method
from advrepro.models.kd_bu_detector import mc_uncertainty
from advrepro.training import TrainSettings, fit


def test_mc_uncertainty_is_the_trace_of_the_covariance():
    probabilities = torch.rand(7, 5, 3).softmax(2)
    expected = probabilities.var(0, unbiased=False).sum(1)
    assert torch.allclose(mc_uncertainty(probabilities), expected, atol=1e-6)


def detector_around_trained_model(splits, tmp_path, **options):
    torch.manual_seed(0)
    native = model_files.model_for(splits, "lenet1")
    fit(
        native,
        build_method("standard"),
        splits,
        TrainSettings(seed=0, epochs=3, batch_size=32, optimizer="adam", lr=1e-2),
        tmp_path / "native.ckpt",
        progress=False,
    )
    method = build_method(
        "kd_bu",
        init_from="Native",
        fit_examples=48,
        reference_per_class=4,
        fit_attack={"class": "fgsm", "params": {"eps": 0.3}},
        mc_samples=8,
        **options,
    )
    architecture, model_options = method.architecture("lenet1")
    detector = model_files.model_for(splits, architecture, **model_options)
    method.prepare_model(detector, splits, native)
    method.finish(detector, splits, seed=0)
    return detector.eval(), method


def test_kernel_density_matches_a_loop(tiny_splits, tmp_path):
    detector, _ = detector_around_trained_model(tiny_splits, tmp_path, bandwidth=2.0)
    # at most 4 per class, from the 48 training images not used to fit the regression
    per_class = torch.bincount(detector.reference_labels, minlength=10)
    assert per_class.max() == 4 and per_class.sum() > 30
    x = tiny_splits.x_test[:6]
    with torch.no_grad():
        features = detector.embed(x)
        predicted = detector(x).argmax(1)
        density = detector.kernel_density(features, predicted)
    for i in range(len(x)):
        same = detector.reference_features[detector.reference_labels == predicted[i]]
        kernel = torch.exp(-((same - features[i]) ** 2).sum(1) / 2.0**2)
        assert torch.allclose(density[i], kernel.mean(), rtol=1e-4, atol=1e-7)


def test_threshold_rejects_the_chosen_share_of_clean_fit_images(tiny_splits, tmp_path):
    _, method = detector_around_trained_model(tiny_splits, tmp_path, fpr=0.25)
    # the threshold is the 75th percentile of 48 clean scores: about 12 of them lie above it
    assert 0.15 <= method.fit_summary["flagged_clean"] <= 0.25


def test_saved_detector_reloads_and_classifies_alike(tiny_splits, tmp_path):
    detector, _ = detector_around_trained_model(tiny_splits, tmp_path, fpr=0.3)
    model_files.save_model(tmp_path / "detector.pt", detector)
    reloaded = model_files.load_model(tmp_path / "detector.pt", torch.device("cpu"))
    x = tiny_splits.x_test
    torch.manual_seed(1)
    first = detector.classify(x)
    torch.manual_seed(1)
    assert torch.equal(reloaded.classify(x), first)
    assert (first == detector.reject_label).any(), "fpr 0.3 should reject some test images"


class RejectsEverything(torch.nn.Module):
    reject_label = 10

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(28 * 28, 10)

    def forward(self, x):
        return self.linear(x.flatten(1))

    def classify(self, x):
        return torch.full((len(x),), self.reject_label)


def test_a_rejected_adversarial_example_is_defended_a_rejected_clean_one_is_not(tiny_splits):
    model = RejectsEverything()
    x, y = tiny_splits.x_test, tiny_splits.y_test
    clean = evaluate(model, build_attack("clean", model), x, y, 16, progress=False)
    noise = evaluate(model, build_attack("random_noise", model, eps=0.1), x, y, 16, progress=False)
    attacked = evaluate(model, build_attack("fgsm", model, eps=0.1), x, y, 16, progress=False)
    assert clean["accuracy"] == noise["accuracy"] == 0.0
    assert attacked["accuracy"] == 1.0 and attacked["rejected"] == 1.0
