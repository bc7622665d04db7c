"""Rules craft_transfer_<experiment>_<method> (evaluation_jobs: per_model): every transfer
set of one source model in one process, the sets rule craft_transfer crafts one job each."""

from advrepro import jobs
from advrepro.logs import logging_to

with logging_to(snakemake.log[0]):
    jobs.craft_transfer_each(
        snakemake.input.data,
        snakemake.input.model,
        dict(snakemake.params.run),
        [dict(spec) for spec in snakemake.params.attacks],
        int(snakemake.wildcards.seed if snakemake.params.seed is None else snakemake.params.seed),
        list(snakemake.output),
        device=snakemake.params.device,
        progress=snakemake.params.progress,
        threads=snakemake.threads,
    )
