"""Rule figure: evaluation records -> paper_figures/<paper>/<item>.{png,pdf,csv}."""
from advrepro import jobs

with jobs.logging_to(snakemake.log[0]):
    jobs.figure_artifact(list(snakemake.input.records), dict(snakemake.params.spec),
                         dict(snakemake.params.experiments), snakemake.input.reported,
                         snakemake.params.provenance["scale"],
                         snakemake.params.provenance["config_hash"],
                         snakemake.output.png, snakemake.output.pdf, snakemake.output.csv)
