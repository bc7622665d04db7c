"""Rule index: every artifact's CSV -> paper_figures/index.md."""
from advrepro import jobs

with jobs.logging_to(snakemake.log[0]):
    jobs.artifact_index(list(snakemake.params.entries), snakemake.output[0])
