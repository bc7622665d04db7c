"""GPU nodes as users have them: a GPU torch cannot use stops the job at once (issue: GPU
nodes). Simulated: a fake nvidia-smi on PATH, a scheduler's CUDA_VISIBLE_DEVICES."""

from __future__ import annotations

import pytest
import torch

from advrepro import provenance


@pytest.fixture
def no_usable_cuda(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi unless a test writes one
    return tmp_path


def fake_nvidia_smi(folder, line="NVIDIA H100 80GB HBM3, 535.104.05"):
    script = folder / "nvidia-smi"
    script.write_text(f"#!/bin/sh\necho '{line}'\n")
    script.chmod(0o755)


def test_no_gpu_at_all_runs_on_the_cpu(no_usable_cuda):
    assert provenance.pick_device("auto").type == "cpu"
    with pytest.raises(provenance.DeviceError, match="no GPU found"):
        provenance.pick_device("cuda")


def test_a_gpu_torch_cannot_use_stops_the_job_naming_driver_and_build(no_usable_cuda, monkeypatch):
    fake_nvidia_smi(no_usable_cuda)
    monkeypatch.setattr(torch.version, "cuda", "13.0")
    with pytest.raises(provenance.DeviceError) as error:
        provenance.pick_device("auto")
    message = str(error.value)
    assert "NVIDIA H100 80GB HBM3 (driver 535.104.05)" in message
    assert "built for CUDA 13.0" in message and "device: cpu" in message
    assert "Driver 535.104.05 runs the CUDA 12.6 build: `make install CUDA=12.6`" in message
    assert provenance.pick_device("cpu").type == "cpu"  # on purpose: allowed


def test_a_scheduler_assigned_gpu_counts_as_present(no_usable_cuda, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    with pytest.raises(provenance.DeviceError, match="CUDA_VISIBLE_DEVICES=0"):
        provenance.pick_device("auto")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")  # hidden on purpose: the CPU
    assert provenance.pick_device("auto").type == "cpu"


def test_preflight_runs_every_planned_architecture(capsys):
    """On this CPU machine: every architecture of the CI config builds and runs a step."""
    from pathlib import Path

    from advrepro import preflight

    root = Path(__file__).resolve().parents[1]
    configs = [
        str(root / f) for f in ("config/config.yaml", "config/demo.yaml", ".test/config.yaml")
    ]
    assert preflight.main(["--configfile", *configs, "--cpu-batch", "2"]) == 0
    out = capsys.readouterr().out
    for architecture in ("mao_mnist_large", "wrn34_10", "lenet1", "vgg16", "flow_mnist_cnn"):
        assert f"  {architecture} " in out
    assert "memory not checked" in out


def test_preflight_refuses_a_gpu_torch_cannot_use(no_usable_cuda, monkeypatch):
    from pathlib import Path

    from advrepro import preflight

    fake_nvidia_smi(no_usable_cuda)
    config = str(Path(__file__).resolve().parents[1] / "config/config.yaml")
    with pytest.raises(provenance.DeviceError, match="driver 535.104.05"):
        preflight.main(["--configfile", config])
