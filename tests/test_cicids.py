"""CIC-IDS2018 acquisition and cleaning on generated day files in the published layout, with
every quirk of the real files (repeated headers, Infinity/NaN rates, the extra identifying
columns of one day, duplicates, a constant column)."""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading

import numpy as np
import pytest
import torch
import yaml
from conftest import copy_workflow, run_snakemake

from advrepro.data import cicids


@pytest.fixture
def day_files(tmp_path):
    plain = tmp_path / cicids.DAY_FILES[-1]
    with_ids = tmp_path / cicids.DAY_FILES[3]  # the Thuesday file: four extra columns
    expected = [
        cicids.write_synthetic_day(
            plain, 600, seed=0, repeated_headers=3, non_finite=5, duplicates=4
        ),
        cicids.write_synthetic_day(
            with_ids,
            400,
            seed=1,
            extra_columns=True,
            attack="DDoS attacks-LOIC-HTTP",
            repeated_headers=2,
            non_finite=2,
            duplicates=3,
        ),
    ]
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
    train_rows, _ = cicids.stratified_split(
        cicids.map_labels(frame[cicids.LABEL], "binary")[0], 0.3, 3
    )
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
        cicids.verify_days([tmp_path / cicids.DAY_FILES[-1]], tmp_path / "manifest.json")


def test_manifest_is_recorded_once_cleaned_and_catches_a_changed_copy(day_files, tmp_path):
    paths, _ = day_files
    manifest = tmp_path / "manifest.json"
    digests = cicids.verify_days(paths, manifest)
    assert not manifest.exists()  # nothing pinned before cleaning has accepted them
    cicids.record_days(digests, manifest)
    assert set(json.loads(manifest.read_text())) == {p.name for p in paths}
    cicids.verify_days(paths, manifest)  # unchanged: verifies
    with open(paths[0], "a") as handle:
        handle.write("1,2,3\n")
    with pytest.raises(cicids.CICDataError) as error:
        cicids.verify_days(paths, manifest)
    assert "differs from" in str(error.value) and str(manifest) in str(error.value)
    assert f'remove the entry "{paths[0].name}"' in str(error.value)


def _prepare_through_the_data_rule(paths, tmp_path):
    from advrepro import data

    cic = {
        "label_mapping": "binary",
        "test_fraction": 0.3,
        "split_seed": 0,
        "drop_constant_columns": False,
    }
    return data._assemble_cicids(cic, tmp_path / "raw", [str(p) for p in paths])


@pytest.fixture
def days_of_unknown_length(tmp_path):
    """Generated files under the names of published days whose length is not recorded
    (cicids2018_days.json), each with a label its day holds: the real data's path takes them
    as it would take the real files (a recorded day's length would refuse a generated one)."""
    paths = [tmp_path / cicids.DAY_FILES[7], tmp_path / cicids.DAY_FILES[3]]
    cicids.write_synthetic_day(paths[0], 600, seed=0, attack="Infilteration")
    cicids.write_synthetic_day(
        paths[1], 400, seed=1, extra_columns=True, attack="DDoS attacks-LOIC-HTTP"
    )
    return paths


def test_a_rejected_copy_is_not_pinned_and_its_good_replacement_is_accepted(
    days_of_unknown_length, tmp_path
):
    paths = days_of_unknown_length
    good = paths[0].read_bytes()
    paths[0].write_bytes(good[: len(good) // 2])  # cut mid-row
    with pytest.raises(cicids.CICDataError, match="does not end with a newline|fields"):
        _prepare_through_the_data_rule(paths, tmp_path)
    assert not (tmp_path / "raw" / "manifest.json").exists()
    paths[0].write_bytes(good)  # the user fetches a good copy
    prepared = _prepare_through_the_data_rule(paths, tmp_path)
    assert set(json.loads((tmp_path / "raw" / "manifest.json").read_text())) == {
        p.name for p in paths
    }
    assert len(prepared["y_train"]) > 0


def test_a_file_cut_mid_row_names_file_and_line(day_files):
    paths, _ = day_files
    text = paths[0].read_text()
    paths[0].write_text(text[: text.rindex("Bot") + 1])  # a label cut to "B"
    with pytest.raises(cicids.CICDataError, match=rf"{paths[0].name}: line \d+ does not end"):
        cicids.clean_day(paths[0])


def test_a_row_with_the_wrong_field_count_names_file_and_line(day_files):
    paths, _ = day_files
    lines = paths[0].read_text().splitlines(keepends=True)
    lines[5] = lines[5].rstrip("\n") + ",1\n"  # one field too many
    paths[0].write_text("".join(lines))
    with pytest.raises(cicids.CICDataError, match=rf"{paths[0].name}: line 6 has \d+ fields"):
        cicids.clean_day(paths[0])


def test_a_header_only_day_is_an_error_naming_it(day_files, tmp_path):
    paths, _ = day_files
    empty = tmp_path / cicids.DAY_FILES[0]
    empty.write_text(paths[0].read_text().splitlines(keepends=True)[0])
    for days in ([empty], [paths[0], empty]):
        with pytest.raises(cicids.CICDataError, match=rf"{empty.name}: no flow left"):
            cicids.clean_days(days)


def test_a_non_numeric_value_names_file_line_and_column(day_files):
    paths, _ = day_files
    lines = paths[0].read_text().splitlines(keepends=True)
    header = [c.strip() for c in lines[0].split(",")]
    fields = lines[7].split(",")
    fields[header.index("Flow Duration")] = "abc"
    lines[7] = ",".join(fields)
    paths[0].write_text("".join(lines))
    with pytest.raises(
        cicids.CICDataError, match=rf"{paths[0].name}: .*line 8, column 'Flow Duration': 'abc'"
    ):
        cicids.clean_day(paths[0])


def test_a_file_in_another_layout_is_named(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,Label\n1,2,Benign\n")
    with pytest.raises(cicids.CICDataError, match="bad.csv: not a CIC-IDS2018"):
        cicids.clean_day(bad)


# -- acquisition through the workflow: Snakemake's storage support against a local HTTP
# server that serves generated day files the way the public bucket serves the real ones
@pytest.fixture
def bucket(tmp_path):
    """A local "bucket" (a folder with a space in its name, as in the real one) over HTTP."""
    root = tmp_path / "bucket"
    folder = root / "Processed Traffic Data"
    folder.mkdir(parents=True)
    # published days whose length is not recorded (a recorded day's would refuse these)
    names = [cicids.DAY_FILES[7], cicids.DAY_FILES[3]]
    cicids.write_synthetic_day(folder / names[0], 500, seed=0, attack="Infilteration")
    cicids.write_synthetic_day(
        folder / names[1], 300, seed=1, extra_columns=True, attack="DDoS attacks-LOIC-HTTP"
    )
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/Processed%20Traffic%20Data/", folder, names
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _cic_layer(path, folder, url, names, download):
    path.write_text(
        yaml.safe_dump(
            {
                "data": {
                    "cicids2018": {
                        "folder": str(folder),
                        "bucket_url": url,
                        "days": names,
                        "download": download,
                    }
                }
            }
        )
    )
    return str(path)


@pytest.mark.slow
def test_day_files_come_from_the_folder_else_the_bucket_and_a_missing_one_is_explained(
    bucket, tmp_path
):
    url, served, names = bucket
    (tmp_path / "workflow").mkdir()
    workdir = copy_workflow(tmp_path / "workflow")
    empty = tmp_path / "no-copies-here"
    target = "results/data/cicids2018.pt"

    def snakemake(*args, layer):
        return run_snakemake(
            workdir, target, "--cores", "1", *args, overrides=(".test/config.yaml", layer)
        )

    # downloading off, nothing local: planned, and the job names the file and how to get it
    off = _cic_layer(tmp_path / "off.yaml", empty, url, names, False)
    result = snakemake(layer=off)
    assert result.returncode != 0
    assert f"{empty / names[0]}: CIC-IDS2018 day file missing" in result.stderr
    assert "no-sign-request" in result.stderr

    # downloading on: the dry run plans one fetch per day, then the run fetches, verifies, prepares
    on = _cic_layer(tmp_path / "on.yaml", empty, url, names, True)
    plan = snakemake("-n", layer=on)
    assert plan.returncode == 0, plan.stderr[-2000:]
    assert re.search(r"^fetch_cicids_day\s+2$", plan.stdout, re.M)
    result = snakemake(layer=on)
    assert result.returncode == 0, result.stderr[-3000:]
    fetched = workdir / "resources/datasets/cicids2018/fetched"
    for name in names:
        assert (fetched / name).read_bytes() == (served / name).read_bytes()
    manifest = json.loads((workdir / "resources/datasets/cicids2018/manifest.json").read_text())
    assert set(manifest) == set(names)
    prepared = torch.load(workdir / target, weights_only=True)
    assert prepared["cleaning"]["rows"] == 500 - 3 - 4 + 300 - 3 - 4
    assert prepared["x_train"].shape[1:] == (1, 1, 78)

    # a local folder with the files: nothing to fetch (the mirror is tried first)
    local = _cic_layer(tmp_path / "local.yaml", served, "http://127.0.0.1:9/unused/", names, False)
    plan = snakemake("-n", "--forcerun", "prepare_dataset", layer=local)
    assert plan.returncode == 0, plan.stderr[-2000:]
    assert "fetch_cicids_day" not in plan.stdout and re.search(
        r"^prepare_dataset\s+1$", plan.stdout, re.M
    )


# -- validity of flows in feature units (beside MCT Fig. 3) -----------------------------------
def test_clean_flows_pass_every_validity_check(day_files):
    paths, _ = day_files
    prepared = cicids.prepare(paths, seed=0)
    low, span = prepared["scaler"]["low"].numpy(), prepared["scaler"]["span"].numpy()
    for split in ("x_train", "x_test"):  # scaled to float32 and back: exact within the slack
        raw = cicids.unscale(prepared[split].numpy(), low, span)
        failed = cicids.invalid_flows(raw, prepared["features"], span)
        assert list(failed) == list(cicids.VALIDITY_CHECKS)
        assert not any(mask.any() for mask in failed.values())


def test_each_validity_check_finds_its_violation(day_files):
    paths, _ = day_files
    frame, _ = cicids.clean_days(paths)
    raw = frame[cicids.FEATURES].to_numpy(np.float64)[:5].copy()
    span = np.full(len(cicids.FEATURES), 1000.0)
    col = cicids.FEATURES.index
    raw[0, col("Flow Duration")] = -50.0  # negative duration
    raw[1, col("Tot Fwd Pkts")] += 0.4  # 0.4 of a packet
    raw[2, col("TotLen Fwd Pkts")] = raw[2, col("Fwd Pkt Len Max")] - 10  # total < largest packet
    raw[3, col("Protocol")] = 9.0  # not a protocol of the data set
    raw[4, col("Tot Fwd Pkts")] += 5e-4  # within the float32 slack: valid
    failed = cicids.invalid_flows(raw, cicids.FEATURES, span)
    as_rows = {check: np.flatnonzero(mask).tolist() for check, mask in failed.items()}
    assert as_rows == dict(zip(cicids.VALIDITY_CHECKS, ([0], [1], [2], [3])))


def test_validity_table_reports_shares_per_method_and_panel(day_files):
    from advrepro.reporting import flow_validity

    paths, _ = day_files
    prepared = cicids.prepare(paths, seed=0)
    x = prepared["x_test"][:40]
    shifted = (x + 0.013).clamp(0, 1)  # moves every feature off its grid of whole numbers
    sets = [
        {
            "experiment": "cic",
            "method": "MCT",
            "seed": seed,
            "attack": attack,
            "x": flows,
            "x_original": x,
        }
        for seed in (0, 1)
        for attack, flows in (("clean", x), ("cw_l2", shifted))
    ]
    spec = {
        "methods": ["MCT"],
        "panels": [{"label": "clean", "attack": "clean"}, {"label": "C&W L2", "attack": "cw_l2"}],
    }
    table = flow_validity.summarise(
        flow_validity.validity_rows(sets, prepared["scaler"], prepared["features"]), spec
    )
    anyrow = table[table.check == flow_validity.ANY].set_index("panel")
    assert anyrow.loc["clean", "share_mean"] == 0 and anyrow.loc["C&W L2", "share_mean"] == 1
    assert (anyrow.seeds == 2).all() and (anyrow.flows == 40).all()
    stamp = {"scale": "demo", "dataset": "cicids_synthetic", "paper_dataset": "cic_ids2018"}
    markdown = flow_validity.render_markdown(table, spec, stamp)
    assert anyrow.loc["clean", "changed"] == 0 and anyrow.loc["C&W L2", "changed"] == 1
    assert (
        "| MCT | C&W L2 | 40 | 100.0 | 100.0 ± 0.0 |" in markdown and "Not comparable" in markdown
    )


def test_evaluation_keeps_the_attacked_examples_in_order(tiny_model, tiny_splits):
    from advrepro.attacks import build_attack
    from advrepro.evaluation import evaluate

    attacked = tiny_splits.y_test < 3
    attack = build_attack("fgsm", tiny_model, eps=0.1)
    result = evaluate(
        tiny_model,
        attack,
        tiny_splits.x_test,
        tiny_splits.y_test,
        7,
        progress=False,
        attacked=attacked,
        keep_adversarial=True,
    )
    kept = result["adversarial_examples"]
    assert kept.shape == (int(attacked.sum()), *tiny_splits.x_test.shape[1:])
    delta = (kept - tiny_splits.x_test[attacked]).abs().flatten(1).amax(1)
    assert (delta <= 0.1 + 1e-6).all() and (delta > 0).any()
    assert "adversarial_examples" not in evaluate(
        tiny_model, attack, tiny_splits.x_test, tiny_splits.y_test, 7, progress=False
    )
