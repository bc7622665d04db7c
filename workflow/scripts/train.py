"""Rules train and train_<experiment>: the models of the job through advrepro.training.fit."""

from advrepro import jobs
from advrepro.logs import logging_to

with logging_to(snakemake.log[0]):
    jobs.train_models(
        snakemake.input.data,
        [dict(training, run=dict(training["run"])) for training in snakemake.params.trainings],
        device=snakemake.params.device,
        progress=snakemake.params.progress,
        threads=snakemake.threads,
    )
