"""Rule neighbours: a trained model -> its nearest training images of attacked test images."""

from advrepro import jobs
from advrepro.logs import logging_to

with logging_to(snakemake.log[0]):
    jobs.neighbours(
        snakemake.input.data,
        snakemake.input.model,
        dict(snakemake.params.run),
        dict(snakemake.params.attack),
        dict(snakemake.params.spec),
        int(snakemake.params.spec["seed"]),
        snakemake.output[0],
        device=snakemake.params.device,
        threads=snakemake.threads,
    )
