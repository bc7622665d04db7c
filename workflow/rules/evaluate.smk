# Stage 3: one evaluation record per (experiment, method, seed, attack). A transfer attack is
# crafted once per source model (rule craft_transfer) and replayed on every target. An
# experiment with save_adversarial also keeps the adversarial examples (rule
# evaluate_keeping_adversarial; e.g. MCT Fig. 3's flows, which the flow_validity table maps
# back to feature units). The budgets of an eps sweep run in one job per model (rules
# evaluate_sweep_<experiment>_<sweep>, below), and an experiment with evaluation_jobs:
# per_model runs all attacks of one model in one job (rules evaluate_model_<experiment>_
# <method>): the same records, without a fresh interpreter and torch import per (model,
# attack); with evaluation_jobs: per_experiment one job (rule evaluate_<experiment>) covers
# every model.
from functools import partial


rule evaluate:
    input:
        data=lambda w: dataset_file(w.experiment),
        model=paths.model_file("{experiment}", "{method}", "{seed}"),
        transfer_set=transfer_set_input,
    output:
        record=paths.record_file("{experiment}", "{method}", "{seed}", "{attack}"),
    log:
        paths.log_file("evaluate", "{experiment}", "{method}", "{seed}", "{attack}"),
    benchmark:
        paths.benchmark_file("evaluate", "{experiment}", "{method}", "{seed}", "{attack}")
    wildcard_constraints:
        experiment=experiments_evaluated("per_attack", saving=False),
        attack=attacks_evaluated_alone(),
    conda:
        TORCH_ENV
    threads: config["resources"]["evaluate"]["cpus"]
    resources:
        **job_resources("evaluate"),
    params:
        evaluations=lambda w: [plan.evaluation(PLAN, w.experiment, w.method, w.seed, [w.attack])],
        device=config["device"],
        progress=config["progress"],
    script:
        "../scripts/evaluate.py"


use rule evaluate as evaluate_keeping_adversarial with:
    output:
        record=paths.record_file("{experiment}", "{method}", "{seed}", "{attack}"),
        adversarial=paths.adversarial_file("{experiment}", "{method}", "{seed}", "{attack}"),
    wildcard_constraints:
        experiment=experiments_evaluated("per_attack", saving=True),
        attack=attacks_evaluated_alone(),


# Attacks of one model in one job (advrepro.plan.AttackGroup): an eps sweep's budgets
# (rules evaluate_sweep_<experiment>_<sweep>, {method} a wildcard) or, with evaluation_jobs:
# per_model, all attacks of a model (rules evaluate_model_<experiment>_<method>). Snakemake's
# outputs are patterns and the attacks differ from group to group, so each gets its own rule;
# {seed} stays a wildcard.
for _group in plan.attack_groups(PLAN):
    _experiment, _method = _group.experiment, _group.method or "{method}"

    rule:
        name:
            _group.rule
        input:
            data=dataset_file(_experiment),
            model=paths.model_file(_experiment, _method, "{seed}"),
            transfer_sets=partial(group_transfer_set_files, _group),
        output:
            records=[paths.record_file(_experiment, _method, "{seed}", a) for a in _group.attacks],
            adversarial=(
                [paths.adversarial_file(_experiment, _method, "{seed}", a) for a in _group.attacks]
                if EXPERIMENTS[_experiment]["save_adversarial"]
                else []
            ),
        log:
            paths.log_file("evaluate", _experiment, _method, "{seed}", _group.sweep),
        benchmark:
            paths.benchmark_file("evaluate", _experiment, _method, "{seed}", _group.sweep)
        wildcard_constraints:
            method="|".join(_group.methods),
        conda:
            TORCH_ENV
        threads: config["resources"]["evaluate"]["cpus"]
        resources:
            **job_resources("evaluate", _experiment),
        params:
            evaluations=partial(group_evaluations, _group),
            device=config["device"],
            progress=config["progress"],
        script:
            "../scripts/evaluate.py"


# evaluation_jobs: per_experiment: every model of the experiment under each of its attacks in
# one process (advrepro.jobs.evaluate_models, as every evaluation rule); the same records.
for _experiment in EXPERIMENTS:
    if EXPERIMENTS[_experiment]["evaluation_jobs"] != "per_experiment":
        continue
    _evaluations = experiment_evaluations(_experiment)
    if not _evaluations:
        continue

    rule:
        name:
            f"evaluate_{_experiment}"
        input:
            data=dataset_file(_experiment),
            models=[e["model"] for e in _evaluations],
            transfer_sets=sorted({p for e in _evaluations for p in e["transfer_sets"].values()}),
        output:
            records=[r for e in _evaluations for r in e["records"]],
            adversarial=[a for e in _evaluations for a in e["adversarial"]],
        log:
            paths.experiment_log_file("evaluate", _experiment),
        benchmark:
            paths.experiment_benchmark_file("evaluate", _experiment)
        # the experiments with more attacked models (the longer jobs) start first
        priority: len(_evaluations)
        conda:
            TORCH_ENV
        threads: config["resources"]["evaluate"]["cpus"]
        resources:
            **job_resources("evaluate", _experiment),
        params:
            evaluations=_evaluations,
            device=config["device"],
            progress=config["progress"],
        script:
            "../scripts/evaluate.py"


# A transfer attack's examples depend on its source model, never on the target: crafted once
# here, replayed by the evaluation of every target (advrepro.transfer).
rule craft_transfer:
    input:
        data=lambda w: dataset_file(w.experiment),
        model=paths.model_file("{experiment}", "{method}", "{seed}"),
    output:
        paths.transfer_set_file("{experiment}", "{method}", "{seed}", "{attack}"),
    log:
        paths.log_file("craft_transfer", "{experiment}", "{method}", "{seed}", "{attack}"),
    benchmark:
        paths.benchmark_file("craft_transfer", "{experiment}", "{method}", "{seed}", "{attack}")
    wildcard_constraints:
        experiment=experiments_evaluated("per_attack"),
    conda:
        TORCH_ENV
    threads: config["resources"]["evaluate"]["cpus"]
    resources:
        **job_resources("evaluate"),
    params:
        crafts=lambda w: [plan.crafting(PLAN, w.experiment, w.method, w.seed, [w.attack])],
        device=config["device"],
        progress=config["progress"],
    script:
        "../scripts/craft_transfer.py"


# evaluation_jobs: per_model: one job crafts every transfer set of a source model (the same
# sets as rule craft_transfer's); a source of the targets' own seed keeps {seed} a wildcard.
for _experiment, _source, _source_seed, _crafted in plan.crafting_jobs_per_source(PLAN):
    _seed = "{seed}" if _source_seed is None else _source_seed

    rule:
        name:
            f"craft_transfer_{_experiment}_{_source}"
            + ("" if _source_seed is None else f"_seed{_source_seed}")
        input:
            data=dataset_file(_experiment),
            model=paths.model_file(_experiment, _source, _seed),
        output:
            [paths.transfer_set_file(_experiment, _source, _seed, a) for a in _crafted],
        log:
            paths.log_file("craft_transfer", _experiment, _source, _seed),
        benchmark:
            paths.benchmark_file("craft_transfer", _experiment, _source, _seed)
        # every evaluation of the experiment waits for these sets: craft them first
        priority: 50
        conda:
            TORCH_ENV
        threads: config["resources"]["evaluate"]["cpus"]
        resources:
            **job_resources("evaluate", _experiment),
        params:
            crafts=partial(source_crafts, _experiment, _source, _source_seed, _crafted),
            device=config["device"],
            progress=config["progress"],
        script:
            "../scripts/craft_transfer.py"


# MCT Fig. 2's compute: one model's nearest training images of attacked test images (the
# figure rule only plots them).
rule neighbours:
    input:
        data=lambda w: dataset_file(ARTIFACTS[w.artifact]["experiment"]),
        model=lambda w: paths.model_file(
            ARTIFACTS[w.artifact]["experiment"], w.method, ARTIFACTS[w.artifact]["seed"]
        ),
    output:
        paths.neighbours_file("{artifact}", "{method}"),
    log:
        paths.neighbours_log_file("{artifact}", "{method}"),
    conda:
        TORCH_ENV
    threads: config["resources"]["evaluate"]["cpus"]
    resources:
        **job_resources("evaluate"),
    params:
        run=lambda w: run_params(ARTIFACTS[w.artifact]["experiment"], w.method),
        attack=lambda w: attack_spec(
            ARTIFACTS[w.artifact]["experiment"], ARTIFACTS[w.artifact]["attack"]
        ),
        spec=lambda w: ARTIFACTS[w.artifact],
        device=config["device"],
    script:
        "../scripts/neighbours.py"
