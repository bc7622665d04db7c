"""Rule claims: artifact CSVs -> paper_figures/<paper>/claims.{md,csv}."""

from advrepro.logs import logging_to
from advrepro.reporting import artifacts

with logging_to(snakemake.log[0]):
    tables = {name: snakemake.input[name] for name in snakemake.input.keys()}
    artifacts.claims_report(
        list(snakemake.params.claims),
        tables,
        snakemake.wildcards.paper,
        snakemake.output.md,
        snakemake.output.csv,
    )
