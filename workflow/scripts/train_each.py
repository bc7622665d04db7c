"""Rules train_<experiment> (training_jobs: per_experiment): every model of one experiment
in one process, one after the other, through the same training loop as rule train."""

from advrepro import jobs
from advrepro.logs import logging_to

with logging_to(snakemake.log[0]):
    jobs.train_each(
        snakemake.input.data,
        [dict(spec, run=dict(spec["run"])) for spec in snakemake.params.models],
        device=snakemake.params.device,
        progress=snakemake.params.progress,
        threads=snakemake.threads,
    )
