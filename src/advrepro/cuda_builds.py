"""The two pinned torch builds, and which NVIDIA driver each one needs.

PyPI's ``torch==2.14.1`` (requirements.lock, envs/torch.yaml) is a CUDA 13.0 build; many
clusters still run drivers of the CUDA 12 era, on which that build sees no GPU. The CUDA 12.6
variant is the same torch release from PyTorch's own wheel index, selected by one switch:
``make install CUDA=12.6`` for the pip path, the config key ``cuda_build: "12.6"`` for
``--use-conda``. The minimum drivers are NVIDIA's (CUDA release notes, "CUDA Toolkit and
Corresponding Driver Versions"; for 12.x the minor-version-compatibility minimum)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CudaBuild:
    cuda: str  # CUDA version the torch wheels are built for
    min_driver: str  # oldest Linux NVIDIA driver that runs them
    pip_install: str  # the documented switch, pip path
    conda_env: str  # rule env under envs/ for --use-conda
    wheel_index: str | None = None  # None: PyPI
    local_tag: str = ""  # PEP 440 local version label of torch/torchvision on that index


BUILDS = {
    "13.0": CudaBuild("13.0", "580.65.06", "make install", "torch.yaml"),
    "12.6": CudaBuild(
        "12.6",
        "525.60.13",
        "make install CUDA=12.6",
        "torch-cu126.yaml",
        "https://download.pytorch.org/whl/cu126",
        "+cu126",
    ),
}
DEFAULT = "13.0"


def _version(driver: str) -> tuple[int, ...]:
    return tuple(int(part) for part in driver.split(".") if part.isdigit())


def builds_for_driver(driver: str) -> list[CudaBuild]:
    """Builds this driver runs, newest CUDA first; [] for a driver older than all of them."""
    fitting = [b for b in BUILDS.values() if _version(driver) >= _version(b.min_driver)]
    return sorted(fitting, key=lambda b: _version(b.cuda), reverse=True)


def advice(drivers: set[str]) -> str:
    """What to install for the drivers nvidia-smi reported (empty: driver unknown)."""
    table = "; ".join(
        f"CUDA {b.cuda} build: driver >= {b.min_driver}, `{b.pip_install}`" for b in BUILDS.values()
    )
    if not drivers:
        return f"Pinned torch builds: {table}."
    oldest = min(drivers, key=_version)
    fitting = builds_for_driver(oldest)
    if not fitting:
        return (
            f"Driver {oldest} is older than every pinned torch build needs ({table}): "
            "update the driver."
        )
    best = fitting[0]
    return (
        f"Driver {oldest} runs the CUDA {best.cuda} build: `{best.pip_install}` (pip), "
        f'or config cuda_build: "{best.cuda}" with --use-conda.'
    )


def summary() -> str:
    """One line per build, for `make cost` and the pre-flight."""
    return "\n".join(
        f"  CUDA {b.cuda}: NVIDIA driver >= {b.min_driver}; pip: {b.pip_install}; "
        f"conda: envs/{b.conda_env}"
        for b in BUILDS.values()
    )
