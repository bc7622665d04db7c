"""CSE-CIC-IDS2018 (Sharafaldin et al. 2018), MCT's third dataset: the published CICFlowMeter
CSV files, one per capture day ("Processed Traffic Data for ML Algorithms" in the public
bucket), cleaned into 78 numeric flow features in [0, 1] and integer labels.

Cleaning, with counts logged per file and step (``clean_day``, ``clean_days``):
  1. repeated header rows inside a file (the day files repeat their header) are skipped;
  2. the identifying columns one day file carries in addition (Flow ID, Src IP, Src Port,
     Dst IP) and the Timestamp are not read;
  3. rows with Infinity or NaN (the rate columns Flow Byts/s and Flow Pkts/s) are dropped;
  4. duplicate rows (features and label) are dropped, across all files;
  5. constant columns are reported, and dropped only with ``drop_constant_columns`` (the paper
     keeps 78 features).
Files are read in typed chunks, so a 1-million-row day takes bounded memory.

Labels (``label_mapping``): "binary" (Benign -> legitimate, every attack -> illegitimate) or
a dict of class name -> list of the published labels (attack families). Split: seeded,
stratified, ``test_fraction`` 0.3. Scaling: min-max fitted on the training split only; test
values outside the training range are clipped to [0, 1]. Choices and the day subset that
matches the paper's counts: docs/decisions.md, "CIC-IDS2018".
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

# The published header (every day file; Thuesday-20-02-2018 has ID_COLUMNS in addition).
FEATURES = [
    "Dst Port",
    "Protocol",
    "Flow Duration",
    "Tot Fwd Pkts",
    "Tot Bwd Pkts",
    "TotLen Fwd Pkts",
    "TotLen Bwd Pkts",
    "Fwd Pkt Len Max",
    "Fwd Pkt Len Min",
    "Fwd Pkt Len Mean",
    "Fwd Pkt Len Std",
    "Bwd Pkt Len Max",
    "Bwd Pkt Len Min",
    "Bwd Pkt Len Mean",
    "Bwd Pkt Len Std",
    "Flow Byts/s",
    "Flow Pkts/s",
    "Flow IAT Mean",
    "Flow IAT Std",
    "Flow IAT Max",
    "Flow IAT Min",
    "Fwd IAT Tot",
    "Fwd IAT Mean",
    "Fwd IAT Std",
    "Fwd IAT Max",
    "Fwd IAT Min",
    "Bwd IAT Tot",
    "Bwd IAT Mean",
    "Bwd IAT Std",
    "Bwd IAT Max",
    "Bwd IAT Min",
    "Fwd PSH Flags",
    "Bwd PSH Flags",
    "Fwd URG Flags",
    "Bwd URG Flags",
    "Fwd Header Len",
    "Bwd Header Len",
    "Fwd Pkts/s",
    "Bwd Pkts/s",
    "Pkt Len Min",
    "Pkt Len Max",
    "Pkt Len Mean",
    "Pkt Len Std",
    "Pkt Len Var",
    "FIN Flag Cnt",
    "SYN Flag Cnt",
    "RST Flag Cnt",
    "PSH Flag Cnt",
    "ACK Flag Cnt",
    "URG Flag Cnt",
    "CWE Flag Count",
    "ECE Flag Cnt",
    "Down/Up Ratio",
    "Pkt Size Avg",
    "Fwd Seg Size Avg",
    "Bwd Seg Size Avg",
    "Fwd Byts/b Avg",
    "Fwd Pkts/b Avg",
    "Fwd Blk Rate Avg",
    "Bwd Byts/b Avg",
    "Bwd Pkts/b Avg",
    "Bwd Blk Rate Avg",
    "Subflow Fwd Pkts",
    "Subflow Fwd Byts",
    "Subflow Bwd Pkts",
    "Subflow Bwd Byts",
    "Init Fwd Win Byts",
    "Init Bwd Win Byts",
    "Fwd Act Data Pkts",
    "Fwd Seg Size Min",
    "Active Mean",
    "Active Std",
    "Active Max",
    "Active Min",
    "Idle Mean",
    "Idle Std",
    "Idle Max",
    "Idle Min",
]
TIMESTAMP, LABEL = "Timestamp", "Label"
HEADER = FEATURES[:2] + [TIMESTAMP] + FEATURES[2:] + [LABEL]
ID_COLUMNS = ["Flow ID", "Src IP", "Src Port", "Dst IP"]
BENIGN = "Benign"

DAY_FILES = [
    "Wednesday-14-02-2018_TrafficForML_CICFlowMeter.csv",
    "Thursday-15-02-2018_TrafficForML_CICFlowMeter.csv",
    "Friday-16-02-2018_TrafficForML_CICFlowMeter.csv",
    "Thuesday-20-02-2018_TrafficForML_CICFlowMeter.csv",  # sic: the published name
    "Wednesday-21-02-2018_TrafficForML_CICFlowMeter.csv",
    "Thursday-22-02-2018_TrafficForML_CICFlowMeter.csv",
    "Friday-23-02-2018_TrafficForML_CICFlowMeter.csv",
    "Wednesday-28-02-2018_TrafficForML_CICFlowMeter.csv",
    "Thursday-01-03-2018_TrafficForML_CICFlowMeter.csv",
    "Friday-02-03-2018_TrafficForML_CICFlowMeter.csv",
]
HOW_TO_GET = (
    "get it from the public bucket (no account needed): aws s3 cp --no-sign-request "
    '"s3://cse-cic-ids2018/Processed Traffic Data for ML Algorithms/{name}" <folder>, '
    "or set data.cicids2018.download: true to fetch it through Snakemake's storage support"
)


class CICDataError(RuntimeError):
    """A day file is missing, corrupt or not in the published layout."""


@functools.cache
def published_days() -> dict[str, dict]:
    """Day file name -> what the published file holds: its ``labels`` and, where known, its
    number of ``lines`` after the header (``cicids2018_days.json``; data, not code)."""
    from importlib import resources

    text = resources.files("advrepro.data").joinpath("cicids2018_days.json").read_text()
    return json.loads(text)["days"]


def published_labels(name: str) -> list[str]:
    """The labels a day file of this name may hold: its day's, or any published day's for a
    name that is not a published day's."""
    day = published_days().get(name)
    if day is not None:
        return day["labels"]
    return list(dict.fromkeys(label for d in published_days().values() for label in d["labels"]))


# -- acquisition ------------------------------------------------------------------------------
def _sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


def verify_days(paths: list[str | Path], manifest: str | Path) -> dict[str, str]:
    """SHA-256 of each day file, checked against ``manifest`` (file name -> SHA-256) where it
    has an entry, so a copy that changed or was truncated since it was accepted is caught.
    Nothing is recorded here: ``record_days`` does that once the files have been cleaned
    without error, so a rejected (empty, truncated, corrupt) copy is never pinned. The files
    come from the local folder or the public bucket through Snakemake's storage support
    (rules prepare_dataset and fetch_cicids_day)."""
    manifest = Path(manifest)
    known = json.loads(manifest.read_text()) if manifest.is_file() else {}
    digests = {}
    for path in map(Path, paths):
        if not path.is_file():
            raise CICDataError(
                f"{path}: CIC-IDS2018 day file missing; " + HOW_TO_GET.format(name=path.name)
            )
        digests[path.name] = digest = _sha256(path)
        if path.name in known and known[path.name] != digest:
            raise CICDataError(
                f"{path}: sha256 {digest} differs from {known[path.name]}, recorded in the "
                f"manifest {manifest} when this file was first prepared; the copy changed or "
                "is truncated: delete it and fetch it again ("
                + HOW_TO_GET.format(name=path.name)
                + f'). If the new copy is the right one, remove the entry "{path.name}" from '
                f"{manifest} (or delete the manifest) and rerun"
            )
    return digests


def record_days(digests: dict[str, str], manifest: str | Path) -> None:
    """Add the digests of day files that were cleaned without error to ``manifest``."""
    manifest = Path(manifest)
    known = json.loads(manifest.read_text()) if manifest.is_file() else {}
    known.update(digests)
    manifest.parent.mkdir(parents=True, exist_ok=True)
    partial = manifest.with_suffix(".part")
    partial.write_text(json.dumps(known, indent=1, sort_keys=True) + "\n")
    partial.replace(manifest)


def keep_fetched_day(
    retrieved: list[str | Path], destination: str | Path, folder: str | Path
) -> None:
    """Rule fetch_cicids_day: keep the copy Snakemake retrieved from the bucket (written
    atomically: a killed job leaves no half file). No retrieved copy means downloading is
    off: the error names the file, the folder it was looked for in and how to get it."""
    destination = Path(destination)
    if not retrieved:
        raise CICDataError(
            f"{Path(folder).expanduser() / destination.name}: CIC-IDS2018 day file "
            "missing (data.cicids2018.folder); " + HOW_TO_GET.format(name=destination.name)
        )
    partial = destination.with_suffix(".part")
    shutil.copyfile(retrieved[0], partial)
    partial.replace(destination)
    log.info("fetched %s (%d bytes)", destination.name, destination.stat().st_size)


# -- cleaning ---------------------------------------------------------------------------------
class _SkipRepeatedHeaders:
    """A text stream of a day file without the copies of its first line that the files
    repeat. It checks the layout as it reads: every line ends with a newline (a file cut off
    mid-row does not) and has the header's number of fields, so a truncated or misaligned file
    is an error naming file and line, never a row silently dropped or mislabelled."""

    def __init__(self, handle, path: Path):
        self.handle, self.path = handle, path
        self.header = handle.readline()
        self.fields = self.header.count(",") + 1
        self.line = 1  # physical lines read
        self.skipped = 0
        self._first = True

    def read(self, size: int = -1) -> str:
        if self._first:
            self._first = False
            return self.header
        lines, total = [], 0
        while size < 0 or total < size:
            line = self.handle.readline()
            if not line:
                break
            self.line += 1
            if line == self.header:
                self.skipped += 1
                continue
            if not line.endswith("\n"):
                raise CICDataError(
                    f"{self.path}: line {self.line} does not end with a newline: "
                    "the file is cut short; fetch it again"
                )
            if line.count(",") + 1 != self.fields:
                raise CICDataError(
                    f"{self.path}: line {self.line} has {line.count(',') + 1} "
                    f"fields, the header {self.fields}; the file is truncated "
                    "or not in the published layout: fetch it again"
                )
            lines.append(line)
            total += len(line)
        return "".join(lines)


def _first_non_numeric(path: Path, stream: _SkipRepeatedHeaders) -> str:
    """'line L, column C: 'value'' of the first feature value that is not a number (the error
    path only: one pass with the csv module)."""
    import csv

    with open(path, newline="", encoding=ENCODING) as handle:
        reader = csv.reader(handle)
        header = [c.strip() for c in next(reader)]
        columns = [(header.index(c), c) for c in FEATURES]
        for number, row in enumerate(reader, start=2):
            if [c.strip() for c in row] == header:
                continue
            for index, name in columns:
                try:
                    float(row[index])
                except ValueError:
                    return f"line {number}, column '{name}': {row[index]!r}"
    return f"near line {stream.line}"


def _first_line_with_label(path: Path, labels: set[str]) -> tuple[int, str]:
    """(line, label) of the first row whose label is one of ``labels`` (the error path only:
    one pass with the csv module)."""
    import csv

    with open(path, newline="", encoding=ENCODING) as handle:
        reader = csv.reader(handle)
        header = [c.strip() for c in next(reader)]
        column = header.index(LABEL)
        for number, row in enumerate(reader, start=2):
            if len(row) > column and row[column].strip() in labels:
                return number, row[column].strip()
    return 0, sorted(labels)[0]


def _check_labels(path: Path, labels: pd.Series) -> None:
    """Every label must be one the day holds: a file cut inside its last field (``head -c``)
    keeps every field of its last row but a cut label ("Ben"), which a binary mapping would
    otherwise count as an attack."""
    allowed = published_labels(path.name)
    unknown = set(labels.unique()) - set(allowed)
    if unknown:
        line, label = _first_line_with_label(path, unknown)
        raise CICDataError(
            f"{path}: line {line}: label {label!r} is not one of this day file's "
            f"({', '.join(allowed)}); a row cut inside its label (the file cut short) or an "
            "edited file: fetch it again (" + HOW_TO_GET.format(name=path.name) + ")"
        )


# The published files are plain UTF-8 (ASCII). A copy saved again by a spreadsheet program
# may start with a byte-order mark, which would glue itself to the first column's name: read
# as "utf-8-sig", it is skipped (the values are the same; the SHA-256 pins the copy as it is).
ENCODING = "utf-8-sig"


def clean_day(
    path: str | Path, chunk_rows: int = 200_000, published: bool = False
) -> tuple[pd.DataFrame, dict]:
    """One day file -> (float32 features + string label, counts of each cleaning step).
    Every label must be one its day holds (``published_labels``); with ``published`` (the
    real data set, not generated files), a day whose number of lines is known must have it."""
    path = Path(path)
    if not path.is_file():
        raise CICDataError(f"{path}: day file missing; " + HOW_TO_GET.format(name=path.name))
    try:
        return _clean_day(path, chunk_rows, published)
    except UnicodeDecodeError as error:
        raise CICDataError(
            f"{path}: not UTF-8 text (byte {error.start} of a block: {error.reason}); the "
            "published files are plain text: a copy saved in another encoding (e.g. UTF-16 "
            "by a spreadsheet program) or a corrupt one: fetch it again"
        ) from None


def _clean_day(path: Path, chunk_rows: int, published: bool) -> tuple[pd.DataFrame, dict]:
    with open(path, newline="", encoding=ENCODING) as handle:
        stream = _SkipRepeatedHeaders(handle, path)
        columns = [c.strip() for c in stream.header.rstrip("\r\n").split(",")]
        missing = [c for c in FEATURES + [LABEL] if c not in columns]
        if missing:
            raise CICDataError(
                f"{path}: not a CIC-IDS2018 CICFlowMeter file: its header (line 1, "
                f"{stream.header[:40]!r}...) lacks the columns "
                f"{missing[:5]}{'...' if len(missing) > 5 else ''}; fetch the published file "
                "again"
            )
        counts = {
            "file": path.name,
            "rows": 0,
            "repeated_headers": 0,
            "extra_columns": [c for c in ID_COLUMNS if c in columns],
            "non_finite": 0,
        }
        dtypes = {c: np.float64 for c in FEATURES} | {LABEL: "category"}
        parts = []
        # index_col=False: a row with an extra field can never shift the columns silently
        reader = pd.read_csv(
            stream,
            usecols=FEATURES + [LABEL],
            dtype=dtypes,
            chunksize=chunk_rows,
            skipinitialspace=True,
            index_col=False,
        )
        try:
            for chunk in reader:
                counts["rows"] += len(chunk)
                values = chunk[FEATURES].to_numpy()
                finite = np.isfinite(values).all(1)
                counts["non_finite"] += int((~finite).sum())
                part = pd.DataFrame(values[finite].astype(np.float32), columns=FEATURES)
                part[LABEL] = chunk[LABEL].to_numpy()[finite]
                parts.append(part)
        except ValueError as error:
            if isinstance(error, CICDataError):
                raise
            raise CICDataError(
                f"{path}: a value that is not a number at "
                f"{_first_non_numeric(path, stream)} ({error}); the file is not "
                "in the published layout or is corrupt: fetch it again"
            ) from None
        counts["repeated_headers"] = stream.skipped
        lines = stream.line - 1  # after the header, repeated headers included
    frame = (
        pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FEATURES + [LABEL])
    )
    if frame.empty:
        raise CICDataError(
            f"{path}: no flow left ({counts['rows']} data rows, "
            f"{counts['non_finite']} with Infinity/NaN): an empty or header-only "
            "copy; fetch it again"
        )
    _check_labels(path, frame[LABEL])
    expected = published_days().get(path.name, {}).get("lines") if published else None
    if expected is not None and lines != expected:
        raise CICDataError(
            f"{path}: {lines:,} lines after the header (the last is line {lines + 1:,}), the "
            f"published file has {expected:,}: a copy cut short (or joined to another); "
            "fetch it again (" + HOW_TO_GET.format(name=path.name) + ")"
        )
    counts["kept"] = len(frame)
    log.info(
        "%s: %d rows, %d repeated headers skipped, extra columns %s not read, %d rows "
        "with Infinity/NaN dropped, %d kept",
        path.name,
        counts["rows"],
        counts["repeated_headers"],
        counts["extra_columns"] or "none",
        counts["non_finite"],
        counts["kept"],
    )
    return frame, counts


def clean_days(
    paths: list[str | Path],
    drop_constant_columns: bool = False,
    chunk_rows: int = 200_000,
    published: bool = False,
) -> tuple[pd.DataFrame, dict]:
    """Every day file cleaned, then duplicates dropped and constant columns handled. A day
    listed twice is an error: its rows would all be dropped as duplicates of themselves."""
    names = [Path(p).name for p in paths]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise CICDataError(
            f"day file {', '.join(repeated)} listed more than once (config key "
            "'data.cicids2018.days'): list each day once"
        )
    frames, per_file = zip(*(clean_day(p, chunk_rows, published) for p in paths))
    frame = pd.concat(frames, ignore_index=True)
    frame[LABEL] = frame[LABEL].astype(str)
    duplicated = frame.duplicated()
    frame = frame[~duplicated].reset_index(drop=True)
    constant = [c for c in FEATURES if frame[c].nunique() <= 1]
    if drop_constant_columns:
        frame = frame.drop(columns=constant)
    summary = {
        "files": list(per_file),
        "duplicates": int(duplicated.sum()),
        "constant_columns": constant,
        "constant_columns_dropped": drop_constant_columns,
        "rows": len(frame),
        "features": frame.shape[1] - 1,
        "labels": frame[LABEL].value_counts().to_dict(),
    }
    log.info(
        "all files: %d duplicate rows dropped, %d constant columns (%s), %d rows x %d "
        "features kept",
        summary["duplicates"],
        len(constant),
        "dropped" if drop_constant_columns else "kept",
        len(frame),
        summary["features"],
    )
    return frame, summary


# -- labels, split, scaling ---------------------------------------------------------------------
def map_labels(labels: pd.Series, mapping: str | dict) -> tuple[np.ndarray, list[str]]:
    """Integer labels and class names. "binary": Benign -> 0 (legitimate), else 1."""
    if mapping == "binary":
        return (labels != BENIGN).to_numpy().astype(np.int64), ["legitimate", "illegitimate"]
    classes = list(mapping)
    lookup = {raw: index for index, name in enumerate(classes) for raw in mapping[name]}
    unknown = sorted(set(labels.unique()) - set(lookup))
    if unknown:
        raise CICDataError(
            f"label_mapping has no class for the labels {unknown}; add them to one of its classes"
        )
    return labels.map(lookup).to_numpy().astype(np.int64), classes


def stratified_split(
    y: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays (train, test), each class split in the same proportion."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        cut = int(round(len(members) * test_fraction))
        test.append(members[:cut])
        train.append(members[cut:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def minmax_scaler(x_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature (low, range) of the training split; a constant feature gets range 1."""
    low = x_train.min(0)
    span = x_train.max(0) - low
    return low, np.where(span > 0, span, 1.0).astype(np.float32)


def scale(x: np.ndarray, low: np.ndarray, span: np.ndarray) -> np.ndarray:
    return np.clip((x - low) / span, 0.0, 1.0).astype(np.float32)


def prepare(
    paths: list[str | Path],
    label_mapping: str | dict = "binary",
    test_fraction: float = 0.3,
    seed: int = 0,
    drop_constant_columns: bool = False,
    chunk_rows: int = 200_000,
    published: bool = False,
) -> dict:
    """The prepared dataset: flows as float32 (N, 1, 1, features) in [0, 1] (one "image row"
    per flow: the models take image-shaped inputs), labels, class names, the scaler (to map
    adversarial flows back to feature units) and the cleaning summary. ``published``: the
    files are the real day files, whose known lengths are checked (``clean_day``)."""
    import torch

    frame, summary = clean_days(paths, drop_constant_columns, chunk_rows, published)
    features = [c for c in frame.columns if c != LABEL]
    y, classes = map_labels(frame[LABEL], label_mapping)
    x = frame[features].to_numpy(np.float32)
    train, test = stratified_split(y, test_fraction, seed)
    low, span = minmax_scaler(x[train])

    def tensor(rows):
        return torch.from_numpy(scale(x[rows], low, span)).view(len(rows), 1, 1, -1)

    summary.update(train=len(train), test=len(test), classes=classes)
    return {
        "x_train": tensor(train),
        "y_train": torch.from_numpy(y[train]),
        "x_test": tensor(test),
        "y_test": torch.from_numpy(y[test]),
        "classes": classes,
        "features": features,
        "scaler": {"low": torch.from_numpy(low), "span": torch.from_numpy(span)},
        "cleaning": summary,
    }


# -- validity of (adversarial) flows in feature units ----------------------------------------
# Features that count packets, bytes, flags or header bytes, or name a port or protocol: a
# real flow has whole numbers there. (Means, rates, standard deviations and times may be
# fractional: CICFlowMeter writes durations in microseconds as floats.)
INTEGER_FEATURES = [
    "Dst Port",
    "Protocol",
    "Tot Fwd Pkts",
    "Tot Bwd Pkts",
    "TotLen Fwd Pkts",
    "TotLen Bwd Pkts",
    "Fwd Pkt Len Max",
    "Fwd Pkt Len Min",
    "Bwd Pkt Len Max",
    "Bwd Pkt Len Min",
    "Fwd PSH Flags",
    "Bwd PSH Flags",
    "Fwd URG Flags",
    "Bwd URG Flags",
    "Fwd Header Len",
    "Bwd Header Len",
    "Pkt Len Min",
    "Pkt Len Max",
    "FIN Flag Cnt",
    "SYN Flag Cnt",
    "RST Flag Cnt",
    "PSH Flag Cnt",
    "ACK Flag Cnt",
    "URG Flag Cnt",
    "CWE Flag Count",
    "ECE Flag Cnt",
    "Subflow Fwd Pkts",
    "Subflow Fwd Byts",
    "Subflow Bwd Pkts",
    "Subflow Bwd Byts",
    "Fwd Act Data Pkts",
]
# Counts and durations that cannot be negative (Init Fwd/Bwd Win Byts use -1 for "none" and
# the IAT minima can be negative in the published files, so they are not checked).
NON_NEGATIVE_FEATURES = [
    f for f in INTEGER_FEATURES if f not in ("Fwd Header Len", "Bwd Header Len")
] + [
    "Flow Duration",
    "Fwd IAT Tot",
    "Bwd IAT Tot",
    "Active Mean",
    "Active Max",
    "Idle Mean",
    "Idle Max",
]
# (smaller, larger) pairs a real flow satisfies: total bytes at least the largest packet,
# minimum at most maximum, mean between them
ORDERED_PAIRS = [
    ("Fwd Pkt Len Max", "TotLen Fwd Pkts"),
    ("Bwd Pkt Len Max", "TotLen Bwd Pkts"),
    ("Fwd Pkt Len Min", "Fwd Pkt Len Max"),
    ("Bwd Pkt Len Min", "Bwd Pkt Len Max"),
    ("Pkt Len Min", "Pkt Len Max"),
    ("Fwd Pkt Len Min", "Fwd Pkt Len Mean"),
    ("Fwd Pkt Len Mean", "Fwd Pkt Len Max"),
    ("Bwd Pkt Len Min", "Bwd Pkt Len Mean"),
    ("Bwd Pkt Len Mean", "Bwd Pkt Len Max"),
]
VALIDITY_CHECKS = (
    "negative count or duration",
    "fractional count",
    "broken relation (e.g. total bytes < max packet length)",
    "protocol not 0/6/17",
)


def unscale(x: np.ndarray, low: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Flows in [0, 1] (any shape ending in the features) -> feature units (float64)."""
    flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    return flat * np.asarray(span, dtype=np.float64) + np.asarray(low, dtype=np.float64)


def invalid_flows(raw: np.ndarray, features: list[str], span: np.ndarray) -> dict[str, np.ndarray]:
    """Per check of VALIDITY_CHECKS, a bool mask of the flows (rows of ``raw``, feature units)
    that no real flow could have. Tolerances follow the scaling: a value stored as float32 in
    [0, 1] and scaled back is exact only to ~1e-7 of the feature's range (``span``), so a
    clean flow passes every check."""
    column = {name: i for i, name in enumerate(features)}
    slack = 1e-6 * np.asarray(span, dtype=np.float64) + 1e-3

    def pick(names):
        names = [n for n in names if n in column]  # a dropped constant column is not checked
        index = [column[n] for n in names]
        return raw[:, index], slack[index]

    values, tol = pick(NON_NEGATIVE_FEATURES)
    negative = (values < -tol).any(1)
    values, tol = pick(INTEGER_FEATURES)
    fractional = (np.abs(values - np.round(values)) > tol).any(1)
    broken = np.zeros(len(raw), dtype=bool)
    for smaller, larger in ORDERED_PAIRS:
        if smaller in column and larger in column:
            a, b = raw[:, column[smaller]], raw[:, column[larger]]
            broken |= a > b + slack[column[smaller]] + slack[column[larger]]
    protocol = np.zeros(len(raw), dtype=bool)
    if "Protocol" in column:  # the published files hold only 0 (HOPOPT), 6 (TCP) and 17 (UDP)
        protocol = ~np.isin(np.round(raw[:, column["Protocol"]]), (0, 6, 17))
    return dict(zip(VALIDITY_CHECKS, (negative, fractional, broken, protocol)))


# -- synthetic day files (tests and the offline demo; never a stand-in for the real data) ------
def _make_consistent(values: np.ndarray) -> None:
    """Generated flows obey the relations a real flow does (ORDERED_PAIRS), so the validity
    checks find nothing wrong with clean synthetic flows either."""
    index = FEATURES.index
    for prefix in ("Fwd", "Bwd"):
        trio = [index(f"{prefix} Pkt Len {stat}") for stat in ("Min", "Mean", "Max")]
        values[:, trio] = np.sort(values[:, trio], axis=1)
        total = index(f"TotLen {prefix} Pkts")
        values[:, total] = np.maximum(values[:, total], values[:, trio[2]])
    pair = [index("Pkt Len Min"), index("Pkt Len Max")]
    values[:, pair] = np.sort(values[:, pair], axis=1)


def write_synthetic_day(
    path: str | Path,
    rows: int,
    seed: int = 0,
    attack: str = "Bot",
    attack_share: float = 0.3,
    extra_columns: bool = False,
    repeated_headers: int = 2,
    non_finite: int = 3,
    duplicates: int = 4,
    chunk_rows: int = 100_000,
) -> dict:
    """A day file in the published layout with every quirk of the real ones, for tests and
    the offline demo (labelled synthetic there): ``rows`` data rows, of which ``duplicates``
    repeat an earlier row and ``non_finite`` have Infinity or NaN in a rate column, plus
    ``repeated_headers`` copies of the header inside the file; with ``extra_columns`` the four
    identifying columns of the Thuesday file. The two classes differ in a few features (ports,
    duration, packet counts), so a model can learn them. Returns the expected clean counts."""
    rng = np.random.default_rng(seed)
    path = Path(path)
    columns = (ID_COLUMNS if extra_columns else []) + HEADER
    header_line = ",".join(columns) + "\n"
    header_rows = (
        set(rng.choice(np.arange(1, rows), size=repeated_headers, replace=False).tolist())
        if rows > 1
        else set()
    )
    written = 0
    with open(path, "w", newline="") as handle:
        handle.write(header_line)
        while written < rows:
            n = min(chunk_rows, rows - written)
            is_attack = rng.random(n) < attack_share
            values = rng.gamma(2.0, 50.0, size=(n, len(FEATURES))).round(0)
            values[:, 0] = np.where(is_attack, 8080, rng.choice([80, 443, 53], size=n))
            values[:, 1] = np.where(is_attack, 6, rng.choice([6, 17], size=n))
            values[:, 2] = np.where(
                is_attack, rng.integers(1, 5_000, n), rng.integers(1_000, 10**7, n)
            )
            values[:, 3] = np.where(is_attack, rng.integers(1, 4, n), rng.integers(1, 200, n))
            values[:, FEATURES.index("Bwd PSH Flags")] = 0  # constant in the real files too
            _make_consistent(values)
            frame = pd.DataFrame(values, columns=FEATURES)
            frame.insert(2, TIMESTAMP, "02/03/2018 08:34:29")
            frame[LABEL] = np.where(is_attack, attack, BENIGN)
            if extra_columns:
                for i, name in enumerate(ID_COLUMNS):
                    frame.insert(
                        i,
                        name,
                        [
                            "172.31.0.2-18.219.211.138-80-49684-6",
                            "172.31.0.2",
                            "49684",
                            "18.219.211.138",
                        ][i],
                    )
            if written == 0:
                frame["Flow Byts/s"] = frame["Flow Byts/s"].astype(object)
                rate = frame.columns.get_loc("Flow Byts/s")
                for k in range(non_finite):
                    frame.iat[1 + k, rate] = ["Infinity", "NaN"][k % 2]
                for k in range(duplicates):  # exact copies of earlier finite rows
                    frame.iloc[n - 1 - k] = frame.iloc[n // 2 - k]
            lines = frame.to_csv(index=False, header=False, lineterminator="\n").splitlines(
                keepends=True
            )
            for i, line in enumerate(lines):
                if written + i in header_rows:
                    handle.write(header_line)
                handle.write(line)
            written += n
    return {
        "rows": rows,
        "repeated_headers": len(header_rows),
        "non_finite": non_finite,
        "duplicates": duplicates,
        "kept": rows - non_finite,
    }
