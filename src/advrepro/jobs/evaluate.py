"""Stage 3b (rules evaluate, evaluate_keeping_adversarial, evaluate_sweep_*, evaluate_model_*,
evaluate_<experiment>): each trained model under each of its attacks, one evaluation record
per (model, attack) (advrepro.records). A white-box attack is crafted here, on the model; a
transfer attack replays the set crafted on its source model (advrepro.jobs.craft)."""

from __future__ import annotations

import logging

import torch

from advrepro import data, io, provenance, records
from advrepro.attacks import build_attack, decision
from advrepro.evaluation import evaluate
from advrepro.jobs import inputs
from advrepro.transfer import ReplayedAttack

log = logging.getLogger("advrepro")


def evaluate_models(
    data_path: str,
    evaluations: list[dict],
    device: str = "auto",
    progress: bool = True,
    threads: int | None = None,
) -> None:
    """Each of ``evaluations`` (advrepro.plan.evaluation: model, run, seed, attacks,
    transfer_sets, records, adversarial) is one trained model and the attacks it is evaluated
    under, from one load of data and model. Every granularity of job calls this: one attack
    (rule evaluate), an eps sweep's budgets or all attacks of a model (evaluate_sweep_*,
    evaluate_model_*), every model of an experiment (evaluate_<experiment>): the same records.
    ``adversarial`` (empty: none kept) are the files of the attacked examples."""
    clean_accuracies: dict = {}  # per model and classifier setting, across its attacks
    for target, job, k, splits, where in inputs.attacks_of_models(
        data_path, evaluations, "records", device, threads
    ):
        cache = clean_accuracies.setdefault((job["model"], job["seed"]), {})
        _record(target, job, k, splits, where, progress, cache)


def clean_accuracy_of(model: torch.nn.Module, splits: data.Splits, batch_size: int) -> float:
    """Share of the test set the model's decision gets right, batched, in eval mode."""
    model.eval()
    right = 0
    with torch.no_grad():
        for start in range(0, len(splits.y_test), batch_size):
            xb = splits.x_test[start : start + batch_size]
            right += int((decision(model, xb) == splits.y_test[start : start + batch_size]).sum())
    return right / len(splits.y_test)


def _record(target, job, k, splits, device, progress, clean_accuracies) -> None:
    """The k-th attack of ``job`` on ``target``: its record (and its adversarial examples)."""
    run, seed, attack_spec = job["run"], job["seed"], job["attacks"][k]
    attacked = inputs.attacked_rows(splits, attack_spec)
    rows = inputs.row_indices(attacked, splits.y_test)
    transfer_set = job["transfer_sets"].get(attack_spec["id"])
    if transfer_set:
        saved = io.load_torch(transfer_set, map_location=device)
        attack = ReplayedAttack(saved, attack_spec, splits.x_test[rows], rows)
        source, source_training = saved["source"], saved.get("source_training", {})
    else:
        torch.manual_seed(seed)  # random starts are reproducible per (model seed, attack)
        attack = build_attack(attack_spec["class"], target, **attack_spec["params"])
        source, source_training = None, None

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
    keep = bool(job["adversarial"])
    result = evaluate(
        target,
        attack,
        splits.x_test,
        splits.y_test,
        run["eval_batch_size"],
        progress=progress,
        attacked=attacked,
        keep_adversarial=keep,
        indicators=run.get("failure_indicators"),
    )
    # the model's clean accuracy beside every attack's: a table withholds the numbers of a
    # model below its experiment's clean_floor ("did not train"); measured after the attack,
    # so that no random draw of theirs (KD+BU's MC dropout) moves the attack's random start
    clean_accuracy = clean_accuracy_now()
    # whether the model trained is judged under its own decision rule (a DunDi model at one
    # oracle per class is less accurate by design: that is DunDi Table 1's column, not a
    # model that did not train)
    target.configure(**own_settings)
    model_clean_accuracy = clean_accuracy_now()
    if keep:
        io.save_torch(
            job["adversarial"][k],
            {
                **{key: run[key] for key in records.RUN_FIELDS},
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
        transfer_set=transfer_set,
    )
    io.write_json(job["records"][k], record)
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
