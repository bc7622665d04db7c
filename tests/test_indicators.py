"""Attack-failure indicators (advrepro.indicators) on toy models whose failure is known."""

from __future__ import annotations

import torch

from advrepro.attacks import build_attack
from advrepro.evaluation import evaluate
from advrepro.transfer import ReplayedAttack, transfer_set

INDICATORS = {"examples": 500, "probe_steps": 10}


def linear(splits, steps=60):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(28 * 28, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(splits.x_train), splits.y_train).backward()
        optimizer.step()
    return model.eval()


def indicators_of(model, splits, attack_class, **params):
    torch.manual_seed(0)
    attack = build_attack(attack_class, model, **params)
    return evaluate(
        model, attack, splits.x_test, splits.y_test, 16, progress=False, indicators=INDICATORS
    )["indicators"]


class VotesRight(torch.nn.Module):
    """Differentiable output and decision disagree, as DunDi's relaxation and its oracle vote
    may: the logits are the linear model's, the decision is always the true label."""

    def __init__(self, model, labels_of):
        super().__init__()
        self.model, self.labels_of = model, labels_of

    def forward(self, x):
        return self.model(x)

    def classify(self, x):
        return self.labels_of(x)


class Dropout(torch.nn.Module):
    """A randomised decision (dropout kept on in eval): unstable predictions."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(torch.nn.functional.dropout(x, 0.5, training=True))


def test_a_plain_model_under_pgd_shows_no_failure(tiny_splits):
    found = indicators_of(linear(tiny_splits), tiny_splits, "pgd", eps=0.3, alpha=0.03, steps=20)
    for name in ("unavailable_gradients", "silent_success", "unstable_predictions"):
        assert found[name]["share"] == 0.0 and found[name]["checked"] == 32, name
    assert found["transfer_failure"] is None  # a white-box attack


def test_silent_success_when_the_loss_says_fooled_but_the_decision_is_right(tiny_splits):
    splits = tiny_splits
    # one batch of the whole test set, so the decision can name each input's true label
    target = VotesRight(linear(splits), lambda x: splits.y_test[: len(x)])
    torch.manual_seed(0)
    attack = build_attack("pgd", target, eps=0.3, alpha=0.03, steps=20)
    found = evaluate(
        target,
        attack,
        splits.x_test,
        splits.y_test,
        len(splits.y_test),
        progress=False,
        indicators=INDICATORS,
    )
    assert found["accuracy"] == 1.0  # the decision is never fooled
    assert found["indicators"]["silent_success"]["share"] > 0.9


def test_a_randomised_decision_is_unstable(tiny_splits):
    found = indicators_of(Dropout(linear(tiny_splits)), tiny_splits, "fgsm", eps=0.1)
    assert found["unstable_predictions"]["share"] > 0.05


def test_a_stopped_short_attack_is_incomplete(tiny_splits):
    """Two tiny PGD steps leave examples that ten more steps in the same ball flip."""
    found = indicators_of(
        linear(tiny_splits), tiny_splits, "pgd", eps=0.3, alpha=0.001, steps=2, random_start=False
    )
    assert found["incomplete_optimisation"]["share"] > 0.5
    converged = indicators_of(
        linear(tiny_splits), tiny_splits, "pgd", eps=0.3, alpha=0.03, steps=40
    )
    assert (
        converged["incomplete_optimisation"]["checked"] == 0
        or converged["incomplete_optimisation"]["share"] == 0.0
    )


def test_transfer_failure_counts_source_successes_the_target_resists(tiny_splits):
    splits = tiny_splits
    source, target = linear(splits), linear(splits, steps=5)
    spec = {"id": "fgsm_transfer", "class": "fgsm", "params": {"eps": 0.3}}
    torch.manual_seed(0)
    attack = build_attack("fgsm", source, eps=0.3)
    crafted = evaluate(
        source, attack, splits.x_test, splits.y_test, 32, progress=False, keep_adversarial=True
    )
    rows = torch.arange(len(splits.y_test))
    source_correct = torch.tensor(crafted["correct"], dtype=torch.bool)
    saved = transfer_set(
        attack,
        spec,
        splits.x_test,
        crafted["adversarial_examples"],
        rows,
        source_correct=source_correct,
    )
    replayed = ReplayedAttack(saved, spec, splits.x_test, rows)
    result = evaluate(
        target, replayed, splits.x_test, splits.y_test, 16, progress=False, indicators=INDICATORS
    )
    failure = result["indicators"]["transfer_failure"]
    fooled = ~source_correct
    resisted = fooled & torch.tensor(result["correct"], dtype=torch.bool)
    assert failure["checked"] == int(fooled.sum()) > 0
    assert failure["count"] == int(resisted.sum())
    assert result["indicators"]["incomplete_optimisation"] is None  # nothing to continue


def test_a_single_step_attack_is_not_probed_for_convergence(tiny_splits):
    found = indicators_of(linear(tiny_splits), tiny_splits, "fgsm", eps=0.05)
    assert found["incomplete_optimisation"] is None
