"""The benchmark script runs (a smoke run: it must run, not be fast; nothing is timed here)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
from conftest import REPO


def test_benchmark_smoke_run(tmp_path):
    out = tmp_path / "bench.csv"
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks/run.py"),
            "--quick",
            "--device",
            "cpu",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    table = pd.read_csv(out)
    expected = {
        "training_loop_standard",
        "training_loop_pgd_at",
        "training_loop_mct",
        "training_loop_dundi",
        "attack_pgd",
        "attack_cw_l2",
        "attack_autoattack",
        "dundi_two_step",
        "mct_over_at",
        "dag_seconds",
        "dag_ms_per_job",
    }
    optional = {"slurm_probe_seconds"} if shutil.which("scontrol") else set()
    assert set(table.figure) == expected | optional
    assert table.ratio.notna().all()
