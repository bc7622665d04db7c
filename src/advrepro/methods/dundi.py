"""DunDi (Cui et al. 2019): metric learning of a Distance NN on (anchor, positive, negative)
tuples with the loss 1 - sigmoid(d(a, n) - d(a, p)), d the Euclidean distance of embeddings.

One epoch = ``tuples`` tuples (360K at paper scale; Table 2 sweeps 18K-360K): anchors drawn
at random from the training set, for each a random positive of its class and a random negative
of another class, vectorised over the batch. DunDi_R trains the whole Distance NN from scratch;
DunDi_P (``init_from: Native``, ``freeze_backbone: true``) loads the trained native model and
trains the Embedding module only. After training, ``oracles_per_class`` random training images
per class (seeded by the training seed) are stored in the model as its oracle database.

Options: tuples, tuple_draw (per_epoch), backbone_output ("logits": the native model without softmax, as the paper
says; or "embedding"), embedding_dim, hidden_dim, oracles_per_class, m, k, n (Algorithm 1:
3, 5, 20), aggregate, tau, freeze_backbone, init_from (a method id of the same experiment).
"""

from __future__ import annotations

from typing import Literal

import torch

from advrepro.methods import METHODS, Method
from advrepro.options import Count


@METHODS.register("dundi")
class DunDi(Method):
    # the Distance NN's options, passed on to the model: option -> annotation (advrepro.options;
    # read by config validation too)
    extra_options = {
        "backbone_output": 'Literal["logits", "embedding"]',
        "embedding_dim": "Count",
        "hidden_dim": "Count",
        "oracles_per_class": "Count",
        "m": "Count",
        "k": "Count",
        "n": "Count",
        "aggregate": 'Literal["sum", "min"]',
        "tau": "Positive",
        "freeze_backbone": "Flag",
    }

    def __init__(
        self,
        tuples: Count = 360_000,
        # "we generate 360K tuples for training" (Sec. 4.1): drawn afresh each epoch, the one
        # reading implemented (A24); named so that every record states it
        tuple_draw: Literal["per_epoch"] = "per_epoch",
        init_from: str | None = None,
        **model_options,
    ):
        unknown = set(model_options) - set(self.extra_options)
        if unknown:
            raise ValueError(
                f"unknown dundi options {sorted(unknown)}; known: tuples, tuple_draw, init_from, "
                + ", ".join(self.extra_options)
            )
        super().__init__(tuples=tuples, tuple_draw=tuple_draw, init_from=init_from, **model_options)
        self.tuples, self.init_from, self.model_options = tuples, init_from, model_options

    def passes_per_epoch(self, train_size):
        return self.tuples * 3  # anchor, positive and negative of each tuple

    def architecture(self, name):
        return "distance_net", {"backbone": name, **self.model_options}

    def prepare_model(self, model, splits, init_model):
        if self.model_options.get("freeze_backbone") and init_model is None:
            raise ValueError("freeze_backbone needs a trained native model: set init_from")
        if init_model is not None:
            model.backbone.load_state_dict(init_model.state_dict())

    def setup(self, model, splits):
        labels = splits.y_train
        self.x_train, self.num_classes = splits.x_train, splits.num_classes
        self.by_class = labels.argsort()
        counts = torch.bincount(labels, minlength=self.num_classes)
        self.counts, self.starts = counts, counts.cumsum(0) - counts

    def batches(self, labels, batch_size, generator):
        anchors = torch.randint(len(labels), (self.tuples,), generator=generator).to(labels.device)
        yield from anchors.split(batch_size)

    def _random_member(self, classes: torch.Tensor) -> torch.Tensor:
        offset = (torch.rand(len(classes), device=classes.device) * self.counts[classes]).long()
        return self.by_class[self.starts[classes] + offset]

    def loss(self, model, x, y):
        positive = self._random_member(y)
        shift = torch.randint(1, self.num_classes, y.shape, device=y.device)
        negative = self._random_member((y + shift) % self.num_classes)
        anchor_emb, positive_emb, negative_emb = model.embed(
            torch.cat([x, self.x_train[positive], self.x_train[negative]])
        ).split(len(y))
        d_ap = (anchor_emb - positive_emb).norm(dim=1)
        d_an = (anchor_emb - negative_emb).norm(dim=1)
        loss = (1 - torch.sigmoid(d_an - d_ap)).mean()
        return loss, d_ap < d_an

    def finish(self, model, splits, seed):
        """Pick and store the oracle database: the first n of them are used at test time."""
        per_class = model.oracle_images.shape[1]
        generator = torch.Generator().manual_seed(seed)
        labels = splits.y_train.cpu()
        chosen = []
        for c in range(splits.num_classes):  # a loop over classes, not samples
            members = (labels == c).nonzero(as_tuple=True)[0]
            pick = members[torch.randperm(len(members), generator=generator)[:per_class]]
            if len(pick) < per_class:
                raise ValueError(
                    f"class {c} has {len(pick)} training images, fewer than "
                    f"oracles_per_class={per_class}"
                )
            chosen.append(pick)
        model.set_oracles(splits.x_train[torch.stack(chosen).to(splits.x_train.device)])
