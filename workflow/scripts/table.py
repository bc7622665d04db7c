"""Rule table: evaluation records -> paper_figures/<paper>/<item>.{md,csv,tex}."""

from advrepro.logs import logging_to
from advrepro.reporting import artifacts

with logging_to(snakemake.log[0]):
    artifacts.table_artifact(
        list(snakemake.input.records),
        dict(snakemake.params.spec),
        dict(snakemake.params.experiments),
        snakemake.input.reported,
        snakemake.params.provenance["scale"],
        snakemake.params.provenance["config_hash"],
        snakemake.output.md,
        snakemake.output.csv,
        snakemake.output.tex,
        masking_records=list(snakemake.input.masking),
        masking_checks=list(snakemake.params.masking_checks),
        protocol=list(snakemake.params.protocol),
        limits=dict(snakemake.params.limits),
    )
