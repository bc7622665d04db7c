"""Rule fetch_cicids_day: the bucket's day file (retrieved by Snakemake) -> fetched copy."""

from advrepro import jobs
from advrepro.logs import logging_to

with logging_to(snakemake.log[0]):
    jobs.fetch_cicids_day(list(snakemake.input), snakemake.output[0], snakemake.params.folder)
