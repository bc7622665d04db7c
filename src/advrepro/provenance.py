"""Where a result came from: config hash, code commit and hardware, stamped on every artifact."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

# torch is imported inside the functions that need it: the Snakefile imports this module for
# config_hash, and importing torch would add seconds to every DAG construction.


def config_hash(config: Any) -> str:
    """Short, order-independent hash of a (sub-)configuration."""
    canonical = json.dumps(config, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


@functools.cache  # once per job: a per-model job writes dozens of records
def git_commit(repo_dir: str | Path = ".") -> str:
    """The checked-out commit, with '+dirty' when tracked files differ; 'unknown' outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=repo_dir,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo_dir,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def produced_on(device: torch.device | str | None = None) -> dict[str, str]:
    """What every history, transfer set and record says it was made with: the hardware it ran
    on and the commit of the code (artifacts carry these in their stamps)."""
    return {"hardware": hardware(device), "commit": git_commit()}


class DeviceError(RuntimeError):
    """A GPU is there but torch cannot use it, or one was asked for and there is none."""


def _nvidia_smi() -> list[tuple[str, str]]:
    """(GPU name, driver version) of each GPU ``nvidia-smi`` lists; [] without one."""
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [
        tuple(part.strip() for part in line.split(",", 1))
        for line in out.splitlines()
        if line.count(",") == 1
    ]


def present_gpus() -> str | None:
    """What says a GPU is meant to be used here, or None: GPUs that nvidia-smi lists, or GPUs a
    scheduler assigned through CUDA_VISIBLE_DEVICES."""
    listed = _nvidia_smi()
    if listed:
        return ", ".join(f"{name} (driver {driver})" for name, driver in listed)
    assigned = os.environ.get("CUDA_VISIBLE_DEVICES", "").strip()
    if assigned and assigned not in ("-1", "NoDevFiles"):
        return f"CUDA_VISIBLE_DEVICES={assigned} (set by the scheduler)"
    return None


def hardware(device: torch.device | str | None = None) -> str:
    """A one-line description of the machine a computation ran on: for a GPU its model,
    driver, the CUDA runtime torch was built for and the torch build."""
    import torch

    device = torch.device(device or "cpu")
    if device.type == "cuda":
        drivers = {driver for _, driver in _nvidia_smi()}
        return (
            f"GPU {torch.cuda.get_device_name(device)} (driver "
            f"{', '.join(sorted(drivers)) or 'unknown'}, CUDA {torch.version.cuda}, "
            f"torch {torch.__version__})"
        )
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    threads = torch.get_num_threads()
    return f"CPU {cpu} ({threads} thread{'s' if threads != 1 else ''})"


def pick_device(requested: str = "auto") -> torch.device:
    """The device a job runs on. ``auto`` is CUDA when torch can use it and the CPU when there
    is no GPU at all; a GPU that is present (nvidia-smi lists it, or the scheduler assigned
    one) but that torch cannot use is an error, never a silent fall-back to days of CPU
    compute. Running on the CPU on a GPU node takes ``device: cpu``."""
    import torch

    if requested == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        device = torch.device("cuda" if requested == "auto" else requested)
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceError(
                f"config key 'device' is '{requested}', but this machine has "
                f"{torch.cuda.device_count()} GPU(s), cuda:0 to "
                f"cuda:{torch.cuda.device_count() - 1}: set device: auto (or cuda:0)"
            )
        return device
    gpus = present_gpus()
    if gpus is None and requested == "auto":
        return torch.device("cpu")
    if gpus is None:  # asked for CUDA where there is no GPU: no torch build would help
        raise DeviceError(
            f"config key 'device' is '{requested}', but no GPU found on this machine "
            f"({platform.node()}): nvidia-smi lists none and no scheduler assigned one through "
            "CUDA_VISIBLE_DEVICES. Fix: set device: cpu (or auto, which uses a GPU where "
            "there is one) to run here, or run the job on a GPU node"
        )
    build = (
        f"torch {torch.__version__} built for CUDA {torch.version.cuda}"
        if torch.version.cuda
        else f"torch {torch.__version__} without CUDA"
    )
    from advrepro.cuda_builds import advice

    drivers = {driver for _, driver in _nvidia_smi()}
    raise DeviceError(
        f"device '{requested}': {'a GPU is present: ' + gpus if gpus else 'no GPU found'}, but "
        f"{build} cannot use it (torch.cuda.is_available() is False). Fix: {advice(drivers)} "
        "(docs/usage.md, 'GPU nodes'); or set the config key device: cpu to run on the CPU on purpose."
    )
