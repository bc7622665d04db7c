"""CIC-IDS2018 acquisition and cleaning on generated day files in the published layout, with
every quirk of the real files (repeated headers, Infinity/NaN rates, the extra identifying
columns of one day, duplicates, a constant column)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from advrepro.data import cicids


@pytest.fixture
def day_files(tmp_path):
    plain = tmp_path / cicids.DAY_FILES[-1]
    with_ids = tmp_path / cicids.DAY_FILES[3]  # the Thuesday file: four extra columns
    expected = [cicids.write_synthetic_day(plain, 600, seed=0, repeated_headers=3, non_finite=5, duplicates=4),
                cicids.write_synthetic_day(with_ids, 400, seed=1, extra_columns=True,
                                           attack="DDoS attacks-LOIC-HTTP", repeated_headers=2,
                                           non_finite=2, duplicates=3)]
    return [plain, with_ids], expected


def test_cleaning_counts_every_step_exactly(day_files):
    paths, expected = day_files
    frame, summary = cicids.clean_days(paths)
    for counts, want in zip(summary["files"], expected):
        assert counts["rows"] == want["rows"]
        assert counts["repeated_headers"] == want["repeated_headers"]
        assert counts["non_finite"] == want["non_finite"]
        assert counts["kept"] == want["kept"]
    assert summary["files"][0]["extra_columns"] == []
    assert summary["files"][1]["extra_columns"] == cicids.ID_COLUMNS
    assert summary["duplicates"] == sum(want["duplicates"] for want in expected)
    assert len(frame) == 600 - 5 - 4 + 400 - 2 - 3
    assert list(frame.columns) == cicids.FEATURES + [cicids.LABEL]  # 78 features, no IDs/Timestamp
    assert np.isfinite(frame[cicids.FEATURES].to_numpy()).all()
    assert summary["constant_columns"] == ["Bwd PSH Flags"]


def test_constant_columns_are_dropped_only_when_asked(day_files):
    paths, _ = day_files
    frame, summary = cicids.clean_days(paths, drop_constant_columns=True)
    assert "Bwd PSH Flags" not in frame.columns and summary["features"] == 77


def test_split_is_stratified_and_scaling_is_fitted_on_train_only(day_files):
    paths, _ = day_files
    prepared = cicids.prepare(paths, label_mapping="binary", test_fraction=0.3, seed=3)
    y_train, y_test = prepared["y_train"].numpy(), prepared["y_test"].numpy()
    for label in (0, 1):
        total = (y_train == label).sum() + (y_test == label).sum()
        assert abs((y_test == label).sum() - 0.3 * total) <= 1
    x_train = prepared["x_train"].flatten(1).numpy()
    x_test = prepared["x_test"].flatten(1).numpy()
    varying = prepared["scaler"]["span"].numpy() != 1.0
    # the training split spans exactly [0, 1] in every varying feature; the test split is only
    # clipped into it, so the scaler saw no test row
    assert np.allclose(x_train[:, varying].min(0), 0) and np.allclose(x_train[:, varying].max(0), 1)
    assert x_test.min() >= 0 and x_test.max() <= 1
    frame, _ = cicids.clean_days(paths)
    raw = frame[cicids.FEATURES].to_numpy(np.float32)
    train_rows, _ = cicids.stratified_split(cicids.map_labels(frame[cicids.LABEL], "binary")[0], 0.3, 3)
    assert np.allclose(prepared["scaler"]["low"].numpy(), raw[train_rows].min(0))


def test_label_mapping_families_and_unknown_labels(day_files):
    paths, _ = day_files
    frame, _ = cicids.clean_days(paths)
    mapping = {"benign": ["Benign"], "bot": ["Bot"], "ddos": ["DDoS attacks-LOIC-HTTP"]}
    y, classes = cicids.map_labels(frame[cicids.LABEL], mapping)
    assert classes == ["benign", "bot", "ddos"] and set(y) == {0, 1, 2}
    with pytest.raises(cicids.CICDataError, match="DDoS attacks-LOIC-HTTP"):
        cicids.map_labels(frame[cicids.LABEL], {"benign": ["Benign"], "bot": ["Bot"]})


def test_missing_file_names_it_and_how_to_get_it(tmp_path):
    with pytest.raises(cicids.CICDataError, match="Friday-02-03-2018.*no-sign-request"):
        cicids.acquire_days([cicids.DAY_FILES[-1]], tmp_path, tmp_path / "manifest.json")


def test_manifest_is_recorded_on_first_use_and_catches_a_changed_copy(day_files, tmp_path):
    paths, _ = day_files
    manifest = tmp_path / "manifest.json"
    names = [p.name for p in paths]
    cicids.acquire_days(names, paths[0].parent, manifest)
    assert set(json.loads(manifest.read_text())) == set(names)
    cicids.acquire_days(names, paths[0].parent, manifest)  # unchanged: verifies
    with open(paths[0], "a") as handle:
        handle.write("1,2,3\n")
    with pytest.raises(cicids.CICDataError, match="differs from .* recorded"):
        cicids.acquire_days(names, paths[0].parent, manifest)


def test_a_file_in_another_layout_is_named(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,Label\n1,2,Benign\n")
    with pytest.raises(cicids.CICDataError, match="bad.csv: not a CIC-IDS2018"):
        cicids.clean_day(bad)
