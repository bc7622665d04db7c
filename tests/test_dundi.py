"""DunDi: the two-step classifier (vectorised) against a plain transcription of Algorithm 1
and against brute force, the relaxation, frozen backbones, oracles."""

from __future__ import annotations

import pytest
import torch

from advrepro.methods import build_method
from advrepro.models import build_model
from advrepro.training import TrainSettings, fit


def distance_net(splits, **options):
    torch.manual_seed(0)
    mean, std = splits.channel_stats()
    return build_model(
        "distance_net", 1, 10, mean, std, backbone="lenet1", oracles_per_class=4, **options
    )


@pytest.fixture
def net_with_oracles(tiny_splits):
    net = distance_net(tiny_splits).eval()
    build_method("dundi", oracles_per_class=4).finish(net, tiny_splits, seed=0)
    return net


def algorithm1_loop(net, x, m, k, n):
    """Algorithm 1 as printed: loops over labels and oracle samples, one query at a time."""
    oracles = net._oracle_embeddings()
    predictions = []
    for query in net.embed(x):
        sims = {
            label: sum(-(query - o).norm().item() for o in oracles[label][:m])
            for label in range(10)
        }
        selected = sorted(sims, key=sims.get, reverse=True)[:k]
        second = {
            label: sum(-(query - o).norm().item() for o in oracles[label][:n]) for label in selected
        }
        predictions.append(max(second, key=second.get))
    return torch.tensor(predictions)


def test_two_step_matches_algorithm_1(net_with_oracles, tiny_splits):
    net = net_with_oracles
    net.configure(n=4, m=2, k=3)
    with torch.no_grad():
        assert torch.equal(
            net.classify(tiny_splits.x_test), algorithm1_loop(net, tiny_splits.x_test, 2, 3, 4)
        )


def test_two_step_equals_brute_force_when_m_is_n_and_k_is_all(net_with_oracles, tiny_splits):
    net = net_with_oracles
    net.configure(n=4, m=4, k=10)
    with torch.no_grad():
        distances = torch.cdist(
            net.embed(tiny_splits.x_test), net._oracle_embeddings().flatten(0, 1)
        )
        brute = distances.view(-1, 10, 4).sum(2).argmin(1)
        assert torch.equal(net.classify(tiny_splits.x_test), brute)
        # the differentiable relaxation (aggregate 'sum') decides the same
        assert torch.equal(net(tiny_splits.x_test).argmax(1), brute)


def test_soft_min_relaxation_tends_to_nearest_oracle(tiny_splits):
    net = distance_net(tiny_splits, aggregate="min", tau=1e-4).eval()
    build_method("dundi", oracles_per_class=4).finish(net, tiny_splits, seed=0)
    with torch.no_grad():
        distances = net.oracle_distances(tiny_splits.x_test, 4)
        assert torch.equal(net(tiny_splits.x_test).argmax(1), distances.amin(2).argmin(1))


def test_oracles_are_seeded_and_of_the_right_class(tiny_splits):
    a, b = distance_net(tiny_splits), distance_net(tiny_splits)
    method = build_method("dundi", oracles_per_class=4)
    method.finish(a, tiny_splits, seed=3)
    method.finish(b, tiny_splits, seed=3)
    assert torch.equal(a.oracle_images, b.oracle_images)
    for c in range(10):
        members = tiny_splits.x_train[tiny_splits.y_train == c]
        for image in a.oracle_images[c]:
            assert (members == image).flatten(1).all(1).any()


def test_dundi_p_backbone_is_bit_identical_after_training(tiny_splits, tmp_path):
    mean, std = tiny_splits.channel_stats()
    torch.manual_seed(1)
    native = build_model("lenet1", 1, 10, mean, std)
    fit(
        native,
        build_method("standard"),
        tiny_splits,
        TrainSettings(epochs=1, batch_size=32, lr=1e-3, seed=0),
        tmp_path / "native.pt",
        progress=False,
    )
    method = build_method(
        "dundi", tuples=96, init_from="Native", freeze_backbone=True, oracles_per_class=4
    )
    name, options = method.architecture("lenet1")
    model = build_model(name, 1, 10, mean, std, **options)
    method.prepare_model(model, tiny_splits, native)
    embedding_before = {k: v.clone() for k, v in model.embedding.state_dict().items()}
    fit(
        model,
        method,
        tiny_splits,
        TrainSettings(epochs=2, batch_size=32, lr=1e-2, seed=0),
        tmp_path / "dundi.pt",
        progress=False,
    )
    for key, value in native.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[key], value), key
    assert any(
        not torch.equal(v, model.embedding.state_dict()[k]) for k, v in embedding_before.items()
    )


def test_freeze_without_init_is_refused(tiny_splits):
    method = build_method("dundi", freeze_backbone=True)
    name, options = method.architecture("lenet1")
    with pytest.raises(ValueError, match="init_from"):
        method.prepare_model(build_model(name, 1, 10, [0.5], [0.25], **options), tiny_splits, None)


def test_oracle_embeddings_are_cached_until_the_weights_change(net_with_oracles, tiny_splits):
    net = net_with_oracles
    first = net._oracle_embeddings()
    net.train().eval()  # attack libraries toggle modes; the oracles are still the same
    assert net._oracle_embeddings() is first
    with torch.no_grad():  # any change of the numbers (here one weight) recomputes them
        next(net.embedding.parameters())[0, 0] += 1.0
    again = net._oracle_embeddings()
    assert again is not first and not torch.equal(again, first)
    uncached = net.embed(net.oracle_images.flatten(0, 1)).view_as(again)
    assert torch.allclose(again, uncached)


def test_a_record_states_the_oracle_count_it_was_measured_at(tiny_splits, tmp_path):
    """A real evaluation job on a trained DunDi model: each record names the classifier
    settings in force while it was measured (records of format 1 named the model's own,
    restored after the measurement), its clean accuracy is the one at that count, and the
    model's own count is left in force for the next attack of the job."""
    from conftest import save_prepared

    from advrepro import jobs
    from advrepro.records import read_record

    data = save_prepared(tiny_splits, tmp_path / "data.pt")
    run = {
        "experiment": "dundi_lenet1",
        "dataset": "tiny",
        "paper_dataset": "mnist",
        "architecture": "lenet1",
        "method": "DunDi_R",
        "method_class": "dundi",
        "method_options": {"tuples": 96, "n": 3, "oracles_per_class": 4},
        "train": {"epochs": 1, "batch_size": 32, "lr": 1e-3},
        "scale": "test",
        "train_size": None,
        "test_size": None,
        "eval_batch_size": 16,
        "failure_indicators": None,
    }
    model = str(tmp_path / "model.pt")
    training = {
        "run": run,
        "seed": 0,
        "checkpoint": str(tmp_path / "ckpt.pt"),
        "model": model,
        "history": str(tmp_path / "h.json"),
    }
    jobs.train_models(data, [training], "cpu", False)
    counts = (1, 4, None)  # None: an attack without classifier settings, after the others
    specs = [
        {
            "id": f"clean_o{n}",
            "class": "clean",
            "threat": "whitebox",
            "params": {},
            **({"classifier": {"n": n}} if n else {}),
        }
        for n in counts
    ]
    out = [str(tmp_path / f"{spec['id']}.json") for spec in specs]
    job = {
        "model": model,
        "run": run,
        "seed": 0,
        "attacks": specs,
        "transfer_sets": {},
        "records": out,
        "adversarial": [],
    }
    jobs.evaluate_models(data, [job], "cpu", False)
    records = [read_record(path) for path in out]
    assert [r.classifier["n"] for r in records] == [1, 4, 3]
    assert records[0].training.method_options["n"] == 3  # the model's own
    for r in records:
        assert r.clean_accuracy == pytest.approx(r.accuracy)  # the clean "attack"
        assert r.model_clean_accuracy == pytest.approx(records[2].accuracy)
