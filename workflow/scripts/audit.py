"""Rule audit: claims CSVs, reported CSV and config -> paper_figures/audit.{md,csv}."""

from advrepro.logs import logging_to
from advrepro.reporting import artifacts

with logging_to(snakemake.log[0]):
    artifacts.paper_audit(
        list(snakemake.input.claims),
        snakemake.input.reported,
        list(snakemake.params.findings),
        dict(snakemake.params.artifacts),
        dict(snakemake.params.experiments),
        list(snakemake.params.protocol),
        snakemake.params.config_hash,
        snakemake.output.md,
        snakemake.output.csv,
    )
