"""Rule training_cost: every model's training history -> paper_figures/ours/training_cost.{md,csv}."""

from advrepro.logs import logging_to
from advrepro.reporting import artifacts

with logging_to(snakemake.log[0]):
    artifacts.training_cost(
        list(snakemake.input.histories),
        snakemake.params.provenance["scale"],
        snakemake.params.provenance["config_hash"],
        snakemake.output.md,
        snakemake.output.csv,
    )
