"""Losses against hand-computed values and against pytorch-metric-learning where the
definitions coincide; mining and class-balanced batches."""

from __future__ import annotations

import math

import pytest
import torch
from pytorch_metric_learning import losses as pml_losses
from pytorch_metric_learning.distances import CosineSimilarity
from pytorch_metric_learning.reducers import MeanReducer
from pytorch_metric_learning.regularizers import LpRegularizer

from advrepro.losses import (
    MultiClassNPairLoss,
    TripletMarginLoss,
    feature_norm,
    feature_norm_decay,
    mean_squared_feature,
)
from advrepro.methods.mining import (
    class_balanced_batches,
    hardest_negative,
    nearest_per_class,
    same_class_partner,
)


def cos(a, b):
    return sum(x * y for x, y in zip(a, b)) / math.sqrt(
        sum(x * x for x in a) * sum(y * y for y in b)
    )


def test_triplet_by_hand():
    a, p, n = [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]
    expected = max((1 - cos(a, p)) - (1 - cos(a, n)) + 0.5, 0.0)
    got = TripletMarginLoss(0.5, "cosine")(torch.tensor([a]), torch.tensor([p]), torch.tensor([n]))
    assert got.item() == pytest.approx(expected)
    euclid = TripletMarginLoss(0.5, "euclidean")(
        torch.tensor([a]), torch.tensor([p]), torch.tensor([n])
    )
    assert euclid.item() == pytest.approx(max(1.0 - math.sqrt(2) + 0.5, 0.0))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_triplet_matches_pytorch_metric_learning(dtype):
    torch.manual_seed(0)
    emb = torch.randn(12, 5, dtype=dtype)
    labels = torch.arange(12) % 3
    a, p, n = torch.arange(0, 4), torch.arange(4, 8), torch.arange(8, 12)
    ours = TripletMarginLoss(0.2, "cosine")(emb[a], emb[p], emb[n])
    reference = pml_losses.TripletMarginLoss(
        margin=0.2, distance=CosineSimilarity(), reducer=MeanReducer()
    )
    theirs = reference(emb, labels, indices_tuple=(a, p, n))
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-5)


def test_npair_by_hand():
    a, p, n1, n2 = [1.0, 0.0], [1.0, 0.2], [0.0, 1.0], [-1.0, 0.3]
    s_ap = cos(a, p)
    expected = math.log(1 + math.exp(cos(a, n1) - s_ap + 0.1) + math.exp(cos(a, n2) - s_ap + 0.1))
    got = MultiClassNPairLoss(margin=0.1)(
        torch.tensor([a]), torch.tensor([p]), torch.tensor([[n1, n2]])
    )
    assert got.item() == pytest.approx(expected)


def test_npair_masked_negative_is_ignored():
    a, p, n = (
        torch.tensor([[1.0, 0.0]]),
        torch.tensor([[1.0, 0.2]]),
        torch.tensor([[[0.0, 1.0], [9.0, 9.0]]]),
    )
    masked = MultiClassNPairLoss()(a, p, n, valid=torch.tensor([[True, False]]))
    single = MultiClassNPairLoss()(a, p, n[:, :1])
    assert masked.item() == pytest.approx(single.item())


def test_npair_matches_pytorch_metric_learning():
    """With one (anchor, positive) pair per class and the other classes' positives as the
    negatives, the multi-class N-pair loss is pytorch-metric-learning's NPairsLoss."""
    torch.manual_seed(1)
    classes = 5
    anchors, positives = torch.randn(classes, 8), torch.randn(classes, 8)
    labels = torch.arange(classes)
    negative_index, valid = nearest_per_class(anchors, positives, labels, labels, classes)
    assert valid.all()
    ours = MultiClassNPairLoss()(anchors, positives, positives[negative_index])
    theirs = pml_losses.NPairsLoss(distance=CosineSimilarity())(
        torch.cat([anchors, positives]), torch.cat([labels, labels])
    )
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-5)


def test_abs_cosine_distance_is_mao_et_al_s():
    """Their 'cos' distance is 1 - |cos| (utils.py): an anti-parallel pair is at distance 0."""
    a, p, n = [1.0, 0.0], [-1.0, 0.1], [0.0, 1.0]
    expected = max((1 - abs(cos(a, p))) - (1 - abs(cos(a, n))) + 0.05, 0.0)
    got = TripletMarginLoss(0.05)(torch.tensor([a]), torch.tensor([p]), torch.tensor([n]))
    assert (
        got.item() == pytest.approx(expected) and TripletMarginLoss(0.05).distance == "abs_cosine"
    )


def test_mean_squared_feature_is_mao_et_al_s_norm_term():
    """reduce_mean(a*a + p*p + n*n) over examples and dimensions: D/3 x smaller than the mean
    over 3B embeddings of their squared norms (what TLA used before, 683x too strong on the
    MNIST networks' 1,024-d embedding at triplet weight 0.5)."""
    torch.manual_seed(0)
    a, p, n = (torch.randn(4, 6) for _ in range(3))
    by_hand = sum(float(t[i, j] ** 2) for i in range(4) for j in range(6) for t in (a, p, n)) / 24
    assert mean_squared_feature(a, p, n).item() == pytest.approx(by_hand, rel=1e-6)
    assert feature_norm_decay(a, p, n).item() == pytest.approx(by_hand * 6 / 3, rel=1e-6)


def test_feature_norm_decay():
    assert feature_norm_decay(torch.tensor([[3.0, 4.0]]), torch.tensor([[1.0, 0.0]])).item() == 13.0


def test_feature_norm_by_hand_and_against_pml():
    assert feature_norm(torch.tensor([[3.0, 4.0]]), torch.tensor([[1.0, 0.0]])).item() == 3.0
    a, p = torch.randn(6, 5), torch.randn(6, 5)
    theirs = LpRegularizer(p=2, power=1, reducer=MeanReducer())(torch.cat([a, p]))
    assert feature_norm(a, p).item() == pytest.approx(theirs.item(), rel=1e-6)


def test_feature_norm_gradient_is_bounded_and_zero_at_zero():
    # why it is the default: each embedding's gradient has length 1/count, whatever its norm
    # (the squared norm's grows with it); a dead (all-zero) ReLU embedding gets 0, not NaN
    e = torch.tensor([[30.0, 40.0], [0.0, 0.0]], requires_grad=True)
    feature_norm(e).backward()
    assert torch.allclose(e.grad, torch.tensor([[0.3, 0.4], [0.0, 0.0]]))


def test_class_balanced_batch_gives_one_positive_and_all_negatives():
    labels = torch.arange(100) % 10
    labels[:7] = 3  # unequal class sizes
    batches = list(class_balanced_batches(labels, 40, 10, torch.Generator().manual_seed(0)))
    assert len(batches) == 2
    for batch in batches:
        batch_labels = labels[batch]
        assert torch.equal(torch.bincount(batch_labels, minlength=10), torch.full((10,), 4))
        emb = torch.randn(len(batch), 6)
        negatives, valid = nearest_per_class(emb, emb, batch_labels, batch_labels, 10)
        assert negatives.shape == (40, 9) and valid.all()
        assert (labels[batch][negatives] != batch_labels[:, None]).all()
        assert torch.equal(
            torch.sort(labels[batch][negatives], 1).values[0],
            torch.tensor([c for c in range(10) if c != batch_labels[0]]),
        )
        partner = same_class_partner(batch_labels)
        assert (batch_labels[partner] == batch_labels).all() and (partner != torch.arange(40)).all()


def test_nearest_per_class_picks_most_similar():
    pool = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 1.0]])
    pool_labels = torch.tensor([1, 1, 2, 2])
    anchor, anchor_label = torch.tensor([[1.0, 0.05]]), torch.tensor([0])
    index, valid = nearest_per_class(anchor, pool, anchor_label, pool_labels, 3)
    assert index.tolist() == [[0, 3]] and valid.all()
    assert hardest_negative(anchor, pool, anchor_label, pool_labels).item() == 0


def test_balanced_batches_skip_a_class_with_no_examples():
    labels = torch.arange(60) % 10
    labels[labels == 7] = 3
    batches = list(class_balanced_batches(labels, 20, 10, torch.Generator().manual_seed(0)))
    assert all(7 not in labels[b].tolist() and len(b) == 18 for b in batches)
