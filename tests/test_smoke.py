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
    from advrepro.config import load_layers

    config = load_layers([REPO / "config/config.yaml", smoke.OVERLAY], cost.SCHEMA)
    planned = smoke.plan(config)
    chosen = smoke.select(planned)
    assert len(chosen) == len(planned.drop_duplicates(smoke.COMBINATION)) > 100
    assert set(chosen.architecture) == {
        exp["architecture"] for exp in config["experiments"].values()
    }
    assert {"train", "craft_transfer", "evaluate"} == set(chosen.stage)
    assert "autoattack" in set(chosen.attack_class) and "hopskipjump" in set(chosen.attack_class)


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
