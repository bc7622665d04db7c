"""Feinman et al. 2017 ("Detecting adversarial samples from artifacts"), the detector DunDi's
Fig. 6 compares against, around a trained classifier (the backbone):

- KD, kernel density: a Gaussian kernel density of the input's last-hidden-layer features
  among training features of its *predicted* class (low for adversarial examples, which lie
  off the data manifold of the class they are pushed into);
- BU, Bayesian uncertainty: the variance of the softmax output under Monte-Carlo dropout
  (here dropout on the last hidden layer, so a backbone trained without dropout works too);
- a logistic regression on the z-scored (KD, BU) pair gives the detector score.

``classify`` returns ``reject_label`` (= number of classes) for inputs whose score exceeds the
threshold fitted for a false-positive rate on clean data; evaluation counts a rejected
adversarial example as defended (docs/decisions.md, "Feinman et al.'s detector").
Gradients (``forward``) are the backbone's: attacks on it are oblivious to the detector, which
is the zero-knowledge threat model of Feinman et al. and DunDi's Fig. 6.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from advrepro.models import ARCHITECTURES, Classifier, build_model


def mc_uncertainty(probabilities: torch.Tensor) -> torch.Tensor:
    """(T, B, classes) Monte-Carlo softmax outputs -> (B,): mean squared norm minus the squared
    norm of the mean (the trace of the outputs' covariance over the T samples)."""
    return probabilities.square().sum(2).mean(0) - probabilities.mean(0).square().sum(1)


@ARCHITECTURES.register("kd_bu_detector")
class KDBUDetector(Classifier):
    def __init__(
        self,
        in_channels,
        num_classes,
        mean,
        std,
        image_size=28,
        backbone="lenet1",
        bandwidth=None,
        dropout=0.5,
        mc_samples=50,
        fpr=0.05,
    ):
        super().__init__(mean, std)
        if not 0 < dropout < 1:
            raise ValueError("kd_bu dropout must lie in (0, 1)")
        if not 0 < fpr < 1:
            raise ValueError("kd_bu fpr must lie in (0, 1)")
        self.backbone = build_model(
            backbone, in_channels, num_classes, mean, std, image_size=image_size
        )
        self.num_classes = self.reject_label = num_classes
        self.bandwidth_option, self.dropout, self.mc_samples, self.fpr = (
            bandwidth,
            dropout,
            mc_samples,
            fpr,
        )
        # data-sized buffers: resized when a saved detector is loaded
        self.register_buffer("reference_features", torch.zeros(0))
        self.register_buffer("reference_labels", torch.zeros(0, dtype=torch.long))
        self.register_buffer("bandwidth", torch.zeros(()))
        self.register_buffer("score_mean", torch.zeros(2))
        self.register_buffer("score_std", torch.ones(2))
        self.register_buffer("weights", torch.zeros(3))  # KD, BU, bias
        self.register_buffer("threshold", torch.full((), float("inf")))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        for name in ("reference_features", "reference_labels"):
            if prefix + name in state_dict:
                setattr(self, name, torch.empty_like(state_dict[prefix + name]))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone.embed(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)

    # -- the two artefacts -----------------------------------------------------------------
    def kernel_density(self, features: torch.Tensor, predicted: torch.Tensor) -> torch.Tensor:
        """Mean Gaussian kernel between each input and the reference features of its predicted
        class, all classes in one distance matrix."""
        kernel = torch.exp(
            -torch.cdist(features, self.reference_features).square() / self.bandwidth.square()
        )  # (B, N)
        same_class = self.reference_labels[None, :] == predicted[:, None]  # (B, N)
        return (kernel * same_class).sum(1) / same_class.sum(1).clamp(min=1)

    def bayesian_uncertainty(self, features: torch.Tensor) -> torch.Tensor:
        """Feinman et al.'s Eq. 4: mean of the squared norms of the MC-dropout softmax outputs
        minus the squared norm of their mean; the samples run as one batch."""
        repeated = features.repeat(self.mc_samples, *[1] * (features.dim() - 1))
        dropped = F.dropout(repeated, self.dropout, training=True)
        probabilities = (
            self.backbone.head(dropped).softmax(1).view(self.mc_samples, len(features), -1)
        )
        return mc_uncertainty(probabilities)

    def artefacts(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(predicted labels, (B, 2) z-scored [KD, BU])."""
        features = self.embed(x)
        predicted = self.backbone.head(features).argmax(1)
        raw = torch.stack(
            [self.kernel_density(features, predicted), self.bayesian_uncertainty(features)], 1
        )
        return predicted, (raw - self.score_mean) / self.score_std

    def score(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(predicted labels, detector logit: higher = more likely adversarial)."""
        predicted, z = self.artefacts(x)
        return predicted, z @ self.weights[:2] + self.weights[2]

    # -- fitting -----------------------------------------------------------------------------
    @torch.no_grad()
    def set_reference(self, features: torch.Tensor, labels: torch.Tensor) -> None:
        self.reference_features, self.reference_labels = features.detach(), labels
        if self.bandwidth_option is not None:
            self.bandwidth.fill_(float(self.bandwidth_option))
        else:  # median heuristic: the median distance between reference features
            sample = features[:1000]
            self.bandwidth.fill_(torch.pdist(sample).median().item())

    def fit_detector(
        self, clean: torch.Tensor, adversarial: torch.Tensor, noisy: torch.Tensor, steps: int = 500
    ) -> dict:
        """Logistic regression: adversarial (1) against clean and noisy (0) inputs, as in
        Feinman et al.; then the threshold that rejects ``fpr`` of the clean inputs."""
        self.eval()
        with torch.no_grad():
            torch.manual_seed(0)
            raw = torch.cat([self.artefacts(batch)[1] for batch in (clean, noisy, adversarial)])
            self.score_mean.copy_(raw.mean(0))
            self.score_std.copy_(raw.std(0).clamp(min=1e-12))
            z = (raw - self.score_mean) / self.score_std
        target = torch.cat([torch.zeros(len(clean) + len(noisy)), torch.ones(len(adversarial))]).to(
            z
        )
        weights = torch.zeros(3, device=z.device, requires_grad=True)
        optimizer = torch.optim.LBFGS([weights], max_iter=steps, line_search_fn="strong_wolfe")

        def closure():
            optimizer.zero_grad()
            loss = F.binary_cross_entropy_with_logits(z @ weights[:2] + weights[2], target)
            loss.backward()
            return loss

        optimizer.step(closure)
        self.weights.copy_(weights.detach())
        with torch.no_grad():
            logits = z @ self.weights[:2] + self.weights[2]
            clean_logits = logits[: len(clean)]
            self.threshold.fill_(torch.quantile(clean_logits, 1 - self.fpr).item())
            flagged = logits > self.threshold
        return {
            "detected_adversarial": flagged[len(clean) + len(noisy) :].float().mean().item(),
            "flagged_clean": flagged[: len(clean)].float().mean().item(),
            "flagged_noisy": flagged[len(clean) : len(clean) + len(noisy)].float().mean().item(),
        }

    @torch.no_grad()
    def classify(self, x: torch.Tensor) -> torch.Tensor:
        predicted, logits = self.score(x)
        return torch.where(
            logits > self.threshold, torch.full_like(predicted, self.reject_label), predicted
        )
