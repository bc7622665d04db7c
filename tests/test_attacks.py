"""Every attack against its defining behaviour on a tiny model."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import REPO

from advrepro import plan
from advrepro.attacks import (
    ATTACKS,
    Attack,
    BudgetViolation,
    build_attack,
    check_budget,
    perturbation_norm,
)
from advrepro.attacks.cw_linf import margin


def _ci_settings() -> dict[str, dict]:
    """Each registered attack's options as CI's tiny run plans its first entry (the configs'
    entries within the tiny scale's limits): a new attack needs its file and a config entry,
    no edit here."""
    planned = plan.load(
        [REPO / "config/config.yaml", REPO / "config/demo.yaml", REPO / ".test/config.yaml"]
    )
    settings: dict[str, dict] = {}
    for experiment in planned["experiments"].values():
        for spec in experiment["attacks"].values():
            settings.setdefault(spec["class"], dict(spec["params"]))
    return settings


SETTINGS = _ci_settings()


def test_every_registered_attack_is_covered():
    """Every attack has a config entry, what a contributor adds beside its file
    (docs/architecture.md)."""
    assert set(ATTACKS.names()) == set(SETTINGS)


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_attack_respects_budget_and_box(name, tiny_model, tiny_splits):
    x, y = tiny_splits.x_test, tiny_splits.y_test
    tiny_model.train()
    attack = build_attack(name, tiny_model, **SETTINGS[name])
    x_adv = attack(x, y)
    assert tiny_model.training, "the attack must restore the model's mode"
    assert x_adv.min() >= 0 and x_adv.max() <= 1
    if attack.eps is not None:  # measured here independently of the base class's check
        assert perturbation_norm(x_adv - x, attack.norm).max() <= attack.eps + 1e-5
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


@pytest.fixture
def linear_model(tiny_splits):
    """A softmax regression trained on the tiny data: a model whose decision boundaries are
    known in closed form (DeepFool's nearest boundary, JSMA's saliency)."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(28 * 28, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(60):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(
            model(tiny_splits.x_train), tiny_splits.y_train
        ).backward()
        optimizer.step()
    return model.eval()


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def test_ifgsm_a_stops_each_example_at_its_first_misclassification(linear_model, tiny_splits):
    x, y = tiny_splits.x_test, tiny_splits.y_test
    one_step = build_attack(
        "ifgsm", linear_model, eps=0.3, alpha=0.025, steps=1, stop_at_misclassification=True
    )(x, y)
    with torch.no_grad():
        fooled_at_step_one = linear_model(one_step).argmax(1) != y
    assert fooled_at_step_one.any() and not fooled_at_step_one.all()
    many = dict(eps=0.3, alpha=0.025, steps=8)
    variant_a = build_attack("ifgsm", linear_model, stop_at_misclassification=True, **many)(x, y)
    variant_b = build_attack("ifgsm", linear_model, stop_at_misclassification=False, **many)(x, y)
    # iFGSM-a leaves an example fooled at step 1 where step 1 put it; iFGSM-b keeps going
    assert torch.equal(variant_a[fooled_at_step_one], one_step[fooled_at_step_one])
    assert not torch.equal(variant_b[fooled_at_step_one], one_step[fooled_at_step_one])
    assert accuracy(linear_model, variant_a, y) <= accuracy(linear_model, one_step, y)


def test_deepfool_reaches_the_nearest_linear_boundary(linear_model, tiny_splits):
    """One step on a linear model is the closed-form projection onto the nearest boundary."""
    x, y = tiny_splits.x_test, tiny_splits.y_test
    with torch.no_grad():
        logits = linear_model(x)
        weights = linear_model[1].weight  # (classes, features)
        f = logits - logits.gather(1, y[:, None])
        w = weights[None] - weights[y][:, None]  # (B, classes, features)
        distance = (f.abs() / w.norm(dim=2).clamp_min(1e-12)).scatter(1, y[:, None], float("inf"))
        k = distance.argmin(1)
        rows = torch.arange(len(y))
        step = ((f[rows, k].abs() + 1e-4) / w[rows, k].norm(dim=1) ** 2)[:, None] * w[rows, k]
        expected = (x + 1.02 * step.view_as(x)).clamp(0, 1)
    correct = logits.argmax(1) == y
    assert correct.sum() > 5
    x_adv = build_attack("deepfool", linear_model, steps=1, overshoot=0.02)(x, y)
    assert torch.allclose(x_adv[correct], expected[correct], atol=1e-5)
    assert torch.equal(x_adv[~correct], x[~correct])
    # before clipping to [0, 1], the step crosses the nearest boundary
    unclipped = x + 1.02 * step.view_as(x)
    assert accuracy(linear_model, unclipped[correct], y[correct]) == 0.0


def test_jsma_only_raises_values_within_its_l0_budget_and_hits_targets(tiny_splits):
    # a random linear model has weights of both signs, so saliency pairs exist for every
    # target (the trained one's weights all push every logit up: no pair is admissible)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(28 * 28, 10)).eval()
    x = tiny_splits.x_test
    with torch.no_grad():
        y = model(x).argmax(1)  # labels = the model's own predictions: all clean-correct
    x_adv = build_attack("jsma", model, gamma=0.1, target="next", pair_budget=200_000)(x, y)
    changed = (x_adv - x).abs() > 0
    assert ((x_adv - x)[changed] > 0).all(), "theta = 1 only increases values"
    assert perturbation_norm(x_adv - x, "l0").max() <= 0.1
    with torch.no_grad():
        hit = (model(x_adv).argmax(1) == (y + 1) % 10).float().mean().item()
    assert hit > 0.5


def test_jsma_pair_search_equals_its_definition():
    """best_pairs against a loop over every pair of the saliency rule of Papernot et al."""
    from advrepro.attacks.jsma import best_pairs

    torch.manual_seed(0)
    n = 12
    grad_target, grad_others = torch.randn(4, n), torch.randn(4, n)
    searchable = torch.rand(4, n) > 0.3
    searchable[3] = False  # nothing left to raise: no admissible pair
    score, best = best_pairs(grad_target, grad_others, searchable)
    for example in range(4):
        expected, where = 0.0, None
        for p in range(n):
            for q in range(n):
                alpha = (grad_target[example, p] + grad_target[example, q]).item()
                beta = (grad_others[example, p] + grad_others[example, q]).item()
                admissible = (
                    p != q
                    and searchable[example, p]
                    and searchable[example, q]
                    and alpha > 0
                    and beta < 0
                )
                if admissible and alpha * -beta > expected:
                    expected, where = alpha * -beta, p * n + q
        assert score[example].item() == pytest.approx(expected, rel=1e-6)
        if where is not None:
            p, q = divmod(best[example].item(), n)
            assert {p, q} == set(divmod(where, n))


def test_jsma_defaults_are_the_papers_reading(tiny_model):
    """cleverhans' JSMA as Feinman et al. (DunDi's generator) ran it: the softmax Jacobian,
    every value below 1 searchable, a random target other than the true class."""
    params = build_attack("jsma", tiny_model).params
    assert params["jacobian"] == "probabilities"
    assert params["search_below"] == 1.0 and params["target"] == "random"


def test_jsma_never_changes_more_than_gamma_of_the_values(tiny_model, tiny_splits):
    """floor(d * gamma / 2) pairs: 39 pairs, 78 of 784 values at gamma 0.1 (torchattacks'
    ceil and ART's share test end at 80 > 78.4); every reading, checked on every example."""
    x, y = tiny_splits.x_test[:3], tiny_splits.y_test[:3]
    for target in ("random", "every"):
        attack = build_attack("jsma", tiny_model, gamma=0.1, target=target, pair_budget=10**6)
        x_adv = attack(x, y)
        changed = ((x_adv - x).abs() > 0).flatten(1).sum(1)
        assert changed.max() <= 78


def test_a_jsma_over_its_l0_budget_is_caught(tiny_model, tiny_splits):
    from advrepro.attacks.jsma import JSMA

    class CeilJSMA(JSMA):  # torchattacks' budget: ceil(d * gamma / 2) pairs
        def generate(self, x, y):
            x_adv = x.clone().flatten(1)
            order = x_adv.argsort(1)[:, : 2 * math.ceil(x_adv.shape[1] * self.eps / 2)]
            x_adv.scatter_(1, order, 1.0)
            return x_adv.view_as(x)

    with pytest.raises(BudgetViolation, match="exceed the l0 budget 0.1"):
        CeilJSMA(tiny_model, gamma=0.1)(tiny_splits.x_test[:4], tiny_splits.y_test[:4])


def test_jsma_search_below_leaves_values_near_one_alone(linear_model, tiny_splits):
    """torchattacks' domain (x < 0.99): no change is spent on a value already near 1."""
    x = tiny_splits.x_test[:16].clone()
    near_one = torch.rand(x.shape, generator=torch.Generator().manual_seed(0)) < 0.1
    x[near_one] = 0.995
    with torch.no_grad():
        y = linear_model(x).argmax(1)  # every example clean-correct: every one is attacked
    for below, spends in ((0.99, False), (1.0, True)):
        x_adv = build_attack("jsma", linear_model, gamma=0.2, target="every", search_below=below)(
            x, y
        )
        raised = (x_adv != x) & near_one
        assert raised.any() == spends


def test_jsma_every_target_is_untargeted_and_at_least_as_strong(linear_model, tiny_splits):
    x, y = tiny_splits.x_test[:16], tiny_splits.y_test[:16]
    torch.manual_seed(0)
    random = build_attack("jsma", linear_model, gamma=0.05)(x, y)
    every = build_attack("jsma", linear_model, gamma=0.05, target="every")(x, y)
    assert accuracy(linear_model, every, y) <= accuracy(linear_model, random, y)
    assert accuracy(linear_model, every, y) < accuracy(linear_model, x, y)
    assert perturbation_norm(every - x, "l0").max() <= 0.05


def test_jsma_jacobian_of_probabilities_or_logits(tiny_model, tiny_splits):
    """The softmax Jacobian's other-class sum is minus the target's (probabilities sum to 1):
    its saliency ranks pairs by the target probability's gradient alone; the logits' does not."""
    x = tiny_splits.x_test[:4]
    targets = torch.tensor([1, 2, 3, 4])
    tiny_model.eval()
    probabilities = build_attack("jsma", tiny_model)
    _, target, others = probabilities._saliency_gradients(x, targets)
    assert torch.allclose(others, -target, atol=1e-6 * target.abs().max().item())
    logits = build_attack("jsma", tiny_model, jacobian="logits")
    _, target, others = logits._saliency_gradients(x, targets)
    assert not torch.allclose(others, -target, atol=1e-3 * target.abs().max().item())


def test_jsma_works_with_any_number_of_classes():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3)).eval()
    x, y = torch.rand(5, 1, 4, 4) * 0.5, torch.tensor([0, 1, 2, 0, 1])
    x_adv = build_attack("jsma", model, gamma=0.5)(x, y)
    assert perturbation_norm(x_adv - x, "l0").max() <= 0.5


def test_cw_l2_fools_with_near_minimal_perturbations(linear_model, tiny_splits):
    x, y = tiny_splits.x_test, tiny_splits.y_test
    correct = linear_model(x).argmax(1) == y
    cw = build_attack("cw_l2", linear_model, steps=100, lr=0.05, c=10.0, binary_search_steps=3)
    x_cw = cw(x, y)
    deepfool = build_attack("deepfool", linear_model, steps=5)(x, y)
    fooled = (linear_model(x_cw).argmax(1) != y) & correct
    assert fooled.float().sum() >= 0.9 * correct.float().sum()
    norm_cw = (x_cw - x).flatten(1).norm(dim=1)[fooled]
    norm_df = (deepfool - x).flatten(1).norm(dim=1)[fooled]
    assert (norm_cw <= 1.5 * norm_df + 1e-3).float().mean() > 0.9


def test_cw_l2_art_fools_with_near_minimal_perturbations_at_art_defaults(linear_model, tiny_splits):
    """ART's C&W (MCT Fig. 3's), with ART's defaults (10 iterations of 0.01 with its step-size
    search, c from 0.01, 10 binary-search steps), fools the linear model at about DeepFool's
    distance."""
    x, y = tiny_splits.x_test, tiny_splits.y_test
    correct = linear_model(x).argmax(1) == y
    x_art = build_attack("cw_l2_art", linear_model)(x, y)
    fooled = (linear_model(x_art).argmax(1) != y) & correct
    assert fooled.float().sum() >= 0.9 * correct.float().sum()
    deepfool = build_attack("deepfool", linear_model, steps=5)(x, y)
    norm_art = (x_art - x).flatten(1).norm(dim=1)[fooled]
    norm_df = (deepfool - x).flatten(1).norm(dim=1)[fooled]
    assert (norm_art <= 1.5 * norm_df + 1e-3).float().mean() > 0.9


def test_cw_l2_with_a_bound_stays_inside_it(linear_model, tiny_splits):
    x, y = tiny_splits.x_test, tiny_splits.y_test
    x_adv = build_attack("cw_l2", linear_model, steps=20, lr=0.05, c=10.0, eps=0.2)(x, y)
    assert perturbation_norm(x_adv - x, "l2").max() <= 0.2 + 1e-5


def test_random_noise_is_far_weaker_than_pgd(linear_model, tiny_splits):
    x, y = tiny_splits.x_test, tiny_splits.y_test
    torch.manual_seed(0)
    noisy = build_attack("random_noise", linear_model, eps=0.15)(x, y)
    pgd = build_attack("pgd", linear_model, eps=0.15, alpha=0.03, steps=10)(x, y)
    assert (noisy - x).abs().flatten(1).amax(1).max() <= 0.15 + 1e-6
    assert accuracy(linear_model, pgd, y) < accuracy(linear_model, noisy, y) - 0.2


def test_pgd_l2_is_stronger_than_l2_noise(linear_model, tiny_splits):
    x, y = tiny_splits.x_test, tiny_splits.y_test
    pgd = build_attack("pgd_l2", linear_model, eps=2.0, alpha=0.5, steps=10)(x, y)
    noisy = build_attack("random_noise", linear_model, eps=2.0, norm="l2")(x, y)
    assert perturbation_norm(pgd - x, "l2").max() <= 2.0 + 1e-5
    assert accuracy(linear_model, pgd, y) < accuracy(linear_model, noisy, y)


def test_autoattack_runs_the_standard_version_by_default(tiny_model):
    runner = build_attack("autoattack", tiny_model, eps=8 / 255).configured("cpu")
    assert runner.version == "standard"
    assert runner.attacks_to_run == ["apgd-ce", "apgd-t", "fab-t", "square"]
    assert runner.apgd.n_iter == runner.apgd_targeted.n_iter == runner.fab.n_iter == 100
    assert runner.apgd.n_restarts == 1
    assert runner.apgd_targeted.n_target_classes == runner.fab.n_target_classes == 9
    assert runner.square.n_queries == 5000
    assert runner.epsilon == pytest.approx(8 / 255) and runner.norm == "Linf"


def test_autoattack_l2_runs_the_standard_version_at_its_l2_budget(tiny_model):
    attack = build_attack("autoattack", tiny_model, eps=0.5, norm="l2")
    runner = attack.configured("cpu")
    assert attack.norm == "l2" and runner.norm == "L2" and runner.epsilon == 0.5
    assert runner.attacks_to_run == ["apgd-ce", "apgd-t", "fab-t", "square"]
    assert runner.apgd.n_iter == runner.apgd_targeted.n_iter == runner.fab.n_iter == 100
    assert runner.apgd_targeted.n_target_classes == runner.fab.n_target_classes == 9
    assert runner.square.n_queries == 5000 and runner.square.norm == "L2"


def test_autoattack_l2_stays_in_its_ball_and_beats_pgd_l2(linear_model, tiny_splits):
    x, y = tiny_splits.x_test, tiny_splits.y_test
    torch.manual_seed(0)
    pgd = build_attack("pgd_l2", linear_model, eps=1.0, alpha=0.2, steps=10)(x, y)
    auto = build_attack(
        "autoattack", linear_model, eps=1.0, norm="l2", iterations=10, square_queries=20
    )(x, y)
    assert perturbation_norm(auto - x, "l2").max() <= 1.0 + 1e-5
    assert accuracy(linear_model, auto, y) <= accuracy(linear_model, pgd, y) + 1 / len(y)


def test_autoattack_is_at_least_as_strong_as_pgd(linear_model, tiny_splits):
    x, y = tiny_splits.x_test, tiny_splits.y_test
    torch.manual_seed(0)
    pgd = build_attack("pgd", linear_model, eps=0.1, alpha=0.02, steps=10)(x, y)
    auto = build_attack("autoattack", linear_model, eps=0.1, iterations=10, square_queries=20)(x, y)
    assert accuracy(linear_model, auto, y) <= accuracy(linear_model, pgd, y) + 1 / len(y)


class LabelsOnly(torch.nn.Module):
    """Logits that carry no information (random), labels from a real model: an attack that
    succeeds against it used the labels alone."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return torch.randn(len(x), 10)

    def classify(self, x):
        return self.model(x).argmax(1)


def test_hopskipjump_fools_a_model_through_its_labels_alone(linear_model, tiny_splits):
    x, y = tiny_splits.x_test, tiny_splits.y_test
    target = LabelsOnly(linear_model)
    torch.manual_seed(0)
    x_adv = build_attack(
        "hopskipjump", target, eps=None, max_iter=10, max_eval=200, init_eval=20, init_size=50
    )(x, y)
    with torch.no_grad():
        assert (target.classify(x_adv) == y).float().mean() < 0.5 * accuracy(linear_model, x, y)
    bounded = build_attack(
        "hopskipjump",
        target,
        eps=0.5,
        norm="linf",
        max_iter=2,
        max_eval=50,
        init_eval=10,
        init_size=20,
    )(x, y)
    assert (bounded - x).abs().max() <= 0.5 + 1e-6
