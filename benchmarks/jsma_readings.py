"""JSMA readings beside the peer implementations, on trained MNIST CNNs (issue #37).

Trains (once, cached under results/jsma_readings/) a standard and a PGD-AT MCT MNIST CNN on
the demo's stand-in mnist_10k (results/data/mnist_10k.pt: `snakemake results/data/mnist_10k.pt
--configfile config/config.yaml config/demo.yaml`), then attacks the first N clean-correct test
digits with every JSMA reading of advrepro's class and with the peers, all towards the same
random targets (uniform among the classes other than the true one, Feinman et al.'s rule):

- cleverhans: a transcription of the JSMA Feinman et al. ran (their detect/attacks.py `jsma`
  before rfeinman/detecting-adversarial-samples@06d04f58, with cleverhans' numpy
  `saliency_map` / `jacobian` as of cleverhans-lab/cleverhans@2cdeff54, 2017-05-04): one
  example at a time, floor(d * gamma / 2) pairs, values < 1 searchable, the Jacobian of the
  softmax output (their Keras model ends in a softmax);
- torchattacks 3.5.1 JSMA (ceil budget, values < 0.99, logits), targeted to the same targets;
- ART 1.20.1 SaliencyMapMethod (top two of the target logit's gradient, runs while the
  changed share is <= gamma).

Prints per model and attack: target success (targeted attacks), misclassification rate,
mean and largest share of changed values, seconds.

    PYTHONPATH=src .venv/bin/python benchmarks/jsma_readings.py [--examples 300] [--gamma 0.1]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import torch

from advrepro import data
from advrepro.attacks import build_attack, import_torchattacks, perturbation_norm
from advrepro.methods import build_method
from advrepro.models import build_model
from advrepro.training import TrainSettings, fit

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "results/jsma_readings"


def trained(splits, method: str, options: dict, epochs: int) -> torch.nn.Module:
    mean, std = splits.channel_stats()
    torch.manual_seed(0)
    model = build_model("mnist_cnn", 1, 10, mean, std)
    path = CACHE / f"{method}.pt"
    if path.exists():
        model.load_state_dict(torch.load(path, weights_only=True))
        return model.eval()
    settings = TrainSettings(epochs=epochs, batch_size=64, lr=1e-3, seed=0)
    fit(
        model,
        build_method(method, **options),
        splits,
        settings,
        CACHE / f"{method}.ckpt",
        progress=False,
    )
    CACHE.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    return model.eval()


def cleverhans_jsma(model, x, targets, gamma):
    """Feinman et al.'s jsma with cleverhans' numpy saliency_map (2cdeff54), per example."""
    adv = x.clone().flatten(1).numpy()
    n = adv.shape[1]
    for i in range(len(adv)):
        sample = adv[i : i + 1]
        target = int(targets[i])
        max_iters = np.floor(n * gamma / 2)
        domain = set(np.flatnonzero(sample[0] < 1.0).tolist())
        iteration = 0

        def predict(s):
            with torch.no_grad():
                return int(model(torch.from_numpy(s).view(1, *x.shape[1:])).argmax(1))

        current = predict(sample)
        while current != target and iteration < max_iters and len(domain) > 1:
            xs = torch.from_numpy(sample).view(1, *x.shape[1:]).requires_grad_(True)
            probs = model(xs).softmax(1)[0]
            jac = np.stack(
                [
                    torch.autograd.grad(probs[c], xs, retain_graph=True)[0].flatten().numpy()
                    for c in range(len(probs))
                ]
            )
            grads_target = jac[target].copy()
            grads_other = np.delete(jac, target, axis=0).sum(0)
            invalid = list(set(range(n)) - domain)
            grads_target[invalid] = -np.max(np.abs(grads_target))
            grads_other[invalid] = np.max(np.abs(grads_other))
            target_sum = grads_target.reshape((1, n)) + grads_target.reshape((n, 1))
            other_sum = grads_other.reshape((1, n)) + grads_other.reshape((n, 1))
            scores = ((target_sum > 0) & (other_sum < 0)) * (-target_sum * other_sum)
            np.fill_diagonal(scores, 0)
            best = np.argmax(scores)
            p1, p2 = best % n, best // n
            domain.discard(p1)
            domain.discard(p2)
            sample[0, p1] = min(1.0, sample[0, p1] + 1.0)
            sample[0, p2] = min(1.0, sample[0, p2] + 1.0)
            current = predict(sample)
            iteration += 1
    return torch.from_numpy(adv).view_as(x)


def torchattacks_jsma(model, x, targets, gamma):
    attack = import_torchattacks().JSMA(model, theta=1.0, gamma=gamma)
    attack.set_mode_targeted_by_function(lambda images, labels: targets)
    return attack(x, targets)  # labels unused in targeted mode


def art_jsma(model, x, targets, gamma):
    from art.attacks.evasion import SaliencyMapMethod
    from art.estimators.classification import PyTorchClassifier

    classifier = PyTorchClassifier(
        model,
        loss=torch.nn.CrossEntropyLoss(),
        input_shape=tuple(x.shape[1:]),
        nb_classes=10,
        clip_values=(0.0, 1.0),
    )
    attack = SaliencyMapMethod(classifier, theta=1.0, gamma=gamma, batch_size=64, verbose=False)
    return torch.from_numpy(attack.generate(x.numpy(), y=targets.numpy()))


def ours_towards(model, x, y, targets, gamma, spec):
    """advrepro's JSMA with ``spec``; a random-target reading aimed at the peers' targets."""
    attack = build_attack("jsma", model, gamma=gamma, **spec)
    if spec.get("target", "random") == "random":
        attack.generate = lambda xx, yy: attack._chunked(xx, yy, targets)
    return attack(x, y)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--gamma", type=float, default=0.1)
    parser.add_argument("--models", nargs="+", default=["standard", "pgd_at"])
    parser.add_argument("--attacks", nargs="+", default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    splits = data.load_prepared(ROOT / "results/data/mnist_10k.pt", "cpu", train_size=3000)
    models = {
        "standard": lambda: trained(splits, "standard", {}, 3),
        "pgd_at": lambda: trained(splits, "pgd_at", {"eps": 0.3, "alpha": 0.1, "steps": 5}, 3),
    }
    gamma = args.gamma
    ours = {
        "papers' reading (probabilities, < 1, random)": {},
        "logits, < 1, random (this class before #37)": {"jacobian": "logits"},
        "probabilities, < 0.99, random": {"search_below": 0.99},
        "logits, < 0.99, random": {"jacobian": "logits", "search_below": 0.99},
        "probabilities, < 1, every": {"target": "every"},
        "strongest (probabilities, < 0.99, every)": {"target": "every", "search_below": 0.99},
        "logits, < 0.99, every": {"target": "every", "jacobian": "logits", "search_below": 0.99},
    }
    peers = {
        "peer cleverhans (Feinman)": cleverhans_jsma,
        "peer torchattacks 3.5.1": torchattacks_jsma,
        "peer ART 1.20.1": art_jsma,
    }
    for name in args.models:
        model = models[name]()
        x, y = splits.x_test, splits.y_test
        with torch.no_grad():
            correct = model(x).argmax(1) == y
        x, y = x[correct][: args.examples], y[correct][: args.examples]
        print(
            f"\n{name}: clean accuracy {correct.float().mean():.3f}, {len(x)} clean-correct digits, gamma {gamma}"
        )
        generator = torch.Generator().manual_seed(1)
        targets = (y + torch.randint(1, 10, y.shape, generator=generator)) % 10
        runs = {**{k: v for k, v in ours.items()}, **peers}
        for label, spec in runs.items():
            if args.attacks and not any(a in label for a in args.attacks):
                continue
            started = time.perf_counter()
            if callable(spec):
                x_adv = spec(model, x, targets, gamma)
            else:
                x_adv = ours_towards(model, x, y, targets, gamma, spec)
            seconds = time.perf_counter() - started
            with torch.no_grad():
                predicted = model(x_adv).argmax(1)
            l0 = perturbation_norm(x_adv - x, "l0")
            print(
                f"  {label:52s} target {(predicted == targets).float().mean():6.1%}"
                f"  misclassified {(predicted != y).float().mean():6.1%}"
                f"  L0 mean {l0.mean():.4f} max {l0.max():.4f}"
                f" ({math.floor(gamma * x[0].numel())} values = {math.floor(gamma * x[0].numel()) / x[0].numel():.4f})"
                f"  {seconds:6.1f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
