"""Rule masking_report: evaluation records -> paper_figures/<paper>/<item>.{md,csv}."""
from advrepro import jobs

with jobs.logging_to(snakemake.log[0]):
    jobs.masking_report(list(snakemake.input.records), dict(snakemake.params.spec),
                        dict(snakemake.params.experiments),
                        snakemake.params.provenance["scale"],
                        snakemake.params.provenance["config_hash"],
                        snakemake.output.md, snakemake.output.csv)
