"""DunDi's Distance NN (Cui et al. 2019, Sec. 3.3-3.5) and its classifiers.

Distance NN = DNN module (a native model without its softmax: its logits, by default) +
Embedding module (two dense layers, 128-d). Classification compares a query's embedding with
oracle images (n per class, stored in the model as buffers) by Euclidean distance:

- ``classify`` is Algorithm 1, the two-step classifier: similarity = minus the distance, summed
  over the first m oracles of each class; the top k classes are compared on all n oracles;
  the class with the highest summed similarity wins. Vectorised over the batch: one distance
  matrix to every oracle, then masked sums; no loop over queries or oracles.
- ``forward`` is the differentiable relaxation white-box attacks need: class score = minus the
  aggregated distance to that class's oracles; 'sum' (Algorithm 1's aggregate, so argmax of
  forward equals ``classify`` when m = n and k = classes) or 'min' (nearest oracle, relaxed as
  a soft-min with temperature ``tau``).
"""

from __future__ import annotations

import torch
from torch import nn

from advrepro.models import ARCHITECTURES, Classifier, build_model, weights_version


@ARCHITECTURES.register("distance_net")
class DistanceNet(Classifier):
    def __init__(
        self,
        in_channels,
        num_classes,
        mean,
        std,
        image_size=28,
        backbone="lenet1",
        backbone_output="logits",
        embedding_dim=128,
        hidden_dim=128,
        oracles_per_class=20,
        m=3,
        k=5,
        n=20,
        aggregate="sum",
        tau=1.0,
        freeze_backbone=False,
    ):
        super().__init__(mean, std)
        if backbone_output not in ("logits", "embedding"):
            raise ValueError("backbone_output must be 'logits' or 'embedding'")
        if aggregate not in ("sum", "min"):
            raise ValueError("aggregate must be 'sum' or 'min'")
        self.backbone = build_model(
            backbone, in_channels, num_classes, mean, std, image_size=image_size
        )
        self.backbone_output = backbone_output
        with torch.no_grad():
            probe = torch.zeros(1, in_channels, image_size, image_size)
            width = self._backbone_features(probe).shape[1]
        self.embedding = nn.Sequential(
            nn.Linear(width, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, embedding_dim)
        )
        self.num_classes, self.m, self.k, self.n = num_classes, m, k, n
        self.aggregate, self.tau = aggregate, tau
        self.freeze_backbone = freeze_backbone
        self.register_buffer(
            "oracle_images",
            torch.zeros(num_classes, oracles_per_class, in_channels, image_size, image_size),
        )
        self.register_buffer("oracles_set", torch.zeros((), dtype=torch.bool))
        # (weights version, embeddings): see _oracle_embeddings
        self._oracle_cache: tuple[tuple, torch.Tensor] | None = None
        if freeze_backbone:
            self.backbone.requires_grad_(False)

    # -- embedding -------------------------------------------------------------------------
    def _backbone_features(self, x):
        return self.backbone(x) if self.backbone_output == "logits" else self.backbone.embed(x)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        # the backbone normalises its own input
        return self.embedding(self._backbone_features(x))

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_backbone:
            self.backbone.eval()  # a frozen backbone keeps its batch-norm statistics too
        return self

    # -- oracles ---------------------------------------------------------------------------
    def set_oracles(self, images: torch.Tensor) -> None:
        """``images``: (classes, oracles per class, C, H, W), class-major."""
        self.oracle_images.copy_(images)
        self.oracles_set.fill_(True)  # (the copy bumps the version the cache is keyed on)

    def configure(self, n: int | None = None, m: int | None = None, k: int | None = None) -> None:
        """Classifier settings at evaluation time (e.g. DunDi Table 1's oracle counts 1/10/20)."""
        self.n = n if n is not None else self.n
        self.m = m if m is not None else self.m
        self.k = k if k is not None else self.k

    def classifier_settings(self) -> dict:
        return {"n": self.n, "m": self.m, "k": self.k}

    def _oracle_embeddings(self) -> torch.Tensor:
        if not bool(self.oracles_set):
            raise RuntimeError("DistanceNet has no oracle images; train it with the dundi method")
        # Cached in eval mode: attacks call forward hundreds of times with the same oracles,
        # and on VGG-16 one pass over 200 oracles costs more than the query batch. The cache
        # is keyed on the weights' storage and in-place version counters (weights_version), so
        # any optimiser step, load_state_dict or batch-norm update invalidates it, while the
        # eval()/train() toggles of attack libraries do not.
        version = weights_version(self)
        if self.training or self._oracle_cache is None or self._oracle_cache[0] != version:
            classes, per_class = self.oracle_images.shape[:2]
            flat = self.oracle_images.flatten(0, 1)
            embeddings = self.embed(flat).view(classes, per_class, -1)
            if self.training:
                return embeddings
            self._oracle_cache = (version, embeddings.detach())
        return self._oracle_cache[1]

    def oracle_distances(self, x: torch.Tensor, n: int) -> torch.Tensor:
        """(B, classes, n) Euclidean distances from each query to the first n oracles of each class."""
        oracles = self._oracle_embeddings()[:, :n]
        queries = self.embed(x)
        distances = torch.cdist(queries, oracles.flatten(0, 1))
        return distances.view(len(x), self.num_classes, oracles.shape[1])

    # -- classifiers -----------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Differentiable class scores (the relaxation) over the first n oracles."""
        distances = self.oracle_distances(x, self.n)
        if self.aggregate == "sum":
            return -distances.sum(2)
        return self.tau * torch.logsumexp(-distances / self.tau, dim=2)  # soft-min of distances

    @torch.no_grad()
    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Algorithm 1 (two-step classification), vectorised over the batch."""
        n = min(self.n, self.oracle_images.shape[1])
        m, k = min(self.m, n), min(self.k, self.num_classes)
        similarity = -self.oracle_distances(x, n)  # (B, classes, n)
        first = similarity[:, :, :m].sum(2)  # step 1: m oracles
        candidates = first.topk(k, dim=1).indices  # (B, k)
        second = similarity.sum(2).gather(1, candidates)  # step 2: all n oracles
        return candidates.gather(1, second.argmax(1, keepdim=True)).squeeze(1)
