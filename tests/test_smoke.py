"""The smoke scale (config/smoke.yaml, benchmarks/smoke.py): a sample of paper-shape jobs runs
through Snakemake and each job's time and peak memory are read from its benchmark file. The
whole smoke run (every combination) is a documented command apart from CI."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from conftest import REPO, require_demo_data

pytestmark = pytest.mark.slow


def test_every_combination_of_the_paper_plan_is_selected_once():
    sys.path.insert(0, str(REPO / "benchmarks"))
    import smoke

    from advrepro import cost
    from advrepro.plan import load as load_layers

    config = load_layers([REPO / "config/config.yaml", smoke.OVERLAY], cost.SCHEMA)
    planned = smoke.planned_work(config)
    chosen = smoke.select(planned)
    assert len(chosen) == len(planned.drop_duplicates(smoke.COMBINATION)) > 100
    assert set(chosen.architecture) == {
        exp["architecture"] for exp in config["experiments"].values()
    }
    assert {"train", "craft_transfer", "evaluate"} == set(chosen.stage)
    assert "autoattack" in set(chosen.attack_class) and "hopskipjump" in set(chosen.attack_class)


def test_smoke_benchmark_reads_one_benchmark_file_per_job(tmp_path):
    """benchmarks/smoke.py finds each job's Snakemake benchmark TSV where its rule writes it
    (advrepro.plan.job_of): an eps sweep's budgets and a per_model model's attacks share one,
    read as one row."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    import smoke

    from advrepro import cost
    from advrepro.plan import load as load_layers

    config = load_layers([REPO / "config/config.yaml", smoke.OVERLAY], cost.SCHEMA)
    planned = smoke.planned_work(config)
    sweep = planned[planned.attack.str.startswith("pgd40_sweep_eps")].query(
        "experiment == 'mnist' and method == 'AT'"
    )
    lenet = planned[(planned.experiment == "dundi_lenet1") & (planned.stage == "evaluate")]
    lenet = lenet[lenet.method == lenet.method.iloc[0]]
    assert len(sweep) > 1 and sweep.job.nunique() == 1 and lenet.job.nunique() == 1
    for items in (sweep, lenet):
        tsv = tmp_path / items.benchmark.iloc[0]
        tsv.parent.mkdir(parents=True, exist_ok=True)
        tsv.write_text("s\tmax_rss\n12.5\t900\n")
    table = smoke.benchmarks_of(tmp_path, planned, sweep.head(1))
    assert list(table.job) == [sweep.job.iloc[0], lenet.job.iloc[0]]
    assert list(table.selected) == [True, False]
    assert table.seconds.tolist() == [12.5, 12.5]
    assert "+" in table.attack_class.iloc[1]  # the LeNet's attacks, several classes


def test_a_sample_of_paper_shape_jobs_runs_and_is_measured(tmp_path):
    require_demo_data()
    out = tmp_path / "smoke"
    # the MCT MNIST network's standard-training job and its clean evaluation (paper batch 50,
    # two batches; one evaluation batch of 1,000 images)
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks/smoke.py"),
            "--architectures",
            "mnist_cnn",
            "--stages",
            "evaluate",
            "--max-jobs",
            "1",
            "--cores",
            "2",
            "--workdir",
            str(tmp_path / "workflow"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    table = pd.read_csv(out.with_suffix(".csv"))
    assert set(table.stage) == {"train", "evaluate"} and table.selected.sum() == 1
    assert (table.peak_rss_mb > 0).all() and (table.seconds > 0).all()
    record = json.loads(
        (tmp_path / "workflow/results/mnist/records/standard/seed0/clean.json").read_text()
    )
    assert record["scale"] == "smoke" and record["count"] == 1000
    assert record["training"]["epochs_trained"] == 1
    assert record["training"]["train"]["max_batches"] == 2
    assert record["training"]["train"]["batch_size"] == 50
    assert "failed: none" in out.with_suffix(".md").read_text()
