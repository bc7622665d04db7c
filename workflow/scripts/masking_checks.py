"""Rule masking_checks: one experiment's evaluation records -> results/masking/<artifact>/<experiment>.json."""

from advrepro.logs import logging_to
from advrepro.reporting import artifacts

with logging_to(snakemake.log[0]):
    artifacts.masking_checks(
        list(snakemake.input),
        dict(snakemake.params.spec),
        dict(snakemake.params.experiments),
        snakemake.output[0],
        limits=dict(snakemake.params.limits),
    )
