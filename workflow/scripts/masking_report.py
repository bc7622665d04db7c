"""Rule masking_report: evaluation records -> paper_figures/<paper>/<item>.{md,csv}."""

from advrepro.logs import logging_to
from advrepro.reporting import artifacts

with logging_to(snakemake.log[0]):
    artifacts.masking_report(
        list(snakemake.input.records),
        dict(snakemake.params.spec),
        dict(snakemake.params.experiments),
        snakemake.params.provenance["scale"],
        snakemake.params.provenance["config_hash"],
        snakemake.output.md,
        snakemake.output.csv,
        limits=dict(snakemake.params.limits),
    )
