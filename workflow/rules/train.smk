# Stage 2: train one model per (experiment, method, seed) through the single training loop.
# The checkpoint is not an output: Snakemake would delete it when a job fails, and it is what
# a resubmitted job resumes from. The job deletes it once its outputs are written, so a rerun
# trains anew.


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
    conda:
        TORCH_ENV
    threads: config["resources"]["train"]["cpus"]
    resources:
        **job_resources("train"),
    params:
        run=lambda w: run_params(w.experiment, w.method),
        checkpoint=paths.checkpoint_file("{experiment}", "{method}", "{seed}"),
        device=config["device"],
        progress=config["progress"],
    script:
        "../scripts/train.py"
