"""Rules evaluate_<experiment> (evaluation_jobs: per_experiment): every model of one experiment
under each of its attacks in one process -> the same tidy JSON records (and adversarial
examples) that rule evaluate writes one job per (model, attack)."""

from advrepro import jobs
from advrepro.logs import logging_to

with logging_to(snakemake.log[0]):
    jobs.attack_and_record_models(
        snakemake.input.data,
        [dict(spec, run=dict(spec["run"])) for spec in snakemake.params.evaluations],
        device=snakemake.params.device,
        progress=snakemake.params.progress,
        threads=snakemake.threads,
    )
