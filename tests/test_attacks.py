"""Every attack against its defining behaviour on a tiny model."""

from __future__ import annotations

import pytest
import torch

from advrepro.attacks import ATTACKS, Attack, BudgetViolation, build_attack, check_budget
from advrepro.attacks.cw_linf import margin

SETTINGS = {
    "clean": {},
    "fgsm": {"eps": 0.1},
    "bim": {"eps": 0.1, "alpha": 0.03, "steps": 5},
    "pgd": {"eps": 0.1, "alpha": 0.03, "steps": 5, "restarts": 2},
    "cw_linf": {"eps": 0.1, "alpha": 0.03, "steps": 5},
}


def test_every_registered_attack_is_covered():
    assert set(ATTACKS.names()) == set(SETTINGS)


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_attack_respects_budget_and_box(name, tiny_model, tiny_splits):
    x, y = tiny_splits.x_test, tiny_splits.y_test
    tiny_model.train()
    attack = build_attack(name, tiny_model, **SETTINGS[name])
    x_adv = attack(x, y)
    assert tiny_model.training, "the attack must restore the model's mode"
    assert x_adv.min() >= 0 and x_adv.max() <= 1
    if attack.norm == "linf":
        assert (x_adv - x).abs().amax() <= SETTINGS[name]["eps"] + 1e-6
    if name == "clean":
        assert torch.equal(x_adv, x)


@pytest.mark.parametrize("name", ["fgsm", "pgd", "cw_linf"])
def test_gradient_attacks_lower_accuracy(name, tiny_model, tiny_splits):
    x, y = tiny_splits.x_test, tiny_splits.y_test
    params = {**SETTINGS[name], "eps": 0.3}
    tiny_model.eval()
    x_adv = build_attack(name, tiny_model, **params)(x, y)
    with torch.no_grad():
        clean = (tiny_model(x).argmax(1) == y).float().mean()
        adv = (tiny_model(x_adv).argmax(1) == y).float().mean()
    assert adv < clean or clean == 0


def test_attack_runs_in_eval_mode(tiny_model, tiny_splits):
    seen = []

    class Spy(Attack):
        norm = "linf"

        def generate(self, x, y):
            seen.append(self.model.training)
            return x

    tiny_model.train()
    Spy(tiny_model, eps=0.1)(tiny_splits.x_test, tiny_splits.y_test)
    assert seen == [False] and tiny_model.training


def test_attack_leaving_the_ball_is_caught(tiny_model, tiny_splits):
    class Overshoot(Attack):
        norm = "linf"

        def generate(self, x, y):
            return (x + 2 * self.eps).clamp(0, 1)

    with pytest.raises(BudgetViolation, match="exceed the linf budget"):
        Overshoot(tiny_model, eps=0.1)(tiny_splits.x_test * 0.5, tiny_splits.y_test)


def test_attack_leaving_the_box_is_caught():
    x = torch.full((2, 1, 4, 4), 0.95)
    with pytest.raises(BudgetViolation, match=r"leave \[0, 1\]"):
        check_budget(x, x + 0.1, "linf", 0.2)


def test_l2_and_l0_budgets():
    x = torch.zeros(1, 1, 2, 2)
    delta = torch.tensor([[[[0.3, 0.4], [0.0, 0.0]]]])
    check_budget(x, x + delta, "l2", 0.5)
    with pytest.raises(BudgetViolation):
        check_budget(x, x + delta, "l2", 0.49)
    check_budget(x, x + delta, "l0", 0.5)
    with pytest.raises(BudgetViolation):
        check_budget(x, x + delta, "l0", 0.25)


def test_restarts_keep_per_example_worst_case(tiny_model, tiny_splits):
    """A later restart only replaces examples the earlier ones failed to fool."""
    x, y = tiny_splits.x_test, tiny_splits.y_test
    tiny_model.eval()
    calls = []

    class Alternating(Attack):
        norm = "linf"

        def generate(self, x, y):
            calls.append(1)
            # first run: perturb nothing; second: push every image by +eps
            return x if len(calls) == 1 else (x + self.eps).clamp(0, 1)

    x_adv = Alternating(tiny_model, eps=0.2, restarts=2)(x, y)
    with torch.no_grad():
        fooled_first = tiny_model(x).argmax(1) != y
    assert torch.equal(x_adv[fooled_first], x[fooled_first])
    assert torch.equal(x_adv[~fooled_first], (x[~fooled_first] + 0.2).clamp(0, 1))


def test_cw_margin_uses_largest_wrong_logit_when_all_negative():
    logits = torch.tensor([[-1.0, -3.0, -2.0]])
    labels = torch.tensor([1])
    assert margin(logits, labels).item() == pytest.approx(-3.0 - -1.0)
    # torchattacks 3.5.1's CW formula max((1 - onehot) * logits) picks 0 here (issue #184):
    onehot = torch.nn.functional.one_hot(labels, 3).float()
    assert ((1 - onehot) * logits).max(1).values.item() == 0.0


def test_pgd_is_reproducible_with_a_seed(tiny_model, tiny_splits):
    x, y = tiny_splits.x_test, tiny_splits.y_test
    attack = build_attack("pgd", tiny_model, eps=0.1, alpha=0.02, steps=3)
    torch.manual_seed(3)
    first = attack(x, y)
    torch.manual_seed(3)
    assert torch.equal(first, attack(x, y))
