"""Rule index: every artifact's CSV -> paper_figures/index.md."""

from advrepro.logs import logging_to
from advrepro.reporting import artifacts

with logging_to(snakemake.log[0]):
    artifacts.artifact_index(list(snakemake.params.entries), snakemake.output[0])
