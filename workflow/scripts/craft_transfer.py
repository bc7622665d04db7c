"""Rule craft_transfer: one transfer attack's adversarial examples, crafted once on its source
model, for every target's evaluation to replay."""

from advrepro import jobs
from advrepro.logs import logging_to

with logging_to(snakemake.log[0]):
    jobs.craft_transfer(
        snakemake.input.data,
        snakemake.input.model,
        dict(snakemake.params.run),
        dict(snakemake.params.attack),
        int(snakemake.wildcards.seed),
        snakemake.output[0],
        device=snakemake.params.device,
        progress=snakemake.params.progress,
        threads=snakemake.threads,
    )
