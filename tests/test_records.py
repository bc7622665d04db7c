"""The evaluation record's reader: a record that cannot be trusted is refused, naming the file
and how to rebuild it, wherever a table, figure or report reads it."""

from __future__ import annotations

import json

import pytest
from test_reporting import full_record, record_json

from advrepro.records import FORMAT, RecordError, TrainingProtocol, read_record
from advrepro.reporting import artifacts


def _written(tmp_path, **changes) -> str:
    record = {
        **record_json(**changes),
        "count": 4,
        "correct": [1, 1, 0, 1],
        "labels": [0, 1, 2, 3],
        "predicted": [0, 1, 5, 3],
        "accuracy": 0.75,
    }
    record.update(changes)
    path = tmp_path / "results/mnist/records/AT/seed0/pgd40.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))
    return str(path)


def test_a_sound_record_reads_back(tmp_path):
    record = read_record(_written(tmp_path))
    assert record.format == FORMAT and record.accuracy == 0.75
    assert isinstance(record.training, TrainingProtocol) and record.training.epochs_trained == 50
    assert record.setting("training.train.epochs") == 50
    assert "training.method_options.eps" in record.settings()


@pytest.mark.parametrize(
    "damage, named",
    [
        (lambda text: text[: len(text) // 2], "not a readable evaluation record"),
        (lambda text: text.replace('"accuracy": 0.75', '"accuracy": 0.95'), "3 of 4"),
        (lambda text: text.replace('"count": 4', '"count": 5'), "count 5 but 4"),
        (lambda text: text.replace(f'"format": {FORMAT}', '"format": 1'), "rerun its evaluation"),
        (lambda text: text.replace('"paper_attack": "pgd", ', ""), "lacks paper_attack"),
        (lambda text: text.replace('"seed": 0', '"seed": "0"'), "seed is str, not int"),
        (lambda text: text.replace('"auc": ', '"aucc": 1, "auc": '), "holds aucc, which no"),
        (lambda text: text.replace('"train_examples": 60000, ', ""), "lacks training.train_ex"),
        (
            lambda text: text.replace('"epochs_trained": 50', '"epochs_trained": "50"'),
            "training.epochs_trained is str, not int",
        ),
    ],
)
def test_a_cut_hand_edited_or_old_record_is_refused_naming_the_file(tmp_path, damage, named):
    path = _written(tmp_path)
    with open(path) as handle:
        text = handle.read()
    with open(path, "w") as handle:
        handle.write(damage(text))
    with pytest.raises(RecordError) as error:
        read_record(path)
    assert path in str(error.value) and named in str(error.value)
    assert "rebuild it" in str(error.value)


def test_the_table_job_refuses_a_cut_record_naming_it(tmp_path):
    sound, cut = _written(tmp_path), str(tmp_path / "cut.json")
    with open(sound) as handle:
        text = handle.read()
    with open(cut, "w") as handle:
        handle.write(text[:100])
    with pytest.raises(RecordError, match=str(cut)):
        artifacts.artifact_cells([sound, cut], {}, {}, "unused.csv", "paper", "abc")


def test_a_setting_is_read_by_its_declared_root():
    """Protocol entries name settings by dotted names under the record's declared fields; any
    other root is a mistake in the entry, not a setting the record lacks."""
    record = full_record(classifier={"n": 1})
    assert record.setting("classifier.n") == 1 and record.setting("classifier.k") is None
    assert record.setting("training.method_options.eps") == 0.3
    with pytest.raises(KeyError, match="acuracy is not a field of an evaluation record"):
        record.setting("acuracy")
