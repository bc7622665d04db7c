"""Rule neighbours_figure: neighbour files -> paper_figures/<paper>/<item>.{png,pdf,csv}."""

from advrepro.logs import logging_to
from advrepro.reporting import artifacts

with logging_to(snakemake.log[0]):
    artifacts.neighbours_figure(
        list(snakemake.input.neighbours),
        dict(snakemake.params.spec),
        snakemake.params.provenance["config_hash"],
        snakemake.output.png,
        snakemake.output.pdf,
        snakemake.output.csv,
    )
