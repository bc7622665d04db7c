"""Rule evaluate (and evaluate_keeping_adversarial): one trained model under one attack -> one
tidy JSON record (and the adversarial examples). A transfer attack's examples come from rule
craft_transfer."""

from advrepro import jobs
from advrepro.logs import logging_to

with logging_to(snakemake.log[0]):
    jobs.attack_and_record(
        snakemake.input.data,
        snakemake.input.model,
        snakemake.input.transfer_set or None,
        dict(snakemake.params.run),
        dict(snakemake.params.attack),
        int(snakemake.wildcards.seed),
        snakemake.output.record,
        device=snakemake.params.device,
        progress=snakemake.params.progress,
        threads=snakemake.threads,
        out_adversarial=getattr(snakemake.output, "adversarial", None),
    )
