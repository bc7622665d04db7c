"""Speed benchmarks, each a ratio of two paths measured side by side in one run (absolute
times are noise on shared machines). Prints a table and writes results/benchmarks/benchmarks.csv.

    python benchmarks/run.py            # full
    python benchmarks/run.py --quick    # smoke run (CI): tiny sizes, only checks it runs

Figures (target in brackets):
  training_loop  throughput of advrepro.training.fit (standard method) over a bare
                 forward + backward + step loop on the same model and batches   [>= 0.9]
  attack_pgd     throughput of our PGD attack path (eval switch, restarts logic, budget check)
                 over bare torchattacks.PGD on the same model and batch          [>= 0.95]
  dundi_two_step time DunDi's two-step classifier adds to embedding the queries, as a fraction
                 of the embedding time (batch 1024, LeNet-1 Distance NN)         [<= 0.05]
  mct_over_at    MCT epoch cost over PGD-40 AT epoch cost, same model and batches (the MCT
                 paper's "cheaper than iterative adversarial training"): measured, reported
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
import torch.nn.functional as F
import torchattacks

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from advrepro import provenance  # noqa: E402
from advrepro.attacks import build_attack  # noqa: E402
from advrepro.data import Splits  # noqa: E402
from advrepro.methods import build_method  # noqa: E402
from advrepro.models import build_model  # noqa: E402
from advrepro.training import TrainSettings, fit  # noqa: E402


def mnist_like(n: int, device) -> Splits:
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(n, 1, 28, 28, generator=generator).to(device)
    y = (torch.arange(n) % 10).to(device)
    return Splits("synthetic", [str(i) for i in range(10)], x, y, x, y)


def model_for(splits: Splits, device):
    torch.manual_seed(0)
    mean, std = splits.channel_stats()
    return build_model("mnist_cnn", 1, 10, mean, std).to(device)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_it(fn, device) -> float:
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def interleaved(paths: dict, repeats: int, device) -> dict[str, float]:
    """Median seconds per path, running the paths alternately so drift hits both alike."""
    times = {name: [] for name in paths}
    for _ in range(repeats):
        for name, fn in paths.items():
            times[name].append(time_it(fn, device))
    return {name: statistics.median(values) for name, values in times.items()}


def bench_training_loop(device, batches: int, batch_size: int, repeats: int) -> dict:
    splits = mnist_like(batches * batch_size, device)
    model = model_for(splits, device)
    workdir = Path(tempfile.mkdtemp())

    def ours():
        checkpoint = workdir / "ckpt.pt"
        checkpoint.unlink(missing_ok=True)
        fit(model, build_method("standard"), splits,
            TrainSettings(epochs=1, batch_size=batch_size, lr=1e-3, seed=0), checkpoint,
            progress=True)

    def bare():
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        model.train()
        order = torch.randperm(len(splits.y_train), device=device)
        for index in order.split(batch_size):
            loss = F.cross_entropy(model(splits.x_train[index]), splits.y_train[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    seconds = interleaved({"ours": ours, "bare": bare}, repeats, device)
    return {"figure": "training_loop", "ratio": seconds["bare"] / seconds["ours"], "target": ">= 0.9",
            "ours_s": seconds["ours"], "reference_s": seconds["bare"],
            "what": f"fit(standard) vs bare loop, mnist_cnn, {batches} batches of {batch_size}"}


def bench_attack(device, batch_size: int, steps: int, repeats: int) -> dict:
    splits = mnist_like(batch_size, device)
    model = model_for(splits, device).eval()
    x, y = splits.x_test, splits.y_test
    ours = build_attack("pgd", model, eps=0.3, alpha=0.01, steps=steps)
    bare = torchattacks.PGD(model, eps=0.3, alpha=0.01, steps=steps)
    seconds = interleaved({"ours": lambda: ours(x, y), "bare": lambda: bare(x, y)}, repeats, device)
    return {"figure": "attack_pgd", "ratio": seconds["bare"] / seconds["ours"], "target": ">= 0.95",
            "ours_s": seconds["ours"], "reference_s": seconds["bare"],
            "what": f"our PGD-{steps} vs torchattacks.PGD, mnist_cnn, batch {batch_size}"}


def bench_dundi(device, queries: int, repeats: int) -> dict:
    splits = mnist_like(max(queries, 400), device)
    mean, std = splits.channel_stats()
    net = build_model("distance_net", 1, 10, mean, std, backbone="lenet1").to(device).eval()
    build_method("dundi").finish(net, splits, seed=0)
    x = splits.x_test[:queries]
    with torch.no_grad():
        net.classify(x)  # oracle embeddings are computed once and cached in eval mode
        seconds = interleaved({"embed": lambda: net.embed(x), "classify": lambda: net.classify(x)},
                              repeats, device)
    overhead = seconds["classify"] / seconds["embed"] - 1
    return {"figure": "dundi_two_step", "ratio": overhead, "target": "<= 0.05",
            "ours_s": seconds["classify"], "reference_s": seconds["embed"],
            "what": f"two-step classify vs embed only, lenet1 distance net, {queries} queries, n=20 m=3 k=5"}


def bench_mct_over_at(device, batches: int, batch_size: int, repeats: int, at_steps: int) -> dict:
    splits = mnist_like(batches * batch_size, device)
    workdir = Path(tempfile.mkdtemp())

    def epoch(name, **options):
        def run():
            checkpoint = workdir / f"{name}.pt"
            checkpoint.unlink(missing_ok=True)
            fit(model_for(splits, device), build_method(name, **options), splits,
                TrainSettings(epochs=1, batch_size=batch_size, lr=1e-3, seed=0), checkpoint,
                progress=False)
        return run

    seconds = interleaved({"mct": epoch("mct", sigma=0.02),
                           "at": epoch("pgd_at", eps=0.3, alpha=0.01, steps=at_steps)},
                          repeats, device)
    return {"figure": "mct_over_at", "ratio": seconds["mct"] / seconds["at"], "target": "reported",
            "ours_s": seconds["mct"], "reference_s": seconds["at"],
            "what": f"MCT epoch vs PGD-{at_steps} AT epoch, mnist_cnn, {batches} batches of {batch_size}"}


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", default="results/benchmarks/benchmarks.csv")
    args = parser.parse_args(argv)
    device = provenance.pick_device(args.device)
    if args.quick:
        rows = [bench_training_loop(device, 2, 16, 1), bench_attack(device, 16, 2, 1),
                bench_dundi(device, 64, 1), bench_mct_over_at(device, 2, 20, 1, 2)]
    else:
        rows = [bench_training_loop(device, 40, 64, 5), bench_attack(device, 256, 20, 5),
                bench_dundi(device, 1024, 7), bench_mct_over_at(device, 10, 50, 3, 40)]
    table = pd.DataFrame(rows)
    table["hardware"] = provenance.hardware(device)
    table["commit"] = provenance.git_commit()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    with pd.option_context("display.width", 200, "display.max_colwidth", 80):
        print(table[["figure", "ratio", "target", "ours_s", "reference_s", "what"]].to_string(index=False))
    print(f"hardware: {table.hardware[0]}; written to {args.out}")
    return table


if __name__ == "__main__":
    main()
