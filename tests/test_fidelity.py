"""The baselines as their authors' code computes them, and the settings the papers state
(issue: fidelity). Each test fails on the project's earlier readings."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from advrepro import config, plan
from advrepro.attacks import build_attack
from advrepro.losses import TripletMarginLoss
from advrepro.methods import build_method
from advrepro.models import Classifier, build_model
from advrepro.training import crop_flip

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def paper_config():
    return plan.load([ROOT / "config/config.yaml"], ROOT / "workflow/schemas/config.schema.yaml")


def _model(embedding_dim=1024):
    torch.manual_seed(0)
    return build_model("mnist_cnn", 1, 10, [0.5], [0.5], embedding_dim=embedding_dim).eval()


def test_tla_loss_is_mao_et_al_s_formula(tiny_splits):
    """CE + w * (triplet + norm_weight * reduce_mean(a^2 + p^2 + n^2)): the norm term sits
    inside the weighted triplet term and is a mean over dimensions too."""
    model = _model()
    method = build_method(
        "tla",
        eps=0.1,
        alpha=0.05,
        steps=1,
        triplet_weight=0.5,
        norm_weight=1e-4,
        positive="twin",
        random_start=False,
    )
    method.setup(model, tiny_splits)
    x, y = tiny_splits.x_train[:20], tiny_splits.y_train[:20]
    torch.manual_seed(1)
    loss, _ = method.loss(model, x, y)
    torch.manual_seed(1)
    x_adv = method.attack(x, y)
    anchor, clean = model.embed(torch.cat([x_adv, x])).split(20)
    similarity = F.normalize(anchor, dim=1) @ F.normalize(clean, dim=1).T
    negative = clean[similarity.masked_fill(y[:, None] == y[None, :], -2).argmax(1)]
    triplet = TripletMarginLoss(0.05)(anchor, clean, negative)
    norm = (anchor.pow(2) + clean.pow(2) + negative.pow(2)).mean()
    expected = F.cross_entropy(model.head(anchor), y) + 0.5 * (triplet + 1e-4 * norm)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    # the earlier reading: mean over 3B embeddings of squared norms, outside the triplet weight
    earlier = 1e-4 * torch.cat([e.pow(2).sum(1) for e in (anchor, clean, negative)]).mean()
    assert earlier.item() / (0.5 * 1e-4 * norm.item()) == pytest.approx(2 * 1024 / 3, rel=1e-4)


def test_tla_with_both_positives_adds_two_terms(tiny_splits):
    model = _model(32)
    one = build_method(
        "tla",
        eps=0.1,
        alpha=0.05,
        steps=1,
        positive="twin",
        random_start=False,
        triplet_weight=1.0,
        margin=10.0,
    )
    both = build_method(
        "tla",
        eps=0.1,
        alpha=0.05,
        steps=1,
        positive="both",
        random_start=False,
        triplet_weight=1.0,
        margin=10.0,
    )
    for method in (one, both):
        method.setup(model, tiny_splits)
    x, y = tiny_splits.x_train[:20], tiny_splits.y_train[:20]
    ce = F.cross_entropy(model(one.attack(x, y)), y).item()
    # with a huge margin every triplet is active: each term adds about the margin
    assert one.loss(model, x, y)[0].item() - ce == pytest.approx(10.0, abs=1.0)
    assert both.loss(model, x, y)[0].item() - ce == pytest.approx(20.0, abs=2.0)


def test_tla_negative_pool_mines_among_other_training_images(tiny_splits):
    model = _model(32)
    method = build_method("tla", eps=0.1, alpha=0.05, steps=1, negative_pool=50)
    method.setup(model, tiny_splits)
    anchor = model.embed(tiny_splits.x_train[:8])
    negatives = method._negatives(model, anchor, anchor, tiny_splits.y_train[:8])
    assert negatives.shape == anchor.shape and negatives.requires_grad


def test_alp_pairing_is_the_mean_squared_error_over_classes(tiny_splits):
    """Kannan et al.'s tf.losses.mean_squared_error on the logits: a mean over classes, not
    the squared L2 distance (10x larger on ten classes)."""
    model = _model(32)
    method = build_method(
        "alp", eps=0.1, alpha=0.05, steps=1, adv_weight=0.5, pairing_weight=1.0, random_start=False
    )
    method.setup(model, tiny_splits)
    x, y = tiny_splits.x_train[:16], tiny_splits.y_train[:16]
    loss, _ = method.loss(model, x, y)
    x_adv = method.attack(x, y)
    clean, adversarial = model(x), model(x_adv)
    ce = 0.5 * F.cross_entropy(clean, y) + 0.5 * F.cross_entropy(adversarial, y)
    mse = (
        sum(
            float((clean[i, c] - adversarial[i, c]).detach() ** 2)
            for i in range(16)
            for c in range(10)
        )
        / 160
    )
    assert loss.item() == pytest.approx(ce.item() + mse, rel=1e-5)


def test_fgsm_with_random_start_is_mao_et_al_s(tiny_splits):
    model = _model(32)
    x, y = tiny_splits.x_test[:16], tiny_splits.y_test[:16]
    plain = build_attack("fgsm", model, eps=0.3)(x, y)
    torch.manual_seed(0)
    first = build_attack("fgsm", model, eps=0.3, random_start=True)(x, y)
    torch.manual_seed(1)
    second = build_attack("fgsm", model, eps=0.3, random_start=True)(x, y)
    assert (first - x).abs().max() <= 0.3 + 1e-6 and first.min() >= 0 and first.max() <= 1
    assert not torch.equal(first, plain) and not torch.equal(first, second)


class VoteDiffers(Classifier):
    """A model whose real decision (classify) is not the argmax of its logits."""

    def __init__(self, inner):
        super().__init__([0.0], [1.0])
        self.inner = inner

    def forward(self, x):
        return self.inner(x)

    @torch.no_grad()
    def classify(self, x):
        return torch.zeros(len(x), dtype=torch.long)  # always class 0


def test_ifgsm_a_stops_on_the_model_s_real_decision(tiny_splits):
    """Under threat (b) DunDi classifies with its two-step vote: iFGSM-a must stop when the
    vote is fooled, not when the relaxation's argmax is."""
    model = VoteDiffers(_model(32))
    y = torch.ones(8, dtype=torch.long)  # the vote (class 0) is wrong from the start
    x = tiny_splits.x_test[:8]
    x_adv = build_attack(
        "ifgsm", model, eps=0.3, alpha=0.05, steps=5, stop_at_misclassification=True
    )(x, y)
    assert torch.equal(x_adv, x)  # already fooled: not perturbed at all


def test_crop_flip_gives_crops_of_the_padded_image_or_their_mirror():
    torch.manual_seed(0)
    x = torch.rand(32, 3, 8, 8)
    out = crop_flip(x, pad=2)
    padded = F.pad(x, (2, 2, 2, 2))
    for i in range(32):
        crops = [padded[i, :, t : t + 8, s : s + 8] for t in range(5) for s in range(5)]
        assert any(torch.equal(out[i], c) or torch.equal(out[i], c.flip(2)) for c in crops)
    assert not torch.equal(out, x)


@pytest.mark.parametrize(
    "name,channels,size,params_m", [("mao_mnist_large", 1, 28, 13.25), ("wrn34_10", 3, 32, 45.9)]
)
def test_mao_et_al_s_networks(name, channels, size, params_m):
    model = build_model(name, channels, 10, [0.5] * channels, [0.5] * channels, image_size=size)
    x = torch.rand(2, channels, size, size)
    assert model(x).shape == (2, 10)
    assert sum(p.numel() for p in model.parameters()) / 1e6 == pytest.approx(params_m, rel=0.01)


def test_paper_config_trains_dundi_as_long_as_the_paper_says(paper_config):
    """Sec. 4.1: 'We train the model of DunDi_R with VGG-16 for 200 epochs and train others for
    10 epochs.'"""
    for name, experiment in paper_config["experiments"].items():
        for method_id, spec in experiment["methods"].items():
            if spec["class"] != "dundi":
                continue
            epochs = config.experiment_settings(paper_config, name, method_id)["epochs"]
            expected = 200 if (name, method_id) == ("dundi_vgg16", "DunDi_R") else 10
            assert epochs == expected, (name, method_id)


def test_paper_config_classifies_with_the_default_ten_oracles(paper_config):
    """Sec. 4.1: 'We by default set the number of oracle images to 10.' Fig. 6, the abstract's
    means and Table 2 read the attacks without a classifier override."""
    for name, experiment in paper_config["experiments"].items():
        if not name.startswith("dundi"):
            continue
        for spec in experiment["methods"].values():
            if spec["class"] == "dundi":
                assert spec["options"]["n"] == 10
        for attack in ("fgsm_native", "ifgsm_a_native", "ifgsm_b_native", "jsma_native"):
            assert not experiment["attacks"][attack].get("classifier"), (name, attack)


def test_paper_config_copied_rows_run_on_mao_et_al_s_networks(paper_config):
    experiments = paper_config["experiments"]
    for table, experiment, architecture in (
        ("mct_table1", "mnist_mao", "mao_mnist_large"),
        ("mct_table2", "cifar_mao", "wrn34_10"),
    ):
        assert experiments[experiment]["architecture"] == architecture
        rows = {r["label"]: r for r in paper_config["artifacts"][table]["rows"]}
        assert all(rows[m]["experiment"] == experiment for m in ("AT", "ALP", "TLA"))
    for name in ("cifar", "cifar_mao", "cifar_resnet50", "cifar_densenet121", "cifar_sigma"):
        assert experiments[name]["train"]["augmentation"] == "crop_flip", name
    assert experiments["cifar_mao"]["methods"]["TLA"]["options"]["init_from"] == "AT"


def _budget(spec):
    return round(spec["params"]["eps"], 9)


def _is_autoattack_l2(spec):
    return spec["class"] == "autoattack" and spec["params"].get("norm") == "l2"


def test_paper_config_plans_autoattack_l2_at_every_l2_budget(paper_config):
    """Issue #37: AutoAttack's standard version (no demo reduction) at the budget of every L2
    column (MCT Table 3's 32/255) and every point of every L2 sweep; the L2 worst-case
    columns include it and the masking checks compare the L2 gradient attacks with it."""
    checks = paper_config["artifacts"]["gradient_masking"]["checks"]
    for name, experiment in paper_config["experiments"].items():
        attacks = experiment["attacks"]
        l2 = {
            _budget(spec)
            for attack, spec in attacks.items()
            if spec["class"] in ("pgd_l2", "cw_l2", "deepfool")
            and "eps" in spec["params"]
            and not attack.endswith(("_unbounded", "_effort"))  # the masking checks' own
        }
        autoattack = {_budget(s) for s in attacks.values() if _is_autoattack_l2(s)}
        assert l2 <= autoattack, (name, sorted(l2 - autoattack))
        for spec in attacks.values():
            if spec["class"] == "autoattack":
                assert set(spec["params"]) <= {"eps", "norm"}, spec  # the standard version
        compared = {(c["weaker"], c["stronger"]) for c in checks[name] if c["kind"] == "stronger"}
        for attack, spec in attacks.items():
            if (spec.get("sweep") or {}).get("attack") == "pgd_l2_sweep":
                assert ("pgd_l2_sweep", "autoattack_l2") in compared, name
            elif spec["class"] in ("pgd_l2", "cw_l2", "deepfool") and "sweep" not in spec:
                if attack.endswith(("_unbounded", "_effort")):
                    continue
                assert any(
                    weaker == attack
                    and _is_autoattack_l2(attacks[stronger])
                    and _budget(attacks[stronger]) == _budget(spec)
                    for weaker, stronger in compared
                    if stronger in attacks
                ), (name, attack)
    for art_id, art in paper_config["artifacts"].items():
        for column in art.get("columns") or []:
            if column.get("combine") != "worst":
                continue
            for name in art.get("experiments") or [art.get("experiment")]:
                attacks = paper_config["experiments"][name]["attacks"]
                members = [attacks[a] for a in column["attack"]]
                l2 = {_budget(s) for s in members if s["class"] in ("pgd_l2", "cw_l2", "deepfool")}
                covered = {_budget(s) for s in members if _is_autoattack_l2(s)}
                assert l2 <= covered, (art_id, column["label"])


def test_paper_cells_run_the_papers_jsma_and_our_worst_cases_the_strongest(paper_config):
    """The JSMA of every reported cell is cleverhans' as Feinman et al. ran it (A30, A31);
    every JSMA shown in our tables has a per-example worst case with the strongest reading."""
    papers = {"jacobian": "probabilities", "search_below": 1.0, "target": "random"}
    strongest = {"jacobian": "probabilities", "search_below": 0.99, "target": "every"}
    for art_id, art in paper_config["artifacts"].items():
        names = art.get("experiments") or [art.get("experiment")]
        names += [row["experiment"] for row in art.get("rows") or [] if "experiment" in row]
        for column in art.get("columns") or []:
            ids = column.get("attack")
            ids = ids if isinstance(ids, list) else [ids]
            for name in {n for n in names if n}:
                specs = [paper_config["experiments"][name]["attacks"].get(a) for a in ids]
                jsma = [s for s in specs if s and s["class"] == "jsma"]
                if column.get("reported") and jsma:
                    assert all(papers.items() <= s["params"].items() for s in jsma), art_id
        if art["paper"] != "ours":
            continue
        shown = {
            column["attack"]
            for column in art.get("columns") or []
            if isinstance(column.get("attack"), str)
        }
        for name in {n for n in names if n}:
            attacks = paper_config["experiments"][name]["attacks"]
            for attack in shown:
                spec = attacks.get(attack)
                if spec is None or spec["class"] != "jsma" or spec.get("threat") == "transfer":
                    continue
                worst = [
                    c["attack"]
                    for c in art["columns"]
                    if c.get("combine") == "worst" and attack in c["attack"]
                ]
                assert any(
                    strongest.items() <= attacks[a]["params"].items() for w in worst for a in w
                ), (art_id, attack)


def test_auc_is_sklearn_s_macro_one_vs_rest_roc_auc():
    from sklearn.metrics import roc_auc_score

    from advrepro.metrics import macro_ovr_auc

    torch.manual_seed(0)
    labels = torch.arange(60) % 3
    scores = (torch.randn(60, 3) + F.one_hot(labels, 3)).softmax(1)
    scores[:4] = scores[4]  # ties
    expected = roc_auc_score(labels.numpy(), scores.numpy(), multi_class="ovr", average="macro")
    assert macro_ovr_auc(scores, labels) == pytest.approx(expected, rel=1e-9)


def test_evaluation_records_the_auc_beside_the_accuracy(tiny_splits):
    from advrepro.evaluation import evaluate

    model = _model(32)
    clean = build_attack("clean", model)
    result = evaluate(model, clean, tiny_splits.x_test, tiny_splits.y_test, 16, progress=False)
    assert 0.0 <= result["auc"] <= 1.0 and 0.0 <= result["accuracy"] <= 1.0


@pytest.mark.parametrize(
    "layers", [["config/config.yaml"], ["config/config.yaml", "config/demo.yaml"]]
)
def test_table4_s_sigma_0_02_row_is_table2_s_mct_model_trained_once(layers):
    """MCT Table 4's sigma = 0.02 row reads the cifar experiment's MCT model instead of
    training it a second time: that is only right while the two experiments train and attack
    alike (a change to one of them must fail here, not silently mix recipes in one table)."""
    cfg = plan.load([ROOT / f for f in layers], ROOT / "workflow/schemas/config.schema.yaml")
    table = cfg["artifacts"]["mct_table4"]
    row = next(r for r in table["rows"] if r["x"] == 0.02)
    shared = cfg["experiments"][row["experiment"]]
    sweep = cfg["experiments"][table["experiment"]]
    assert row["experiment"] != table["experiment"]
    for key in (
        "dataset",
        "architecture",
        "train_size",
        "test_size",
        "eval_batch_size",
        "seeds",
        "train",
    ):
        assert shared[key] == sweep[key], key
    options = shared["methods"][row["method"]]["options"]
    others = [
        sweep["methods"][r["method"]]["options"]
        for r in table["rows"]
        if r is not row and sweep["methods"].get(r["method"])
    ]
    assert options["sigma"] == 0.02 and others
    assert all({**o, "sigma": 0.02} == options for o in others)
    for column in table["columns"]:
        assert shared["attacks"][column["attack"]] == sweep["attacks"][column["attack"]], column
