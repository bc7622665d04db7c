# Stage 2: train one model per (experiment, method, seed) through the single training loop.
# The checkpoint is not an output: Snakemake would delete it when a job fails, and it is what
# a resubmitted job resumes from. The job deletes it once its outputs are written, so a rerun
# trains anew. An experiment with training_jobs: per_experiment trains all its models in one
# job instead (rule train_<experiment>, below).


rule train:
    input:
        data=lambda w: dataset_file(w.experiment),
        init=init_model_file,
    output:
        model=paths.model_file("{experiment}", "{method}", "{seed}"),
        history=paths.history_file("{experiment}", "{method}", "{seed}"),
    log:
        paths.log_file("train", "{experiment}", "{method}", "{seed}"),
    benchmark:
        paths.benchmark_file("train", "{experiment}", "{method}", "{seed}")
    wildcard_constraints:
        experiment=experiments_trained("per_model"),
    conda:
        TORCH_ENV
    threads: config["resources"]["train"]["cpus"]
    resources:
        **job_resources("train"),
    params:
        trainings=lambda w: [plan.training(PLAN, w.experiment, w.method, w.seed)],
        device=config["device"],
        progress=config["progress"],
    script:
        "../scripts/train.py"


# training_jobs: per_experiment: every model of the experiment, one after the other, in one
# process (advrepro.jobs.train_models, as rule train); the same models as rule train's.
for _experiment in EXPERIMENTS:
    if EXPERIMENTS[_experiment]["training_jobs"] != "per_experiment":
        continue
    _trainings = experiment_trainings(_experiment)

    rule:
        name:
            f"train_{_experiment}"
        input:
            data=dataset_file(_experiment),
        output:
            models=[t["model"] for t in _trainings],
            histories=[t["history"] for t in _trainings],
        log:
            paths.experiment_log_file("train", _experiment),
        benchmark:
            paths.experiment_benchmark_file("train", _experiment)
        # the experiments with more models (the longer jobs) start first, so that no long
        # training job is left to run alone at the end
        priority: len(_trainings)
        conda:
            TORCH_ENV
        threads: config["resources"]["train"]["cpus"]
        resources:
            **job_resources("train", _experiment),
        params:
            trainings=_trainings,
            device=config["device"],
            progress=config["progress"],
        script:
            "../scripts/train.py"
