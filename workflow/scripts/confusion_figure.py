"""Rule confusion_figure: records -> paper_figures/<paper>/<item>.{png,pdf,csv} (MCT Fig. 3)."""
from advrepro import jobs

with jobs.logging_to(snakemake.log[0]):
    jobs.confusion_figure(list(snakemake.input.records), dict(snakemake.params.spec),
                          dict(snakemake.params.experiments),
                          snakemake.params.provenance["scale"],
                          snakemake.params.provenance["config_hash"], snakemake.output.png,
                          snakemake.output.pdf, snakemake.output.csv)
