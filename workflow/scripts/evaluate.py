"""Rules evaluate, evaluate_keeping_adversarial, evaluate_sweep_*, evaluate_model_* and
evaluate_<experiment>: each model of the job under its attacks -> one record per attack."""

from advrepro import jobs
from advrepro.logs import logging_to

with logging_to(snakemake.log[0]):
    jobs.evaluate_models(
        snakemake.input.data,
        [dict(job, run=dict(job["run"])) for job in snakemake.params.evaluations],
        device=snakemake.params.device,
        progress=snakemake.params.progress,
        threads=snakemake.threads,
    )
