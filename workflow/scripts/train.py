"""Rule train: one (experiment, method, seed) through advrepro.training.fit."""

from advrepro import jobs
from advrepro.logs import logging_to

with logging_to(snakemake.log[0]):
    jobs.train(
        snakemake.input.data,
        dict(snakemake.params.run),
        int(snakemake.wildcards.seed),
        snakemake.params.checkpoint,
        snakemake.output.model,
        snakemake.output.history,
        device=snakemake.params.device,
        progress=snakemake.params.progress,
        threads=snakemake.threads,
        init_model_path=snakemake.input.init or None,
    )
