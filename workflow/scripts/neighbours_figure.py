"""Rule neighbours_figure: neighbour files -> paper_figures/<paper>/<item>.{png,pdf,csv}."""
from advrepro import jobs

with jobs.logging_to(snakemake.log[0]):
    jobs.neighbours_figure(list(snakemake.input), dict(snakemake.params.spec),
                           snakemake.params.config_hash, snakemake.output.png,
                           snakemake.output.pdf, snakemake.output.csv)
