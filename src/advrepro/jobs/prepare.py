"""Stage 1 (rules prepare_dataset, fetch_cicids_day): the datasets as prepared tensors."""

from __future__ import annotations

import logging
from pathlib import Path

from advrepro import data

log = logging.getLogger("advrepro")


def prepare_dataset(
    dataset: str,
    root: str,
    mirrors: list[str],
    download: bool,
    out_path: str,
    cicids2018: dict | None = None,
    day_files: list[str] | None = None,
) -> None:
    prepared = data.prepare(
        dataset,
        Path(root) / dataset,
        mirrors,
        out_path,
        download=download,
        cicids2018=cicids2018,
        day_files=day_files,
    )
    log.info(
        "%s: %d train, %d test images %s",
        dataset,
        len(prepared["x_train"]),
        len(prepared["x_test"]),
        tuple(prepared["x_train"].shape[1:]),
    )


def fetch_cicids_day(retrieved: list[str], out_path: str, folder: str) -> None:
    from advrepro.data import cicids

    cicids.keep_fetched_day(retrieved, out_path, folder)
