"""Speed benchmarks, each a ratio of two paths measured side by side in one run (absolute
times are noise on shared machines). Prints a table and writes results/benchmarks/benchmarks.csv.

    python benchmarks/run.py            # full
    python benchmarks/run.py --quick    # smoke run (CI): tiny sizes, only checks it runs

    python benchmarks/run.py --demo     # also time the whole offline demo (a clean run)
    python benchmarks/run.py --gpu      # also the GPU path's switches (needs CUDA)

Figures (target in brackets):
  training_loop_<m> throughput of advrepro.training.fit over a bare loop of the same method's
                 loss + backward + step on the same model and batches, for the standard,
                 pgd_at, mct and dundi methods                                   [>= 0.9]
  attack_pgd     our PGD attack path (eval switch, restarts logic, budget check) over bare
                 torchattacks.PGD on the same model and batch                    [>= 0.95]
  attack_cw_l2   our CW-L2 over torchattacks.CW, same steps, c and lr (different code:
                 ours fixes the margin defect and keeps the best example)         [>= 0.95]
  attack_autoattack our AutoAttack path over the authors' code called directly  [>= 0.95]
  dundi_two_step time DunDi's two-step classifier adds to embedding the queries, as a fraction
                 of the embedding time (batch 1024, LeNet-1 Distance NN)         [<= 0.05]
  mct_over_at    MCT epoch cost over PGD-40 AT epoch cost, same model and batches (the MCT
                 paper's "cheaper than iterative adversarial training"): measured, reported
  dag_seconds    seconds of `snakemake -n` on the paper config (DAG construction) [<= 5];
                 reference: the fixed part (`snakemake --list-rules`: start, parse, config)
  dag_ms_per_job the rest per planned job (milliseconds)
  slurm_probe_seconds  `scontrol show config`, which the SLURM executor plugin runs on every
                 snakemake start (only where scontrol is installed)
  demo_minutes   (--demo) minutes of the whole demo, clean run, in a temporary copy [<= 15]
  gpu_<switch>   (--gpu) epoch time without over with one switch of the GPU path [> 1]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
import torchattacks

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

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


def interleaved_times(paths: dict, repeats: int, device) -> dict[str, list[float]]:
    """Seconds of each repeat per path, running the paths alternately so drift hits both alike."""
    times = {name: [] for name in paths}
    for _ in range(repeats):
        for name, fn in paths.items():
            times[name].append(time_it(fn, device))
    return times


def interleaved(paths: dict, repeats: int, device) -> dict[str, float]:
    """Median seconds per path (see interleaved_times)."""
    return {
        name: statistics.median(values)
        for name, values in interleaved_times(paths, repeats, device).items()
    }


TRAINING_METHODS = {
    "standard": {},
    "pgd_at": {"eps": 0.3, "alpha": 0.1, "steps": 3},
    "mct": {"sigma": 0.02},
    "dundi": {"tuples": 0},  # set to the batch count x batch size below
}


def bench_training_loop(device, name: str, batches: int, batch_size: int, repeats: int) -> dict:
    """Our loop over a bare loop of the same method: the same loss, batches and optimizer,
    without checkpoints, history or progress bars."""
    splits = mnist_like(batches * batch_size, device)
    options = dict(TRAINING_METHODS[name])
    if name == "dundi":
        options["tuples"] = batches * batch_size
    method = build_method(name, **options)
    architecture, model_options = method.architecture("mnist_cnn")
    torch.manual_seed(0)
    mean, std = splits.channel_stats()
    model = build_model(architecture, 1, 10, mean, std, **model_options).to(device)
    method.setup(model, splits)
    workdir = Path(tempfile.mkdtemp())

    def ours():
        checkpoint = workdir / "ckpt.pt"
        checkpoint.unlink(missing_ok=True)
        fit(
            model,
            method,
            splits,
            TrainSettings(epochs=1, batch_size=batch_size, lr=1e-3, seed=0),
            checkpoint,
            progress=True,
        )

    def bare():
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        model.train()
        for index in method.batches(splits.y_train, batch_size, torch.Generator().manual_seed(0)):
            loss, _ = method.loss(model, splits.x_train[index], splits.y_train[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    seconds = interleaved({"ours": ours, "bare": bare}, repeats, device)
    return {
        "figure": f"training_loop_{name}",
        "ratio": seconds["bare"] / seconds["ours"],
        "target": ">= 0.9",
        "ours_s": seconds["ours"],
        "reference_s": seconds["bare"],
        "what": f"fit({name}) vs bare loop of its loss, mnist_cnn, {batches} batches of {batch_size}",
    }


def bench_attack(device, batch_size: int, steps: int, repeats: int) -> dict:
    splits = mnist_like(batch_size, device)
    model = model_for(splits, device).eval()
    x, y = splits.x_test, splits.y_test
    ours = build_attack("pgd", model, eps=0.3, alpha=0.01, steps=steps)
    bare = torchattacks.PGD(model, eps=0.3, alpha=0.01, steps=steps)
    seconds = interleaved({"ours": lambda: ours(x, y), "bare": lambda: bare(x, y)}, repeats, device)
    return {
        "figure": "attack_pgd",
        "ratio": seconds["bare"] / seconds["ours"],
        "target": ">= 0.95",
        "ours_s": seconds["ours"],
        "reference_s": seconds["bare"],
        "what": f"our PGD-{steps} vs torchattacks.PGD, mnist_cnn, batch {batch_size}",
    }


def bench_cw(device, batch_size: int, steps: int, repeats: int) -> dict:
    splits = mnist_like(batch_size, device)
    model = model_for(splits, device).eval()
    x, y = splits.x_test, splits.y_test
    ours = build_attack("cw_l2", model, steps=steps, lr=0.01, c=1.0)
    bare = torchattacks.CW(model, c=1.0, kappa=0.0, steps=steps, lr=0.01)
    seconds = interleaved({"ours": lambda: ours(x, y), "bare": lambda: bare(x, y)}, repeats, device)
    return {
        "figure": "attack_cw_l2",
        "ratio": seconds["bare"] / seconds["ours"],
        "target": ">= 0.95",
        "ours_s": seconds["ours"],
        "reference_s": seconds["bare"],
        "what": f"our CW-L2 ({steps} steps) vs torchattacks.CW, mnist_cnn, batch {batch_size}",
    }


def bench_autoattack(device, batch_size: int, iterations: int, queries: int, repeats: int) -> dict:
    splits = mnist_like(batch_size, device)
    model = model_for(splits, device).eval()
    x, y = splits.x_test, splits.y_test
    ours = build_attack(
        "autoattack",
        model,
        eps=0.3,
        iterations=iterations,
        square_queries=queries,
        target_classes=2,
    )
    bare = ours.configured(device)  # the authors' object with the same settings, called directly
    seconds = interleaved(
        {
            "ours": lambda: ours(x, y),
            "bare": lambda: bare.run_standard_evaluation(x, y, batch_size=batch_size),
        },
        repeats,
        device,
    )
    return {
        "figure": "attack_autoattack",
        "ratio": seconds["bare"] / seconds["ours"],
        "target": ">= 0.95",
        "ours_s": seconds["ours"],
        "reference_s": seconds["bare"],
        "what": f"our AutoAttack vs pyautoattack direct, {iterations} it., {queries} queries, "
        f"2 targets, mnist_cnn, batch {batch_size}",
    }


def bench_dundi(device, queries: int, repeats: int) -> dict:
    splits = mnist_like(max(queries, 400), device)
    mean, std = splits.channel_stats()
    net = build_model("distance_net", 1, 10, mean, std, backbone="lenet1").to(device).eval()
    build_method("dundi").finish(net, splits, seed=0)
    x = splits.x_test[:queries]
    with torch.no_grad():
        net.classify(x)  # oracle embeddings are computed once and cached in eval mode
        times = interleaved_times(
            {"embed": lambda: net.embed(x), "classify": lambda: net.classify(x)}, repeats, device
        )
    # a small difference of two ~equal times: the median of back-to-back pairs is far steadier
    # on a shared machine than the difference of two medians
    overhead = statistics.median(c / e for c, e in zip(times["classify"], times["embed"])) - 1
    seconds = {name: statistics.median(values) for name, values in times.items()}
    return {
        "figure": "dundi_two_step",
        "ratio": overhead,
        "target": "<= 0.05",
        "ours_s": seconds["classify"],
        "reference_s": seconds["embed"],
        "what": f"two-step classify vs embed only, lenet1 distance net, {queries} queries, n=20 m=3 k=5",
    }


def bench_mct_over_at(device, batches: int, batch_size: int, repeats: int, at_steps: int) -> dict:
    splits = mnist_like(batches * batch_size, device)
    workdir = Path(tempfile.mkdtemp())

    def epoch(name, **options):
        def run():
            checkpoint = workdir / f"{name}.pt"
            checkpoint.unlink(missing_ok=True)
            fit(
                model_for(splits, device),
                build_method(name, **options),
                splits,
                TrainSettings(epochs=1, batch_size=batch_size, lr=1e-3, seed=0),
                checkpoint,
                progress=False,
            )

        return run

    seconds = interleaved(
        {
            "mct": epoch("mct", sigma=0.02),
            "at": epoch("pgd_at", eps=0.3, alpha=0.01, steps=at_steps),
        },
        repeats,
        device,
    )
    return {
        "figure": "mct_over_at",
        "ratio": seconds["mct"] / seconds["at"],
        "target": "reported",
        "ours_s": seconds["mct"],
        "reference_s": seconds["at"],
        "what": f"MCT epoch vs PGD-{at_steps} AT epoch, mnist_cnn, {batches} batches of {batch_size}",
    }


def _snakemake_seconds(*args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - start, done.stdout


def bench_dag() -> list[dict]:
    """Seconds of `snakemake -n` on the paper configuration (parse, validate, build the DAG),
    split into the fixed part (the same command on a target with nothing to do) and the part
    per planned job; and the probe the SLURM executor plugin makes on every start."""
    seconds, out = _snakemake_seconds("-n")
    jobs = int(re.search(r"^total\s+(\d+)$", out, re.M).group(1))
    fixed, _ = _snakemake_seconds("--list-rules")  # start, plugins, parse, config, no DAG
    rows = [
        {
            "figure": "dag_seconds",
            "ratio": seconds,
            "target": "<= 5",
            "ours_s": seconds,
            "reference_s": fixed,
            "what": f"snakemake -n on config/config.yaml ({jobs} jobs); "
            "reference: the fixed part (snakemake --list-rules)",
        },
        {
            "figure": "dag_ms_per_job",
            "ratio": 1000 * (seconds - fixed) / jobs,
            "target": "reported",
            "ours_s": seconds - fixed,
            "reference_s": float("nan"),
            "what": "(dag_seconds - fixed part) per planned job: Snakemake's per-job input "
            "functions, params and resources",
        },
    ]
    if shutil.which("scontrol"):  # the plugin runs it at import, with a 10 s timeout
        start = time.perf_counter()
        subprocess.run(["scontrol", "show", "config"], capture_output=True, timeout=15)
        probe = time.perf_counter() - start
        rows.append(
            {
                "figure": "slurm_probe_seconds",
                "ratio": probe,
                "target": "reported",
                "ours_s": probe,
                "reference_s": float("nan"),
                "what": "`scontrol show config`, which snakemake-executor-plugin-slurm runs on "
                "every snakemake start (slow where no SLURM controller answers)",
            }
        )
    return rows


def bench_demo(cores: int) -> dict:
    """Minutes of the whole offline demo, clean run, in a temporary copy of the workflow."""
    workdir = Path(tempfile.mkdtemp()) / "repo"
    shutil.copytree(
        REPO,
        workdir,
        ignore=shutil.ignore_patterns(
            ".venv", "results", "paper_figures", ".snakemake", ".git", "__pycache__"
        ),
        symlinks=True,
    )
    (workdir.parent / "shared").symlink_to(REPO.parent / "shared")
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--cores",
            str(cores),
            "--quiet",
            "--configfile",
            "config/demo.yaml",
        ],
        cwd=workdir,
        check=True,
    )
    minutes = (time.perf_counter() - start) / 60
    shutil.rmtree(workdir.parent)
    return {
        "figure": "demo_minutes",
        "ratio": minutes,
        "target": "<= 15",
        "ours_s": minutes * 60,
        "reference_s": float("nan"),
        "what": f"snakemake --cores {cores} --configfile config/demo.yaml, clean",
    }


def bench_gpu_switch(device, switch: str, batches: int, batch_size: int, repeats: int) -> dict:
    """One epoch of PGD-AT on the CIFAR CNN without, then with, one switch of the GPU path."""
    from advrepro import performance

    generator = torch.Generator().manual_seed(0)
    x = torch.rand(batches * batch_size, 3, 32, 32, generator=generator).to(device)
    y = (torch.arange(len(x)) % 10).to(device)
    splits = Splits("synthetic", [str(i) for i in range(10)], x, y, x, y)
    workdir = Path(tempfile.mkdtemp())

    def epoch(settings):
        def run():
            performance.configure_backend(settings)
            torch.manual_seed(0)
            model = build_model("cifar_cnn", 3, 10, [0.5] * 3, [0.25] * 3, image_size=32).to(device)
            checkpoint = workdir / "ckpt.pt"
            checkpoint.unlink(missing_ok=True)
            fit(
                model,
                build_method("pgd_at", eps=8 / 255, alpha=2 / 255, steps=7),
                splits,
                TrainSettings(epochs=1, batch_size=batch_size, lr=1e-3, seed=0),
                checkpoint,
                progress=False,
                performance=settings,
            )

        return run

    seconds = interleaved({"off": epoch({}), "on": epoch({switch: True})}, repeats, device)
    return {
        "figure": f"gpu_{switch}",
        "ratio": seconds["off"] / seconds["on"],
        "target": "> 1",
        "ours_s": seconds["on"],
        "reference_s": seconds["off"],
        "what": f"PGD-7 AT epoch, cifar_cnn, {batches} batches of {batch_size}, {switch} on vs off",
    }


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", default="results/benchmarks/benchmarks.csv")
    parser.add_argument("--demo", action="store_true", help="also time the whole demo (minutes)")
    parser.add_argument("--gpu", action="store_true", help="also the GPU path's switches (CUDA)")
    parser.add_argument("--cores", type=int, default=2, help="cores of the demo run")
    args = parser.parse_args(argv)
    device = provenance.pick_device(args.device)
    quick = args.quick
    rows = [
        bench_training_loop(
            device, name, 2 if quick else 40, 16 if quick else 64, 1 if quick else 5
        )
        for name in TRAINING_METHODS
    ]
    rows += [
        bench_attack(device, 16 if quick else 256, 2 if quick else 20, 1 if quick else 5),
        bench_cw(device, 16 if quick else 256, 2 if quick else 30, 1 if quick else 5),
        bench_autoattack(
            device, 8 if quick else 128, 2 if quick else 20, 10 if quick else 200, 1 if quick else 3
        ),
        bench_dundi(device, 64 if quick else 1024, 1 if quick else 31),
        bench_mct_over_at(
            device, 2 if quick else 10, 20 if quick else 50, 1 if quick else 3, 2 if quick else 40
        ),
        *bench_dag(),
    ]
    if args.demo:
        rows.append(bench_demo(args.cores))
    if args.gpu:
        if device.type != "cuda":
            parser.error("--gpu needs a CUDA device")
        rows += [
            bench_gpu_switch(device, switch, 20, 256, 3)
            for switch in ("cudnn_benchmark", "channels_last", "autocast_bf16", "compile")
        ]
    table = pd.DataFrame(rows)
    table["hardware"] = provenance.hardware(device)
    table["commit"] = provenance.git_commit()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    with pd.option_context("display.width", 200, "display.max_colwidth", 80):
        print(
            table[["figure", "ratio", "target", "ours_s", "reference_s", "what"]].to_string(
                index=False
            )
        )
    print(f"hardware: {table.hardware[0]}; written to {args.out}")
    return table


if __name__ == "__main__":
    main()
