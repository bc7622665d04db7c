"""Rules evaluate_model_<experiment>_<method> (evaluation_jobs: per_model) and
evaluate_sweep_<experiment>_<sweep> (an eps sweep's budgets): one trained model under each
attack of its group (advrepro.plan.AttackGroup) in one process -> the same tidy JSON records
(and adversarial examples) that rule evaluate writes one job per attack."""

from advrepro import jobs
from advrepro.logs import logging_to

with logging_to(snakemake.log[0]):
    jobs.attack_and_record_each(
        snakemake.input.data,
        snakemake.input.model,
        dict(snakemake.params.transfer_sets),
        dict(snakemake.params.run),
        [dict(spec) for spec in snakemake.params.attacks],
        int(snakemake.wildcards.seed),
        list(snakemake.output.records),
        device=snakemake.params.device,
        progress=snakemake.params.progress,
        threads=snakemake.threads,
        out_adversarial=list(getattr(snakemake.output, "adversarial", [])) or None,
    )
