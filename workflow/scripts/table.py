"""Rule table: evaluation records (+ masking-check results) -> paper_figures/<paper>/<item>.{md,csv,tex}."""

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
        check_paths=list(snakemake.input.masking),
        protocol=list(snakemake.params.protocol),
    )
