"""What each workflow rule does, as plain functions of paths and settings.

The compute rules' functions (data, training, attacks; the reporting rules' are in
advrepro.reporting.artifacts). Rule scripts (workflow/scripts/*.py) only unpack
``snakemake.input/params/output`` and call one function, so every step can also be run and
tested without Snakemake.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch

from advrepro import data, io, provenance, records
from advrepro import performance as perf
from advrepro.attacks import build_attack
from advrepro.evaluation import evaluate
from advrepro.methods import build_method
from advrepro.model_protocol import check_trained_as
from advrepro.models import build_model, weights_version
from advrepro.training import TrainSettings, fit

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


def _load_splits(data_path: str, run: dict, device: torch.device) -> data.Splits:
    return data.load_prepared(
        data_path,
        device,
        train_size=run["train_size"],
        test_size=run["test_size"],
        config_key=f"experiments.{run['experiment']}",
    )


def model_for(splits: data.Splits, architecture: str, **options) -> torch.nn.Module:
    mean, std = splits.channel_stats()
    return build_model(
        architecture,
        splits.input_shape[0],
        splits.num_classes,
        mean,
        std,
        image_size=splits.input_shape[-1],
        **options,
    )


def save_model(path: str | Path, model: torch.nn.Module, training: dict | None = None) -> None:
    """``training``: how the model was trained (``records.training_protocol``); every evaluation record
    of the model copies it, so verdicts are judged from what was run, not from the config."""
    io.save_torch(
        path,
        {
            "build_args": model.build_args,
            "training": training or {},
            "state_dict": {k: v.cpu() for k, v in model.state_dict().items()},
        },
    )


def load_model(path: str | Path, device: torch.device) -> torch.nn.Module:
    """Rebuild a trained model from its file (architecture, options and normaliser are in it);
    ``model.protocol`` is how it was trained."""
    saved = io.load_torch(path, map_location=device)
    try:
        # built on the meta device: no random initialisation of weights the file replaces
        # (VGG-16's discarded ImageNet head alone took ~2.5 s per load on a CPU)
        with torch.device("meta"):
            model = build_model(**saved["build_args"])
        model.load_state_dict(saved["state_dict"], assign=True)
        if any(t.is_meta for t in (*model.parameters(), *model.buffers())):
            raise NotImplementedError("state not in the file")
    except (NotImplementedError, RuntimeError):  # an architecture that needs real tensors
        model = build_model(**saved["build_args"])
        model.load_state_dict(saved["state_dict"])
    model.protocol = saved.get("training", {})  # how it was trained (records.training_protocol)
    return model.to(device).eval()


def _use_threads(threads: int | None) -> None:
    if threads:
        torch.set_num_threads(threads)


def settings_in_force(run: dict) -> dict:
    """The method options and training settings a model of ``run`` trains with, every default
    included: what its model file's protocol states (records.training_protocol) and what an
    attack job checks a model file against."""
    method = build_method(run["method_class"], **run["method_options"])
    architecture, _ = method.architecture(run["architecture"])
    return {
        "method_options": records.method_options_in_force(
            run["method_class"],
            run["method_options"],
            architecture,
            getattr(method, "extra_options", ()),
        ),
        "train": TrainSettings(seed=0, **run["train"]).in_force(),
    }


def train(
    data_path: str,
    run: dict,
    seed: int,
    checkpoint: str,
    out_model: str,
    out_history: str,
    device: str = "auto",
    progress: bool = True,
    threads: int | None = None,
    init_model_path: str | None = None,
    keep_checkpoint: bool = False,
) -> None:
    """Train one (experiment, method, seed); resume from ``checkpoint`` if a run was killed.
    ``init_model_path``: the trained model a method starts from (DunDi_P's native model).
    ``keep_checkpoint``: leave the final checkpoint for the caller to delete (train_each)."""
    _use_threads(threads)
    device = provenance.pick_device(device)
    torch.manual_seed(seed)
    splits = _load_splits(data_path, run, device)
    method = build_method(run["method_class"], **run["method_options"])
    architecture, options = method.architecture(run["architecture"])
    model = model_for(splits, architecture, **options).to(device)
    init_model = load_model(init_model_path, device) if init_model_path else None
    init_from = run["method_options"].get("init_from")  # DunDi_P's: its native model
    if init_model is not None and init_from:
        expected = {"experiment": run["experiment"], "method": init_from}
        check_trained_as(init_model.protocol, expected, seed, init_model_path)
    method.prepare_model(model, splits, init_model)
    settings = TrainSettings(seed=seed, **run["train"])
    perf.configure_backend(run.get("performance"))
    history = fit(
        model,
        method,
        splits,
        settings,
        checkpoint,
        run_key=run,
        progress=progress,
        performance=run.get("performance"),
    )
    method.finish(model, splits, seed)
    save_model(
        out_model,
        model,
        records.training_protocol(
            run,
            **settings_in_force(run),
            seed=seed,
            train_examples=len(splits.y_train),
            epochs_trained=len(history),
            init_model=init_model.protocol if init_model is not None else None,
        ),
    )
    io.write_json(
        out_history,
        {
            **run,
            "seed": seed,
            "history": history,
            **provenance.produced_on(device),
            "train_examples": len(splits.y_train),
            "seconds_per_epoch": (
                sum(h["seconds"] for h in history) / len(history) if history else None
            ),
            **({"detector_fit": method.fit_summary} if hasattr(method, "fit_summary") else {}),
        },
    )
    # The checkpoint is for resuming a killed job. Once the outputs exist it must go: a later
    # rerun of this job (--forcerun, a changed method's code or default) would otherwise
    # "resume" after the last epoch and return the old weights without training.
    if not keep_checkpoint:
        Path(checkpoint).unlink(missing_ok=True)


def train_each(
    data_path: str,
    models: list[dict],
    device: str = "auto",
    progress: bool = True,
    threads: int | None = None,
) -> None:
    """Train several models in one process (training_jobs: per_experiment), each as ``train``
    trains it alone: ``models`` are dicts of train's arguments (run, seed, checkpoint, model,
    history, init_model), a model after the one it starts from. The models come out the same
    (each training seeds itself); what is saved is one interpreter and torch start-up per model.

    Snakemake deletes every output of a job that fails, so each model keeps its final
    checkpoint until all are trained: a rerun after a failure at the k-th model "resumes" the
    first k-1 at their last epoch instead of training them again."""
    for i, spec in enumerate(models):
        log.info(
            "model %d of %d: %s seed %d", i + 1, len(models), spec["run"]["method"], spec["seed"]
        )
        train(
            data_path,
            spec["run"],
            spec["seed"],
            spec["checkpoint"],
            spec["model"],
            spec["history"],
            device=device,
            progress=progress,
            threads=threads,
            init_model_path=spec.get("init_model"),
            keep_checkpoint=True,
        )
    for spec in models:  # as train does once its outputs exist (see there)
        Path(spec["checkpoint"]).unlink(missing_ok=True)


def _attacked_rows(splits: data.Splits, attack_spec: dict) -> torch.Tensor | None:
    """Mask of the test rows an attack attacks (config ``only_classes``); None = all."""
    if not attack_spec.get("only_classes"):  # e.g. MCT Fig. 3: the illegitimate flows only
        return None
    unknown = set(attack_spec["only_classes"]) - set(splits.classes)
    if unknown:
        raise ValueError(
            f"attack {attack_spec['id']}: only_classes {sorted(unknown)} are not "
            f"classes of {splits.name} ({', '.join(splits.classes)})"
        )
    chosen = torch.tensor(
        [splits.classes.index(c) for c in attack_spec["only_classes"]], device=splits.y_test.device
    )
    return torch.isin(splits.y_test, chosen)


def _rows(attacked: torch.Tensor | None, y: torch.Tensor) -> torch.Tensor:
    return (
        (torch.ones_like(y, dtype=torch.bool) if attacked is None else attacked).nonzero().flatten()
    )


def _attack_job_inputs(
    data_path: str, model_path: str, run: dict, device: str, threads: int | None, seed: int
) -> tuple[torch.device, data.Splits, torch.nn.Module]:
    """What every attack job starts from: its device, the test data and the trained model in
    the configured layout, checked to be the model the config asks of its path."""
    _use_threads(threads)
    device = provenance.pick_device(device)
    splits = _load_splits(data_path, run, device)
    perf.configure_backend(run.get("performance"))
    model = load_model(model_path, device)
    check_trained_as(model.protocol, {**run, **settings_in_force(run)}, seed, model_path)
    return device, splits, perf.to_layout(model, run.get("performance"))


def _unchanged_each_time(model, model_path, run, device, items):
    """Yield (model, item) for each of ``items``, the model as saved each time: reloaded should
    the work on an earlier item have changed its weights (no attack should; this makes sure)."""
    version = weights_version(model)
    for item in items:
        if weights_version(model) != version:
            model = perf.to_layout(load_model(model_path, device), run.get("performance"))
            version = weights_version(model)
        yield model, item


def craft_transfer(
    data_path: str,
    model_path: str,
    run: dict,
    attack_spec: dict,
    seed: int,
    out_path: str,
    device: str = "auto",
    progress: bool = True,
    threads: int | None = None,
) -> None:
    """Craft a transfer attack's examples once on its source model (``model_path``); every
    target's evaluation replays them (advrepro.transfer)."""
    craft_transfer_each(
        data_path, model_path, run, [attack_spec], seed, [out_path], device, progress, threads
    )


def craft_transfer_each(
    data_path: str,
    model_path: str,
    run: dict,
    attack_specs: list[dict],
    seed: int,
    out_paths: list[str],
    device: str = "auto",
    progress: bool = True,
    threads: int | None = None,
) -> None:
    """Craft each transfer attack of one source model in one process (evaluation_jobs:
    per_model): the sets craft_transfer makes one job per attack, from one load of data and
    model (reloaded should an attack ever change its weights)."""
    from advrepro.transfer import transfer_set

    if len(out_paths) != len(attack_specs):
        raise ValueError(f"{len(attack_specs)} attacks but {len(out_paths)} output paths")
    device, splits, loaded = _attack_job_inputs(data_path, model_path, run, device, threads, seed)
    crafts = zip(attack_specs, out_paths)
    for source, (attack_spec, out_path) in _unchanged_each_time(
        loaded, model_path, run, device, crafts
    ):
        torch.manual_seed(seed)
        attack = build_attack(attack_spec["class"], source, **attack_spec["params"])
        attacked = _attacked_rows(splits, attack_spec)
        result = evaluate(
            source,
            attack,
            splits.x_test,
            splits.y_test,
            run["eval_batch_size"],
            progress=progress,
            attacked=attacked,
            keep_adversarial=True,
        )
        rows = _rows(attacked, splits.y_test)
        io.save_torch(
            out_path,
            transfer_set(
                attack,
                attack_spec,
                splits.x_test[rows],
                result["adversarial_examples"],
                rows,
                source=model_path,
                source_method=run["method"],
                source_training=source.protocol,
                seed=seed,
                source_correct=torch.tensor(result["correct"], dtype=torch.bool)[rows.cpu()],
                source_accuracy=result["accuracy"],
                seconds=result["seconds"],
                **provenance.produced_on(device),
            ),
        )
        log.info(
            "%s/%s seed %d %s: crafted %d examples in %.1f s (source accuracy %.4f)",
            run["experiment"],
            run["method"],
            seed,
            attack_spec["id"],
            len(rows),
            result["seconds"],
            result["accuracy"],
        )


def clean_accuracy_of(model: torch.nn.Module, splits: data.Splits, batch_size: int) -> float:
    """Share of the test set the model's decision gets right, batched, in eval mode."""
    from advrepro.attacks import decision

    model.eval()
    right = 0
    with torch.no_grad():
        for start in range(0, len(splits.y_test), batch_size):
            xb = splits.x_test[start : start + batch_size]
            right += int((decision(model, xb) == splits.y_test[start : start + batch_size]).sum())
    return right / len(splits.y_test)


def attack_and_record(
    data_path: str,
    model_path: str,
    transfer_set_path: str | None,
    run: dict,
    attack_spec: dict,
    seed: int,
    out_record: str,
    device: str = "auto",
    progress: bool = True,
    threads: int | None = None,
    out_adversarial: str | None = None,
) -> None:
    """Evaluate one trained model under one attack and write its tidy record; with
    ``out_adversarial`` also the attacked examples (the experiment's save_adversarial).
    A transfer attack replays the examples rule craft_transfer made (``transfer_set_path``);
    a white-box attack is crafted here, on the model itself."""
    device, splits, target = _attack_job_inputs(data_path, model_path, run, device, threads, seed)
    _attack_and_record_loaded(
        device,
        splits,
        target,
        transfer_set_path,
        run,
        attack_spec,
        seed,
        out_record,
        progress,
        out_adversarial,
    )


def _attack_and_record_loaded(
    device: torch.device,
    splits: data.Splits,
    target: torch.nn.Module,
    transfer_set_path: str | None,
    run: dict,
    attack_spec: dict,
    seed: int,
    out_record: str,
    progress: bool,
    out_adversarial: str | None,
    clean_accuracies: dict | None = None,
) -> None:
    """attack_and_record once its device, test data and model are loaded. ``clean_accuracies``
    keeps the model's clean accuracy per classifier setting across the attacks of one job."""
    attacked = _attacked_rows(splits, attack_spec)
    rows = _rows(attacked, splits.y_test)
    if transfer_set_path:
        from advrepro.transfer import ReplayedAttack

        saved = io.load_torch(transfer_set_path, map_location=device)
        attack = ReplayedAttack(saved, attack_spec, splits.x_test[rows], rows)
        source, source_training = saved["source"], saved.get("source_training", {})
    else:
        torch.manual_seed(seed)  # random starts are reproducible per (model seed, attack)
        attack = build_attack(attack_spec["class"], target, **attack_spec["params"])
        source, source_training = None, None
    clean_accuracies = {} if clean_accuracies is None else clean_accuracies

    def clean_accuracy_now() -> float:
        """The model's clean accuracy under its classifier settings in force, once each."""
        setting = tuple(sorted(target.classifier_settings().items()))
        if setting not in clean_accuracies:
            clean_accuracies[setting] = clean_accuracy_of(target, splits, run["eval_batch_size"])
        return clean_accuracies[setting]

    own_settings = target.classifier_settings()
    if attack_spec.get("classifier"):  # e.g. DunDi's oracle count for this evaluation
        target.configure(**attack_spec["classifier"])
    in_force = target.classifier_settings()  # what the record says the result was measured at
    result = evaluate(
        target,
        attack,
        splits.x_test,
        splits.y_test,
        run["eval_batch_size"],
        progress=progress,
        attacked=attacked,
        keep_adversarial=bool(out_adversarial),
        indicators=run.get("failure_indicators"),
    )
    # the model's clean accuracy beside every attack's: a table withholds the numbers of a
    # model below its experiment's clean_floor ("did not train")
    # measured after the attack, so that no random draw of theirs (KD+BU's MC dropout) moves
    # the attack's random start
    clean_accuracy = clean_accuracy_now()
    # whether the model trained is judged under its own decision rule (a DunDi model at one
    # oracle per class is less accurate by design: that is DunDi Table 1's column, not a
    # model that did not train)
    target.configure(**own_settings)
    model_clean_accuracy = clean_accuracy_now()
    if out_adversarial:
        io.save_torch(
            out_adversarial,
            {
                **{k: run[k] for k in records.RUN_FIELDS},
                "seed": seed,
                "attack": attack_spec["id"],
                "classes": splits.classes,
                "x": result.pop("adversarial_examples"),
                "index": rows.cpu(),
                "x_original": splits.x_test[rows].cpu(),
                "y": splits.y_test[rows].cpu(),
                **provenance.produced_on(device),
                "predicted": torch.tensor(result["predicted"])[rows.cpu()],
            },
        )
    record = records.evaluation_record(
        run,
        attack_spec,
        attack,
        seed,
        training=target.protocol,
        classifier=in_force,
        result=result,
        clean_accuracy=clean_accuracy,
        model_clean_accuracy=model_clean_accuracy,
        labels=splits.y_test.cpu().tolist(),
        classes=splits.classes,
        produced_on=provenance.produced_on(device),
        source=source,
        source_training=source_training,
        transfer_set=transfer_set_path,
    )
    io.write_json(out_record, record)
    log.info(
        "%s/%s seed %d %s: accuracy %.4f on %d examples (%.1f ex/s)",
        run["experiment"],
        run["method"],
        seed,
        attack_spec["id"],
        result["accuracy"],
        result["count"],
        result["examples_per_second"],
    )


def attack_and_record_each(
    data_path: str,
    model_path: str,
    transfer_sets: dict[str, str],
    run: dict,
    attack_specs: list[dict],
    seed: int,
    out_records: list[str],
    device: str = "auto",
    progress: bool = True,
    threads: int | None = None,
    out_adversarial: list[str] | None = None,
) -> None:
    """One model under each of its attacks in one process (evaluation_jobs: per_model): the
    records attack_and_record writes one job per attack. Data and model are loaded once (each
    attack leaves the model's own classifier settings in force); the model is reloaded should
    an attack ever change its weights."""
    if len(out_records) != len(attack_specs):
        raise ValueError(f"{len(attack_specs)} attacks but {len(out_records)} record paths")
    device, splits, loaded = _attack_job_inputs(data_path, model_path, run, device, threads, seed)
    clean_accuracies: dict = {}
    attacks = enumerate(zip(attack_specs, out_records))
    for target, (i, (attack_spec, out_record)) in _unchanged_each_time(
        loaded, model_path, run, device, attacks
    ):
        log.info("attack %d of %d: %s", i + 1, len(attack_specs), attack_spec["id"])
        _attack_and_record_loaded(
            device,
            splits,
            target,
            transfer_sets.get(attack_spec["id"]),
            run,
            attack_spec,
            seed,
            out_record,
            progress,
            out_adversarial[i] if out_adversarial else None,
            clean_accuracies,
        )


def attack_and_record_models(
    data_path: str,
    evaluations: list[dict],
    device: str = "auto",
    progress: bool = True,
    threads: int | None = None,
) -> None:
    """Several models, each under each of its attacks, in one process (evaluation_jobs:
    per_experiment): the records attack_and_record_each writes one job per model. Each of
    ``evaluations`` holds that function's arguments: model, transfer_sets, run, attacks, seed,
    records and adversarial (empty: none kept)."""
    for i, evaluation in enumerate(evaluations):
        log.info("model %d of %d: %s", i + 1, len(evaluations), evaluation["model"])
        attack_and_record_each(
            data_path,
            evaluation["model"],
            dict(evaluation["transfer_sets"]),
            evaluation["run"],
            [dict(spec) for spec in evaluation["attacks"]],
            int(evaluation["seed"]),
            list(evaluation["records"]),
            device=device,
            progress=progress,
            threads=threads,
            out_adversarial=list(evaluation["adversarial"]) or None,
        )


def neighbours(
    data_path: str,
    model_path: str,
    run: dict,
    attack_spec: dict,
    spec: dict,
    seed: int,
    out_path: str,
    device: str = "auto",
    threads: int | None = None,
) -> None:
    """MCT Fig. 2's compute: nearest training images of attacked test images (one model)."""
    from advrepro.neighbours import nearest_neighbours

    _use_threads(threads)
    device = provenance.pick_device(device)
    splits = _load_splits(data_path, run, device)
    model = load_model(model_path, device)
    check_trained_as(model.protocol, {**run, **settings_in_force(run)}, seed, model_path)
    torch.manual_seed(seed)
    attack = build_attack(attack_spec["class"], model, **attack_spec["params"])
    result = nearest_neighbours(
        model,
        splits,
        attack,
        spec["classes"],
        spec["shown_per_class"],
        spec["eval_per_class"],
        spec["neighbours"],
        run["eval_batch_size"],
    )
    result.update(
        {k: run[k] for k in ("experiment", "dataset", "paper_dataset", "method", "scale")},
        seed=seed,
        attack=attack_spec["id"],
        **provenance.produced_on(device),
    )
    io.save_torch(out_path, result)
    log.info(
        "%s/%s: precision@%d %.3f, adversarial accuracy %.3f over %d queries",
        run["experiment"],
        run["method"],
        spec["neighbours"],
        result["precision_at_k"],
        result["adversarial_accuracy"],
        result["queries"],
    )
