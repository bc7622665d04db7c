"""Rule prepare_dataset: verified published files -> results/data/<dataset>.pt."""

from advrepro import jobs
from advrepro.logs import logging_to

with logging_to(snakemake.log[0]):
    jobs.prepare_dataset(
        snakemake.wildcards.dataset,
        snakemake.params.root,
        list(snakemake.params.mirrors),
        snakemake.params.download,
        snakemake.output[0],
        cicids2018=dict(snakemake.params.cicids2018),
        day_files=list(snakemake.input.days),
    )
