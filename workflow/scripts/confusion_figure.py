"""Rule confusion_figure: records -> paper_figures/<paper>/<item>.{png,pdf,csv} (MCT Fig. 3)."""

from advrepro.logs import logging_to
from advrepro.reporting import artifacts

with logging_to(snakemake.log[0]):
    artifacts.confusion_figure(
        list(snakemake.input.records),
        dict(snakemake.params.spec),
        dict(snakemake.params.experiments),
        snakemake.params.provenance["scale"],
        snakemake.params.provenance["config_hash"],
        snakemake.output.png,
        snakemake.output.pdf,
        snakemake.output.csv,
    )
