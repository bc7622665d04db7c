"""Rules craft_transfer and craft_transfer_<experiment>_<source>: transfer sets crafted once
on their source model."""

from advrepro import jobs
from advrepro.logs import logging_to

with logging_to(snakemake.log[0]):
    jobs.craft_transfer_sets(
        snakemake.input.data,
        [dict(craft, run=dict(craft["run"])) for craft in snakemake.params.crafts],
        device=snakemake.params.device,
        progress=snakemake.params.progress,
        threads=snakemake.threads,
    )
