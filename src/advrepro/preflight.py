"""Pre-flight check of a GPU node before a long run (``make check-gpu``): what torch sees, one
forward and backward pass of every planned architecture on the device, and the largest memory
need of a planned job against the free memory.

    python -m advrepro.preflight --configfile config/config.yaml [override.yaml ...]

The memory need of an architecture is the peak of one training step at the larger of its
experiment's training and evaluation batch (attacks take gradients over a whole evaluation
batch). On a machine without a GPU the passes run on the CPU with a small batch: the check
then only shows that every architecture builds and runs.
"""

from __future__ import annotations

import argparse
import sys

from advrepro import plan
from advrepro.cost import SCHEMA, passes_on_random_batch


def planned_architectures(config: dict) -> dict[tuple[str, str], int]:
    """(architecture, dataset) of every experiment -> the largest batch a job of it runs."""
    largest: dict[tuple[str, str], int] = {}
    for experiment in config["experiments"].values():
        key = (experiment["architecture"], experiment["dataset"])
        batch = max(experiment["train"]["batch_size"], experiment["eval_batch_size"])
        largest[key] = max(batch, largest.get(key, 0))
    return largest


def step_peak_bytes(architecture: str, dataset: str, batch: int, device) -> int:
    """Run one forward + backward pass and an optimiser step; the peak memory it took on a GPU
    (0 on the CPU)."""
    import torch

    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    model, step, _ = passes_on_random_batch(architecture, dataset, batch, device)
    model.train()
    step()
    if device.type != "cuda":
        return 0
    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m advrepro.preflight", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--configfile", nargs="+", default=["config/config.yaml"])
    parser.add_argument("--device", default=None, help="default: the config's device")
    parser.add_argument(
        "--cpu-batch", type=int, default=4, help="batch of the passes on a machine without a GPU"
    )
    args = parser.parse_args(argv)

    import torch

    from advrepro import cuda_builds, provenance

    config = plan.load(args.configfile, SCHEMA)
    print(
        f"torch {torch.__version__}, built for CUDA {torch.version.cuda}; "
        f"torch.cuda.is_available(): {torch.cuda.is_available()}; "
        f"GPUs present: {provenance.present_gpus() or 'none'}"
    )
    print(f"pinned torch builds:\n{cuda_builds.summary()}")
    device = provenance.pick_device(args.device or config["device"])  # refuses an unusable GPU
    print(f"device: {provenance.hardware(device)}")
    needs = {}
    for (architecture, dataset), batch in sorted(planned_architectures(config).items()):
        run_batch = batch if device.type == "cuda" else min(batch, args.cpu_batch)
        needs[(architecture, dataset)] = peak = step_peak_bytes(
            architecture, dataset, run_batch, device
        )
        print(
            f"  {architecture:18s} {dataset:16s} batch {run_batch:5d}: forward + backward ok"
            + (f", peak {peak / 2**30:.2f} GiB" if device.type == "cuda" else "")
        )
    if device.type != "cuda":
        print("no GPU in use: memory not checked")
        return 0
    free, total = torch.cuda.mem_get_info(device)
    (architecture, dataset), largest = max(needs.items(), key=lambda item: item[1])
    verdict = "fits" if largest <= free else "DOES NOT FIT"
    print(
        f"largest need {largest / 2**30:.2f} GiB ({architecture}, {dataset}) vs free "
        f"{free / 2**30:.2f} of {total / 2**30:.2f} GiB: {verdict}"
    )
    return 0 if largest <= free else 1


if __name__ == "__main__":
    sys.exit(main())
