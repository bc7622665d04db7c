"""Smoke run of the paper configuration at paper shapes: one job of every distinct (rule,
architecture, method class, attack class) of the paper plan, run through Snakemake with
config/smoke.yaml (paper networks, options, batch sizes and attack parameters; one epoch of
at most two batches, one evaluation batch, stand-in data of the paper's shape), and each job's
wall time and peak memory from Snakemake's benchmark files.

    python benchmarks/smoke.py                      # every combination (hours on a 2-core CPU)
    python benchmarks/smoke.py --architectures mnist_cnn lenet1 --max-jobs 20
    python benchmarks/smoke.py --skip-architectures wrn34_10 --stages train
    python benchmarks/smoke.py --attack-classes pgd fgsm clean --architectures mnist_cnn
    python benchmarks/smoke.py --list               # the selection, without running it

Runs in a copy of the workflow (--workdir, default results/smoke/workflow), so a real run's
models and records are never overwritten; writes results/benchmarks/smoke.{csv,md}. The jobs a
selected job needs (its model's training, a transfer set) run too and are listed as
dependencies. On a CUDA machine each architecture's planned GPU memory need (peak of one
training step at its largest batch, advrepro.preflight) is added.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from advrepro import cost, paths, plan, provenance  # noqa: E402

OVERLAY = REPO / "config/smoke.yaml"
WORKFLOW_FILES = ("Snakefile", "workflow", "config", "src", "envs", "profiles")
COMBINATION = ["stage", "architecture", "method_class", "attack_class"]


def planned_work(config: dict) -> pd.DataFrame:
    """Every planned work item (a model's training, a transfer set, a model under an attack)
    with its combination, its output file and the Snakemake job that does it."""
    rows = []
    for job in cost.planned_jobs(config):
        exp = config["experiments"][job.experiment]
        attack = exp["attacks"][job.attack] if job.attack else None
        if job.stage == "train":
            target = paths.model_file(job.experiment, job.method, job.seed)
        elif job.stage == "craft_transfer":
            target = paths.transfer_set_file(job.experiment, job.method, job.seed, job.attack)
        else:
            target = paths.record_file(job.experiment, job.method, job.seed, job.attack)
        key = plan.job_of(config, job.stage, job.experiment, job.method, job.seed, job.attack)
        rows.append(
            {
                "stage": job.stage,
                "architecture": job.architecture,
                "method_class": exp["methods"][job.method]["class"],
                "attack_class": attack["class"] if attack else "",
                "experiment": job.experiment,
                "method": job.method,
                "seed": job.seed,
                "attack": job.attack or "",
                "target": target,
                "job": str(key),
                "benchmark": key.benchmark_file(),
            }
        )
    return pd.DataFrame(rows)


def select(
    planned: pd.DataFrame,
    architectures=None,
    stages=None,
    max_jobs=None,
    attack_classes=None,
    skip_architectures=None,
    method_classes=None,
) -> pd.DataFrame:
    """The first planned job of each combination, within the filters (a training job has no
    attack class: ``attack_classes`` leaves it in)."""
    chosen = planned.drop_duplicates(COMBINATION)
    if architectures:
        chosen = chosen[chosen.architecture.isin(architectures)]
    if skip_architectures:
        chosen = chosen[~chosen.architecture.isin(skip_architectures)]
    if stages:
        chosen = chosen[chosen.stage.isin(stages)]
    if method_classes:
        chosen = chosen[chosen.method_class.isin(method_classes)]
    if attack_classes:
        chosen = chosen[(chosen.attack_class == "") | chosen.attack_class.isin(attack_classes)]
    return chosen.head(max_jobs) if max_jobs else chosen


def copy_workflow(workdir: Path) -> None:
    for name in WORKFLOW_FILES:
        source, destination = REPO / name, workdir / name
        if destination.exists():
            shutil.rmtree(destination) if destination.is_dir() else destination.unlink()
        if source.is_dir():
            shutil.copytree(
                source, destination, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(source, destination)


def benchmarks_of(workdir: Path, planned: pd.DataFrame, chosen: pd.DataFrame) -> pd.DataFrame:
    """Every job that ran (Snakemake's benchmark TSVs), with the combination of its first work
    item (the attack classes of all its items: a sweep's budgets or a model's attacks run in
    one job); selected: it made a selected target, or only a dependency of one."""
    selected = set(chosen.target)
    rows = []
    for job, items in planned.groupby("job", sort=False):
        tsv = workdir / items.benchmark.iloc[0]
        if not tsv.is_file():
            continue
        measured = pd.read_csv(tsv, sep="\t").iloc[-1]
        rows.append(
            {
                **items.iloc[0][COMBINATION].to_dict(),
                "attack_class": "+".join(dict.fromkeys(items.attack_class)),
                "job": job,
                "selected": bool(items.target.isin(selected).any()),
                "seconds": round(float(measured["s"]), 1),
                "peak_rss_mb": round(float(measured["max_rss"]), 0),
            }
        )
    return pd.DataFrame(rows)


def gpu_need(config: dict) -> dict[str, float]:
    """MB of the peak of one training step per architecture at its largest batch (CUDA only)."""
    import torch

    if not torch.cuda.is_available():
        return {}
    from advrepro.preflight import planned_architectures, step_peak_bytes

    device = torch.device("cuda")
    need: dict[str, float] = {}
    for (architecture, dataset), batch in planned_architectures(config).items():
        peak = step_peak_bytes(architecture, dataset, batch, device) / 2**20
        need[architecture] = max(peak, need.get(architecture, 0.0))
    return need


def markdown(table: pd.DataFrame, header: str) -> str:
    columns = [*COMBINATION, "job", "selected", "seconds", "peak_rss_mb"]
    if "gpu_need_mb" in table:
        columns.append("gpu_need_mb")
    lines = [header, "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += [
        "| " + " | ".join(str(v) for v in row) + " |"
        for row in table[columns].itertuples(index=False)
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--architectures", nargs="+", help="only these architectures")
    parser.add_argument("--skip-architectures", nargs="+", help="all but these architectures")
    parser.add_argument("--attack-classes", nargs="+", help="only these attack classes")
    parser.add_argument("--method-classes", nargs="+", help="only these method classes")
    parser.add_argument("--stages", nargs="+", choices=["train", "craft_transfer", "evaluate"])
    parser.add_argument("--max-jobs", type=int, help="at most this many selected jobs")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--workdir", default=str(REPO / "results/smoke/workflow"))
    parser.add_argument("--out", default=str(REPO / "results/benchmarks/smoke"))
    parser.add_argument("--configfile", nargs="*", default=[], help="overrides after smoke.yaml")
    parser.add_argument("--list", action="store_true", help="print the selection; run nothing")
    args = parser.parse_args(argv)

    layers = [REPO / "config/config.yaml", OVERLAY, *map(Path, args.configfile)]
    config = plan.load(layers, cost.SCHEMA)
    planned = planned_work(config)
    chosen = select(
        planned,
        args.architectures,
        args.stages,
        args.max_jobs,
        args.attack_classes,
        args.skip_architectures,
        args.method_classes,
    )
    print(
        f"{len(chosen)} of {planned.drop_duplicates(COMBINATION).shape[0]} combinations "
        f"({len(planned)} planned work items, {planned.job.nunique()} jobs)"
    )
    if args.list:
        print(chosen[[*COMBINATION, "target"]].to_string(index=False))
        return 0
    if chosen.empty:
        parser.error("no planned job matches the filters")

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    copy_workflow(workdir)
    # the copy reads the papers' numbers and the raw data files where this checkout has them
    shared = workdir / "smoke-paths.yaml"
    shared.write_text(
        yaml.safe_dump(
            {
                "reported_results": str((REPO / config["reported_results"]).resolve()),
                "data": {"root": str((REPO / config["data"]["root"]).resolve())},
            }
        )
    )
    started = time.perf_counter()
    command = [
        sys.executable,
        "-m",
        "snakemake",
        *chosen.target,
        "--cores",
        str(args.cores),
        "--keep-going",
        "--configfile",
        *(str(p.resolve()) for p in layers[1:]),
        str(shared),
    ]
    result = subprocess.run(command, cwd=workdir)
    minutes = (time.perf_counter() - started) / 60

    table = benchmarks_of(workdir, planned, chosen)
    failed = sorted(set(chosen.target) - {t for t in chosen.target if (workdir / t).is_file()})
    need = gpu_need(config)
    if need and not table.empty:
        table["gpu_need_mb"] = table.architecture.map(need).round(0)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out.with_suffix(".csv"), index=False)
    header = (
        f"Smoke run (config/smoke.yaml) at commit {provenance.git_commit()} on "
        f"{provenance.hardware(provenance.pick_device(config['device']))}: "
        f"{len(chosen)} selected jobs, {len(table)} jobs ran, {minutes:.1f} min, "
        f"snakemake --cores {args.cores}; failed: {', '.join(failed) or 'none'}"
    )
    out.with_suffix(".md").write_text(markdown(table, header) if not table.empty else header + "\n")
    print(header)
    print(f"written to {out.with_suffix('.csv')} and {out.with_suffix('.md')}")
    return result.returncode or (1 if failed else 0)


if __name__ == "__main__":
    sys.exit(main())
