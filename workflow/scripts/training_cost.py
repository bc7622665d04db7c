"""Rule training_cost: every model's training history -> paper_figures/ours/training_cost.{md,csv}."""
from advrepro import jobs

with jobs.logging_to(snakemake.log[0]):
    jobs.training_cost(list(snakemake.input.histories), snakemake.params.provenance["scale"],
                       snakemake.params.provenance["config_hash"], snakemake.output.md,
                       snakemake.output.csv)
