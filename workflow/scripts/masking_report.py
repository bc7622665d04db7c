"""Rule masking_report: masking-check results per experiment -> paper_figures/<paper>/<item>.{md,csv}."""

from advrepro.logs import logging_to
from advrepro.reporting import artifacts

with logging_to(snakemake.log[0]):
    artifacts.masking_report(
        list(snakemake.input.checks),
        dict(snakemake.params.spec),
        dict(snakemake.params.experiments),
        snakemake.params.provenance["scale"],
        snakemake.params.provenance["config_hash"],
        snakemake.output.md,
        snakemake.output.csv,
    )
