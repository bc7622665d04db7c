"""Readers for the on-disk formats the papers' datasets are published in.

IDX (MNIST, Fashion-MNIST): big-endian header ``0 0 dtype ndim`` then ``ndim`` uint32 sizes,
then the raw bytes. CIFAR-10 "python version": pickled dicts with ``data`` (N x 3072 uint8,
channel-major) and ``labels``. Both readers check the structure and name the file on failure.
"""

from __future__ import annotations

import pickle
import struct
from pathlib import Path

import numpy as np
import torch


class DataFormatError(ValueError):
    """A data file exists but does not have the structure its format requires."""


_IDX_UBYTE = 0x08


def read_idx(path: str | Path) -> torch.Tensor:
    """Read an unsigned-byte IDX file into a uint8 tensor of its declared shape."""
    path = Path(path)
    raw = path.read_bytes()
    if len(raw) < 4:
        raise DataFormatError(f"{path}: too short to be an IDX file ({len(raw)} bytes)")
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != _IDX_UBYTE or not 1 <= ndim <= 4:
        raise DataFormatError(
            f"{path}: not an unsigned-byte IDX file (magic {raw[:4].hex()}); "
            "delete it and let the data rule fetch it again"
        )
    header = 4 + 4 * ndim
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise DataFormatError(
            f"{path}: IDX header declares shape {shape} ({expected} bytes) but the file has "
            f"{len(raw)} bytes (truncated or corrupt); delete it and fetch it again"
        )
    array = np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)
    return torch.from_numpy(array.copy())


def read_cifar_batch(path: str | Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Read one CIFAR-10 python batch: images as uint8 N x 3 x 32 x 32, labels as int64.

    The file is a pickle, so it is only ever read after its MD5 matched torchvision's list.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            batch = pickle.load(handle, encoding="latin1")
        data = np.asarray(batch["data"], dtype=np.uint8)
        labels = np.asarray(batch["labels"], dtype=np.int64)
    except Exception as error:  # any unpickling failure means the same thing to the user
        raise DataFormatError(f"{path}: not a readable CIFAR-10 batch ({error})") from error
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise DataFormatError(
            f"{path}: CIFAR-10 batch has data {data.shape} and {len(labels)} labels; "
            "expected N x 3072 and N labels"
        )
    return torch.from_numpy(data.reshape(-1, 3, 32, 32).copy()), torch.from_numpy(labels)


def read_cifar_meta(path: str | Path) -> list[str]:
    with open(path, "rb") as handle:
        meta = pickle.load(handle, encoding="latin1")
    return list(meta["label_names"])
