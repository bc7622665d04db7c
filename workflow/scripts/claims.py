"""Rule claims: artifact CSVs -> paper_figures/<paper>/claims.{md,csv}."""
from advrepro import jobs

with jobs.logging_to(snakemake.log[0]):
    tables = {name: snakemake.input[name] for name in snakemake.input.keys()}
    jobs.claims_report(list(snakemake.params.claims), tables, snakemake.wildcards.paper,
                       snakemake.output.md, snakemake.output.csv)
