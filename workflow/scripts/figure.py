"""Rule figure: evaluation records -> paper_figures/<paper>/<item>.{png,pdf,csv}."""

from advrepro.logs import logging_to
from advrepro.reporting import artifacts

with logging_to(snakemake.log[0]):
    artifacts.figure_artifact(
        list(snakemake.input.records),
        dict(snakemake.params.spec),
        dict(snakemake.params.experiments),
        snakemake.input.reported,
        snakemake.params.provenance["scale"],
        snakemake.params.provenance["config_hash"],
        snakemake.output.png,
        snakemake.output.pdf,
        snakemake.output.csv,
        protocol=list(snakemake.params.protocol),
    )
