"""Bad input gets a clear error and leaves nothing behind (issue: bad input)."""

from __future__ import annotations

import gzip
import logging
import os
import stat

import pytest
import torch

from advrepro import io
from advrepro.data.sources import Archive, Checksum, DataFile, _try_archive
from advrepro.methods import build_method
from advrepro.models import build_model
from advrepro.training import TrainSettings, fit


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_outputs_honour_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        io.write_json(tmp_path / "record.json", {"a": 1})
        io.save_torch(tmp_path / "model.pt", {"w": torch.zeros(2)})
    finally:
        os.umask(old)
    for name in ("record.json", "model.pt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name


def test_a_gz_that_cannot_be_unpacked_leaves_no_part_file(tmp_path):
    broken = tmp_path / "mirror" / "train-images-idx3-ubyte.gz"
    broken.parent.mkdir()
    broken.write_bytes(gzip.compress(os.urandom(4096))[:100])  # cut short
    archive = Archive(broken.name, Checksum("md5", "0" * 32), ())
    wanted = [DataFile("train-images-idx3-ubyte", Checksum("sha256", "0" * 64), archive)]
    dest = tmp_path / "root"
    problems: list[str] = []
    assert not _try_archive(broken, archive, dest, wanted, problems)
    assert any("cannot be unpacked" in p for p in problems)
    assert list(dest.rglob("*")) == []


def test_a_corrupt_checkpoint_is_set_aside_and_training_starts_over(tiny_splits, tmp_path, caplog):
    checkpoint = tmp_path / "ckpt.pt"
    checkpoint.write_bytes(b"not a checkpoint")
    torch.manual_seed(0)
    mean, std = tiny_splits.channel_stats()
    model = build_model("lenet1", 1, 10, mean, std)
    with caplog.at_level(logging.WARNING):
        history = fit(
            model,
            build_method("standard"),
            tiny_splits,
            TrainSettings(epochs=1, batch_size=32, lr=1e-3, seed=0),
            checkpoint,
            progress=False,
        )
    assert [h["epoch"] for h in history] == [1]
    assert (tmp_path / "ckpt.pt.corrupt").read_bytes() == b"not a checkpoint"
    assert str(checkpoint) in caplog.text and "from scratch" in caplog.text
