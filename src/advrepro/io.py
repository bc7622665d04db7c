"""Atomic file output: every artifact is written to a temporary file and renamed into place,
so a killed job never leaves a half-written checkpoint, record or table behind."""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)


class OutputError(OSError):
    """An output could not be written (a full disk, most often); names the file and the fix."""


class UnreadableFileError(RuntimeError):
    """A file exists but cannot be read (truncated or corrupt); names the file and the fix."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temporary_name_pattern(path: Path) -> re.Pattern:
    """The names ``atomic_path`` gives the temporary files of ``path``: mkstemp's prefix, 8
    random characters, suffix (so ``.seed0.pt.*`` never matches another file's, ``seed0.pt.x``)."""
    return re.compile(rf"\.{re.escape(path.name)}\.[a-z0-9_]{{8}}\.tmp")


def remove_leftovers(path: str | os.PathLike) -> list[Path]:
    """Delete the temporary files of earlier writes of ``path`` that never finished: a job
    killed (kill -9, a node lost) while writing leaves one behind, and ``atomic_path`` can
    no longer remove it. Only one job ever writes a given path (Snakemake locks its outputs,
    and advrepro.runlock keeps two runs out of one working directory), so a temporary file of
    ``path`` that exists when a new write begins is always such a leftover."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    pattern = _temporary_name_pattern(path)
    removed = [p for p in path.parent.iterdir() if pattern.fullmatch(p.name)]
    for leftover in removed:
        leftover.unlink(missing_ok=True)
        log.info("removed %s, left by an interrupted write of %s", leftover, path)
    return removed


def _megabytes(size: int) -> str:
    return f"{size / 2**20:,.0f} MB"


def _write_failed(path: Path, error: Exception) -> OutputError:
    """The error a failed write raises: the file, why, and the fix. torch reports a full disk
    as a RuntimeError with no errno ('basic_ios::clear: iostream error', 'unexpected pos'),
    so the free space is measured after the failure."""
    free = shutil.disk_usage(path.parent).free
    full = getattr(error, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or free < 64 * 2**20
    cause = (
        f"the disk is full ({_megabytes(free)} free on the file system of {path.parent})"
        if full
        else f"{_megabytes(free)} free on the file system of {path.parent}"
    )
    return OutputError(
        f"{path}: could not be written ({type(error).__name__}: {error}); {cause}. Nothing "
        f"was replaced and the partial copy was removed: "
        + (
            "free space there (or move the results to a larger disk) and rerun; finished "
            "outputs are kept and a killed training job resumes from its last checkpoint"
            if full
            else "check that the folder is writable and the file system healthy, then rerun"
        )
    )


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success. The
    file gets the mode a plain ``open`` would give it (0666 less the umask), not mkstemp's
    private 0600, so a group sharing a cluster file system can read the results. Leftovers
    of an earlier write that was killed are removed first (``remove_leftovers``); a write
    that fails (a full disk) raises OutputError naming the file and the fix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except (OSError, RuntimeError) as error:
        tmp_path.unlink(missing_ok=True)  # first: the free space is measured without it
        if isinstance(error, OutputError):
            raise
        raise _write_failed(path, error) from error
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=1, sort_keys=True) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    with open(path) as handle:
        return json.load(handle)


# torch is imported where a torch file is read or written, so that reporting jobs, which read
# JSON records only, start without it (about 2 s per job on a CPU)
def save_torch(path: str | os.PathLike, obj: Any) -> None:
    import torch

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def load_torch(
    path: str | os.PathLike,
    map_location: str | torch.device = "cpu",
    fix: str = "delete it and rerun: Snakemake makes it again",
) -> Any:
    """Load a checkpoint or tensor file; only tensors and plain Python types are accepted. A
    missing file raises FileNotFoundError; one that cannot be read (cut short, corrupt, or
    holding objects ``weights_only`` refuses) raises UnreadableFileError naming the file and
    ``fix``."""
    import torch

    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as error:  # torch raises several types for a damaged file
        detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise UnreadableFileError(
            f"{path}: cannot be read ({type(error).__name__}{': ' + detail if detail else ''}"
            "); the file is truncated or corrupt (a copy cut short, a disk that filled up), or "
            f"not a file this workflow wrote: {fix}"
        ) from error
