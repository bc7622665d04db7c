"""Rule evaluate: one trained model under one attack -> one tidy JSON record."""
from advrepro import jobs

with jobs.logging_to(snakemake.log[0]):
    jobs.attack_and_record(snakemake.input.data, snakemake.input.model,
                           snakemake.input.source or None, dict(snakemake.params.run),
                           dict(snakemake.params.attack), int(snakemake.wildcards.seed),
                           snakemake.output.record, device=snakemake.params.device,
                           progress=snakemake.params.progress,
                           threads=snakemake.threads)
