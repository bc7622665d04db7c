"""Nothing is lost when two runs, a full disk or a cut file meet the workflow, and every error
names its file and fix (issue #35): two runs in one working directory, a CIC day file cut at a
line end, a model file of another method at a model path, the leftovers of a killed write,
budgets that cannot be meant, YAML that PyYAML accepts silently, repeated seeds and days, a
malformed reported-results CSV, a truncated dataset file, a full disk, a byte-order mark,
device: cuda without a GPU, experiments given as a list, a YAML syntax error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import yaml
from conftest import REPO, REPORTED_CSV, copy_workflow, run_snakemake, save_prepared

from advrepro import config as config_checks
from advrepro import data, io, jobs, model_files, provenance, records
from advrepro.data import cicids
from advrepro.methods import build_method
from advrepro.model_protocol import ModelMismatchError
from advrepro.reporting import reported
from advrepro.training import TrainSettings, fit

SCHEMA = REPO / "workflow/schemas/config.schema.yaml"


@pytest.fixture
def paper_config():
    return yaml.safe_load((REPO / "config/config.yaml").read_text())


def invalid(config) -> str:
    with pytest.raises(config_checks.ConfigError) as error:
        config_checks.validate(config, SCHEMA)
    return str(error.value)


# -- 1. two runs in one working directory --------------------------------------------------------
HOLD_RULE = """

rule hold:
    output:
        "hold/{name}.txt",
    shell:
        "while [ ! -e release ]; do sleep 0.2; done; touch {output}"


rule quick:
    output:
        "quick/{name}.txt",
    shell:
        "touch {output}"
"""


@pytest.fixture
def held_workflow(tmp_path):
    """A copy of the workflow with two more rules: hold, whose job runs until the file
    'release' exists (a run still working when the next one starts), and quick."""
    workdir = copy_workflow(tmp_path)
    with open(workdir / "Snakefile", "a") as snakefile:
        snakefile.write(HOLD_RULE)
    started = []
    yield workdir, started
    (workdir / "release").touch()
    for process in started:
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()


def start_holding_run(workdir, started, name="first"):
    """A real run that holds until released, started in the background; returns it once its
    job runs."""
    command = [sys.executable, "-m", "snakemake", f"hold/{name}.txt", "--cores", "1"]
    command += ["--config", f"reported_results={REPORTED_CSV}"]
    command += ["--configfile", "config/demo.yaml", ".test/config.yaml"]
    log = workdir / f"{name}.log"
    with open(log, "w") as output:
        process = subprocess.Popen(command, cwd=workdir, stdout=output, stderr=output)
    started.append(process)
    deadline = time.monotonic() + 240
    while not list((workdir / ".snakemake/locks").glob("*.lock")):
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the holding run did not start its job"
        time.sleep(0.5)
    return process


def quick(workdir, name, *args):
    return run_snakemake(workdir, f"quick/{name}.txt", "--cores", "1", *args, timeout=300)


@pytest.mark.slow
def test_a_second_real_run_is_refused_naming_the_first_and_its_locks_survive(held_workflow):
    workdir, started = held_workflow
    first = start_holding_run(workdir, started)
    locks = sorted(p.name for p in (workdir / ".snakemake/locks").iterdir())

    second = quick(workdir, "second")
    assert second.returncode != 0, second.stderr[-2000:]
    assert f"PID {first.pid} " in second.stderr, second.stderr[-2000:]
    assert "Wait for it to finish" in second.stderr and "(-n)" in second.stderr
    assert not (workdir / "quick/second.txt").exists()
    # the refusal came before Snakemake locked anything: the first run's locks are intact
    assert sorted(p.name for p in (workdir / ".snakemake/locks").iterdir()) == locks

    assert quick(workdir, "second", "-n").returncode == 0  # a dry run is always allowed
    unlock = quick(workdir, "second", "--unlock")
    assert unlock.returncode != 0 and f"PID {first.pid} " in unlock.stderr
    assert sorted(p.name for p in (workdir / ".snakemake/locks").iterdir()) == locks
    # a job the SLURM executor submits runs snakemake on the node in remote mode: not refused
    remote = quick(workdir, "remote", "--mode", "remote", "--nolock")
    assert remote.returncode == 0 and (workdir / "quick/remote.txt").exists(), remote.stderr
    shadow = quick(workdir, "second", "--cleanup-shadow")  # takes Snakemake's locks too
    assert shadow.returncode != 0 and f"PID {first.pid} " in shadow.stderr
    assert sorted(p.name for p in (workdir / ".snakemake/locks").iterdir()) == locks

    (workdir / "release").touch()
    assert first.wait(timeout=300) == 0
    after = quick(workdir, "second")  # the first run is over: the working directory is free
    assert after.returncode == 0, after.stderr[-2000:]
    assert (workdir / "hold/first.txt").exists() and (workdir / "quick/second.txt").exists()


@pytest.mark.slow
def test_a_run_killed_with_sigkill_leaves_no_claim_behind(held_workflow):
    workdir, started = held_workflow
    first = start_holding_run(workdir, started)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)
    (workdir / "release").touch()  # ends its orphaned job
    claim = (workdir / ".snakemake/advrepro_run.lock").read_text()
    assert f"PID {first.pid} " in claim  # the stale file is still there ...
    after = quick(workdir, "second")  # ... and blocks nothing: the kernel dropped the lock
    assert after.returncode == 0, after.stderr[-2000:]


# -- 2. a CIC-IDS2018 day file cut at a line end -------------------------------------------------
def through_the_data_rule(paths, raw):
    cic = {"label_mapping": "binary", "test_fraction": 0.3, "split_seed": 0}
    cic["drop_constant_columns"] = False
    return data._assemble_cicids(cic, raw, [str(p) for p in paths])


def test_a_day_cut_inside_its_last_label_is_refused_naming_file_and_line_unpinned(tmp_path):
    day = tmp_path / cicids.DAY_FILES[7]  # a published day whose length is not recorded
    cicids.write_synthetic_day(day, 300, seed=0, attack="Infilteration", duplicates=0)
    text = day.read_text()
    last = text.rindex("Benign")
    day.write_text(text[: last + 3] + "\n")  # head -c N day.csv; echo: the label cut to "Ben"
    line = text[:last].count("\n") + 1
    with pytest.raises(cicids.CICDataError) as error:
        through_the_data_rule([day], tmp_path / "raw")
    assert f"{day}: line {line}: label 'Ben'" in str(error.value)
    assert "fetch it again" in str(error.value)
    assert not (tmp_path / "raw" / "manifest.json").exists()  # its hash was not pinned


def test_a_published_day_cut_at_a_line_end_is_refused_by_its_length_unpinned(tmp_path):
    day = tmp_path / "Friday-02-03-2018_TrafficForML_CICFlowMeter.csv"
    cicids.write_synthetic_day(day, 500, seed=0)  # every row whole, far fewer than published
    with pytest.raises(cicids.CICDataError) as error:
        through_the_data_rule([day], tmp_path / "raw")
    message = str(error.value)
    assert f"{day}: 502 lines after the header" in message  # 500 rows, 2 repeated headers
    assert "1,048,575" in message and "fetch it again" in message
    assert not (tmp_path / "raw" / "manifest.json").exists()


def test_a_day_with_a_byte_order_mark_is_read_as_without(tmp_path):
    plain = tmp_path / "plain" / cicids.DAY_FILES[-1]
    plain.parent.mkdir()
    cicids.write_synthetic_day(plain, 200, seed=0)
    marked = tmp_path / cicids.DAY_FILES[-1]
    marked.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())  # saved again by a spreadsheet
    frame, counts = cicids.clean_day(marked)
    expected, _ = cicids.clean_day(plain)
    assert frame.equals(expected) and counts["kept"] == len(expected)


def test_a_day_in_another_encoding_is_named(tmp_path):
    day = tmp_path / cicids.DAY_FILES[-1]
    cicids.write_synthetic_day(day, 50, seed=0)
    day.write_bytes(day.read_text().encode("utf-16"))
    with pytest.raises(cicids.CICDataError, match=rf"{day}: not UTF-8 text.*fetch it again"):
        cicids.clean_day(day)


# -- 3. a model file of another method or architecture at a model path --------------------------
RUN = {
    "experiment": "tiny",
    "dataset": "tiny",
    "paper_dataset": "mnist",
    "architecture": "lenet1",
    "scale": "test",
    "train_size": None,
    "test_size": None,
    "eval_batch_size": 16,
    "failure_indicators": {"examples": 0, "probe_steps": 0},
    "train": {"epochs": 1, "batch_size": 32, "lr": 1e-3},
}
FGSM = {"id": "fgsm", "class": "fgsm", "threat": "whitebox", "params": {"eps": 0.1}}


def model_trained_as(tiny_splits, path, **run):
    run = {**RUN, **run}
    torch.manual_seed(0)
    model = model_files.model_for(tiny_splits, run["architecture"])
    protocol = records.training_protocol(
        run,
        **model_files.settings_in_force(run),
        seed=0,
        train_examples=len(tiny_splits.y_train),
        epochs_trained=1,
    )
    model_files.save_model(path, model, protocol)


def evaluate_as(tiny_splits, tmp_path, model_path, **run):
    data_path = save_prepared(tiny_splits, tmp_path / "data.pt")
    record = tmp_path / "record.json"
    job = {
        "model": str(model_path),
        "run": {**RUN, **run},
        "seed": 0,
        "attacks": [FGSM],
        "transfer_sets": {},
        "records": [str(record)],
        "adversarial": [],
    }
    jobs.evaluate_models(data_path, [job], device="cpu")
    return record


@pytest.mark.parametrize(
    "trained, configured, named",
    [
        (
            {"method": "MCT", "method_class": "mct", "method_options": {}},
            {},
            "method: 'MCT' in the file, 'AT'",
        ),
        ({"architecture": "mnist_cnn"}, {}, "architecture: 'mnist_cnn' in the file, 'lenet1'"),
        (
            {},
            {"method_options": {"eps": 0.3, "alpha": 0.01, "steps": 1}},
            "method_options: {'random_start': True, 'eps': 0.1, 'alpha': 0.01, 'steps': 1} in "
            "the file",
        ),
    ],
)
def test_a_model_trained_as_something_else_stops_the_job_naming_both(
    tiny_splits, tmp_path, trained, configured, named
):
    options = {"eps": 0.1, "alpha": 0.01, "steps": 1}
    at = {"method": "AT", "method_class": "pgd_at", "method_options": options}
    model_path = tmp_path / "results/tiny/models/AT/seed0.pt"
    model_trained_as(tiny_splits, model_path, **{**at, **trained})
    with pytest.raises(ModelMismatchError) as error:
        evaluate_as(tiny_splits, tmp_path, model_path, **{**at, **configured})
    assert str(model_path) in str(error.value) and named in str(error.value)
    assert f"Delete {model_path}" in str(error.value)
    assert not (tmp_path / "record.json").exists()
    # the model the config asks for is evaluated
    model_trained_as(tiny_splits, model_path, **{**at, **configured})
    assert evaluate_as(tiny_splits, tmp_path, model_path, **{**at, **configured}).is_file()


def test_a_method_started_from_a_model_of_another_method_stops_naming_both(tiny_splits, tmp_path):
    """DunDi_P starts from its experiment's native model (option init_from)."""
    native = tmp_path / "results/tiny/models/Native/seed0.pt"
    trained = {"method": "AT", "method_class": "pgd_at"}
    model_trained_as(
        tiny_splits, native, **trained, method_options={"eps": 0.1, "alpha": 0.01, "steps": 1}
    )
    options = {"tuples": 64, "init_from": "Native", "freeze_backbone": True}
    run = {**RUN, "method": "DunDi_P", "method_class": "dundi", "method_options": options}
    training = {
        "run": run,
        "seed": 0,
        "checkpoint": str(tmp_path / "c.pt"),
        "model": str(tmp_path / "m.pt"),
        "history": str(tmp_path / "h.json"),
        "init_model": str(native),
    }
    data_path = save_prepared(tiny_splits, tmp_path / "data.pt")
    with pytest.raises(ModelMismatchError, match="method: 'AT' in the file, 'Native' in the"):
        jobs.train_models(data_path, [training], device="cpu", progress=False)
    assert not (tmp_path / "m.pt").exists()


# -- 4. kill -9 while a checkpoint is written ---------------------------------------------------
def test_the_leftover_of_a_write_killed_with_sigkill_is_removed_when_the_job_runs_again(
    tiny_splits, tmp_path
):
    checkpoint = tmp_path / "checkpoints" / "seed0.pt"
    writer = (
        "import sys, time, torch\n"
        "from advrepro import io\n"
        "save = torch.save\n"
        "def slow(obj, f):\n"
        "    save(obj, f)\n"
        "    time.sleep(120)  # killed here, before the rename\n"
        "torch.save = slow\n"
        "io.save_torch(sys.argv[1], {'w': torch.zeros(1000)})\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    process = subprocess.Popen([sys.executable, "-c", writer, str(checkpoint)], env=env)
    deadline = time.monotonic() + 120
    while (
        not list(checkpoint.parent.glob(".seed0.pt.*.tmp"))
        or os.path.getsize(next(checkpoint.parent.glob(".seed0.pt.*.tmp"))) < 4000
    ):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert len(list(checkpoint.parent.glob(".seed0.pt.*.tmp"))) == 1  # left behind

    torch.manual_seed(0)  # the job runs again: one epoch writes the checkpoint
    model = model_files.model_for(tiny_splits, "lenet1")
    settings = TrainSettings(epochs=1, batch_size=32, lr=1e-3, seed=0)
    fit(model, build_method("standard"), tiny_splits, settings, checkpoint, progress=False)
    assert checkpoint.is_file()
    assert list(checkpoint.parent.glob(".seed0.pt.*.tmp")) == []


def test_leftovers_of_other_files_are_kept(tmp_path):
    (tmp_path / ".seed0.pt.x.abcdefgh.tmp").write_text("another file's")  # of seed0.pt.x
    (tmp_path / ".seed0.pt.abcdefgh.tmp").write_text("seed0.pt's")
    io.save_torch(tmp_path / "seed0.pt", {"w": torch.zeros(2)})
    assert sorted(p.name for p in tmp_path.iterdir()) == [".seed0.pt.x.abcdefgh.tmp", "seed0.pt"]


# -- 5. budgets that cannot be meant -------------------------------------------------------------
def test_an_linf_budget_on_the_255_scale_is_refused_with_a_hint(paper_config):
    paper_config["experiments"]["cifar"]["attacks"]["pgd20"]["params"]["eps"] = 8
    message = invalid(paper_config)
    assert "'experiments.cifar.attacks.pgd20.params.eps' is 8" in message
    assert "did you mean 8/255 (0.0313725)?" in message


def test_an_linf_training_budget_and_sweep_budget_are_refused(paper_config):
    paper_config["experiments"]["mnist"]["methods"]["AT"]["options"]["alpha"] = 2
    sweep = paper_config["experiments"]["mnist"]["attacks"]["pgd40_sweep"]["eps_sweep"]
    sweep.append(76)
    message = invalid(paper_config)
    assert "'experiments.mnist.methods.AT.options.alpha' is 2" in message
    assert f"'experiments.mnist.attacks.pgd40_sweep.eps_sweep[{len(sweep) - 1}]' is 76" in message


def test_an_l2_budget_above_one_is_accepted(paper_config):
    attacks = paper_config["experiments"]["mnist"]["attacks"]
    attacks["l2_far"] = {"class": "pgd_l2", "params": {"eps": 100.0, "alpha": 5.0, "steps": 10}}
    attacks["noise_l2"] = {"class": "random_noise", "params": {"eps": 3.0, "norm": "l2"}}
    config_checks.validate(paper_config, SCHEMA)
    attacks["noise_linf"] = {"class": "random_noise", "params": {"eps": 3.0}}  # default linf
    assert "'experiments.mnist.attacks.noise_linf.params.eps' is 3" in invalid(paper_config)


def test_a_budget_written_as_a_fraction_gets_the_number_to_write(paper_config):
    paper_config["experiments"]["cifar"]["attacks"]["pgd20"]["params"]["eps"] = "8/255"
    message = invalid(paper_config)
    assert "'experiments.cifar.attacks.pgd20.params.eps' is '8/255'" in message
    assert "write the number, 0.0313725" in message


@pytest.mark.parametrize(
    "where, value, key",
    [
        (("experiments", "mnist", "attacks", "pgd40", "params", "eps"), "nan", "params.eps"),
        (("experiments", "mnist", "attacks", "pgd40", "params", "eps"), "inf", "params.eps"),
        (("experiments", "mnist", "train", "lr"), "nan", "mnist.train.lr"),
        (("experiments", "mnist", "gpu_share"), "nan", "mnist.gpu_share"),
    ],
)
def test_nan_and_inf_are_refused_naming_the_key(paper_config, where, value, key):
    node = paper_config
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = float(value)
    assert f"{key}' is {float(value)}: give a finite number" in invalid(paper_config)


# -- 6. YAML that PyYAML accepts silently -------------------------------------------------------
def test_a_key_given_twice_is_refused_naming_file_and_line(tmp_path):
    layer = tmp_path / "mine.yaml"
    layer.write_text("scale: demo\nprogress: false\nscale: test\n")
    with pytest.raises(config_checks.ConfigError) as error:
        config_checks.read_yaml(layer)
    assert f"{layer}: line 3: key 'scale' given twice (first at line 1)" in str(error.value)


def alias_bomb(levels=40):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    bomb = "\n".join("        " + line for line in lines)
    return f"data:\n  cicids2018:\n    label_mapping:\n      family:\n{bomb}\n"


def test_an_alias_bomb_is_refused_at_once_naming_file_and_line(tmp_path):
    layer = tmp_path / "bomb.yaml"
    layer.write_text(alias_bomb())
    start = time.monotonic()
    with pytest.raises(config_checks.ConfigError, match=rf"{layer}: line 6: YAML alias '\*a0'"):
        config_checks.load_layers([REPO / "config/config.yaml", layer], SCHEMA)
    assert time.monotonic() - start < 10


@pytest.mark.slow
@pytest.mark.parametrize("problem", ["repeated key", "alias bomb", "syntax error in the paper"])
def test_the_workflow_refuses_bad_yaml_before_any_job_naming_file_and_line(tmp_path, problem):
    (tmp_path / "workflow").mkdir()
    workdir = copy_workflow(tmp_path / "workflow")
    layer = tmp_path / "mine.yaml"
    layer.write_text("progress: false\n")
    if problem == "repeated key":
        layer.write_text("scale: demo\nprogress: false\nscale: test\n")
        expected = f"{layer}: line 3: key 'scale' given twice"
    elif problem == "alias bomb":
        layer.write_text(alias_bomb())
        expected = f"{layer}: line 6: YAML alias '*a0'"
    else:
        paper = workdir / "config/config.yaml"
        lines = paper.read_text().splitlines(keepends=True)
        lines[40] = "    seeds: [0, 1\n"  # an unclosed bracket
        paper.write_text("".join(lines))
        expected = "config/config.yaml: line "
    result = run_snakemake(workdir, "-n", overrides=(".test/config.yaml", str(layer)), timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert expected in output, output[-3000:]
    assert "Job stats" not in output


def test_the_config_checker_names_a_file_with_a_syntax_error(tmp_path):
    """Snakemake's command line reads --configfile files itself and reports a syntax error
    without naming the file; `python -m advrepro.config` names file and line."""
    layer = tmp_path / "mine.yaml"
    layer.write_text("experiments:\n  mnist:\n    seeds: [0, 1\n")
    result = subprocess.run(
        [sys.executable, "-m", "advrepro.config", "config/config.yaml", str(layer)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        timeout=120,
    )
    assert result.returncode == 1
    assert f"{layer}: line 4, column 1: not valid YAML" in result.stderr, result.stderr
    assert "starts at line 3" in result.stderr


# -- 7. seeds, sizes and days that repeat or exceed the data ----------------------------------
def test_a_repeated_seed_and_a_repeated_day_are_refused_naming_the_key(paper_config):
    paper_config["experiments"]["mnist"]["seeds"] = [0, 0, 1]
    day = "Friday-02-03-2018_TrafficForML_CICFlowMeter.csv"
    paper_config.setdefault("data", {})["cicids2018"] = {"days": [day, day]}
    message = invalid(paper_config)
    assert "'experiments.mnist.seeds' lists 0 more than once" in message
    assert f"'data.cicids2018.days' lists '{day}' more than once" in message


def test_a_day_listed_twice_is_refused_by_the_data_rule_too(tmp_path):
    day = tmp_path / cicids.DAY_FILES[-1]
    cicids.write_synthetic_day(day, 100, seed=0)
    with pytest.raises(cicids.CICDataError, match="listed more than once.*data.cicids2018.days"):
        cicids.clean_days([day, day])


@pytest.mark.parametrize("split", ["train", "test"])
def test_a_size_beyond_the_data_stops_the_job_naming_the_key(tiny_splits, tmp_path, split):
    data_path = save_prepared(tiny_splits, tmp_path / "data.pt")
    available = len(getattr(tiny_splits, f"y_{split}"))
    run = {**RUN, f"{split}_size": available + 1}
    training = {
        "run": {**run, "method": "AT", "method_class": "standard", "method_options": {}},
        "seed": 0,
        "checkpoint": str(tmp_path / "c.pt"),
        "model": str(tmp_path / "m.pt"),
        "history": str(tmp_path / "h.json"),
    }
    with pytest.raises(ValueError) as error:
        jobs.train_models(data_path, [training], device="cpu", progress=False)
    message = str(error.value)
    assert f"config key 'experiments.tiny.{split}_size' is {available + 1}" in message
    assert f"only {available} {split} examples" in message and "null" in message


# -- 9. the reported-results CSV, checked when the workflow starts ---------------------------
def reported_copy(tmp_path, edit):
    lines = REPORTED_CSV.read_text().splitlines(keepends=True)
    edit(lines)
    path = tmp_path / "reported.csv"
    path.write_text("".join(lines))
    return path


def set_field(line, column, value):
    header = REPORTED_CSV.read_text().splitlines()[0].split(",")
    fields = line.rstrip("\n").split(",")
    fields[header.index(column)] = value
    return ",".join(fields) + "\n"


def test_a_non_numeric_value_is_named_with_file_line_and_column(tmp_path):
    path = reported_copy(
        tmp_path, lambda lines: lines.__setitem__(5, set_field(lines[5], "value", "97.3o"))
    )
    with pytest.raises(reported.ReportedResultsError) as error:
        reported.check_reported(path)
    assert f"{path}: line 6, column 'value': '97.3o' is not a number" in str(error.value)


def test_a_duplicated_row_is_named_with_both_lines(tmp_path):
    path = reported_copy(tmp_path, lambda lines: lines.insert(9, lines[3]))
    with pytest.raises(reported.ReportedResultsError) as error:
        reported.check_reported(path)
    assert f"{path}: line 10 repeats the reported number of line 4" in str(error.value)


@pytest.mark.slow
def test_the_workflow_checks_the_reported_csv_before_any_job(tmp_path):
    (tmp_path / "workflow").mkdir()
    workdir = copy_workflow(tmp_path / "workflow")
    path = reported_copy(tmp_path, lambda lines: lines.insert(9, lines[3]))
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--config", f"reported_results={path}"]
        + ["--configfile", "config/demo.yaml", ".test/config.yaml"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "Job stats" not in output
    assert f"{path}: line 10 repeats the reported number of line 4" in output, output[-3000:]


# -- 10. errors that name the file and the fix ---------------------------------------------------
def test_a_truncated_dataset_file_is_named_with_the_fix(tiny_splits, tmp_path):
    path = Path(save_prepared(tiny_splits, tmp_path / "results/data/tiny.pt"))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(io.UnreadableFileError) as error:
        data.load_prepared(path)
    assert f"{path}: cannot be read" in str(error.value)
    assert f"rerun the data rule (snakemake {path})" in str(error.value)


@pytest.mark.parametrize("kind", ["tensor file", "record"])
def test_a_full_disk_names_the_file_and_the_fix_and_replaces_nothing(tmp_path, monkeypatch, kind):
    target = tmp_path / ("seed0.pt" if kind == "tensor file" else "pgd40.json")
    target.write_text("the previous version")
    if kind == "tensor file":  # torch's own error on a device that is full
        save = torch.save
        monkeypatch.setattr(torch, "save", lambda obj, f: save(obj, "/dev/full"))
    else:

        def no_space(self, text):
            with open("/dev/full", "w") as full:
                full.write(text)
                full.flush()

        monkeypatch.setattr(Path, "write_text", no_space)
    monkeypatch.setattr(io.shutil, "disk_usage", lambda path: SimpleNamespace(free=2**20))
    with pytest.raises(io.OutputError) as error:
        if kind == "tensor file":
            io.save_torch(target, {"w": torch.zeros(10_000)})
        else:
            io.write_json(target, {"accuracy": 0.5, "padding": "x" * 100_000})
    message = str(error.value)
    assert message.startswith(f"{target}: could not be written")
    assert "the disk is full" in message and "free space there" in message
    monkeypatch.undo()
    assert target.read_text() == "the previous version"
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_device_cuda_without_a_gpu_advises_device_cpu(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi
    with pytest.raises(provenance.DeviceError) as error:
        provenance.pick_device("cuda")
    message = str(error.value)
    assert "config key 'device' is 'cuda'" in message and "set device: cpu" in message
    assert "torch build" not in message and "make install" not in message


def test_a_gpu_index_beyond_the_machines_gpus_is_named(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(
        provenance.DeviceError, match="'device' is 'cuda:1', but this machine has 1"
    ):
        provenance.pick_device("cuda:1")


@pytest.mark.parametrize("section", ["experiments", "artifacts", "claims"])
def test_a_section_given_as_a_list_is_named(paper_config, section):
    paper_config[section] = list(paper_config[section].values())
    assert f"config key '{section}'" in invalid(paper_config)


def test_an_experiment_given_as_a_list_is_named(paper_config):
    paper_config["experiments"]["mnist"]["methods"] = ["AT", "MCT"]
    paper_config["experiments"]["mnist"]["attacks"] = ["pgd40"]
    message = invalid(paper_config)
    assert "config key 'experiments.mnist.methods'" in message


def test_a_config_that_is_not_a_mapping_is_named(tmp_path):
    layer = tmp_path / "mine.yaml"
    layer.write_text("- scale: demo\n")
    with pytest.raises(config_checks.ConfigError, match=rf"{layer}: a config file is a mapping"):
        config_checks.load_layers([REPO / "config/config.yaml", layer], SCHEMA)
