# Stage 4: every table and figure from evaluation records only (no model is loaded here, so a
# plot or table change never retrains or re-attacks anything). Every rule here takes seconds:
# each runs on the submitting host (localrule), a new artifact kind's rule too, as the loop
# defines it. One rule per artifact kind,
# defined from the kinds' registry (advrepro.reporting.kinds: inputs, outputs, caption,
# script), one script per rule; config `artifacts` says which artifact is which kind.
from functools import partial

for _kind, _spec in ARTIFACT_KINDS.items():

    rule:
        name:
            _spec.rule
        input:
            unpack(partial(kind_inputs, _kind)),
        output:
            **kind_outputs(_kind),
        log:
            paths.artifact_log_file("{paper}", "{item}"),
        wildcard_constraints:
            item=items_of_kind(_kind),
        localrule: True
        conda:
            TORCH_ENV
        threads: config["resources"]["cpu"]["cpus"]
        resources:
            **job_resources("cpu"),
        params:
            spec=lambda w: ARTIFACTS[artifact_by_target(w)],
            experiments=lambda w: artifact_experiments(artifact_by_target(w)),
            protocol=config["protocol"],
            provenance={"scale": config["scale"], "config_hash": CONFIG_HASH},
            # the kind's script, named through params: Snakemake evaluates a script path again
            # when the job runs, by which time a loop variable holds the last kind
            script=_spec.script,
        script:
            "../scripts/{params.script}"


# A masking artifact's checks, run once per experiment on its records; the experiment's tables
# mark their flagged rows from the result and the masking report renders all of them (a table
# job lists one file per experiment, not the hundreds of records the checks read).
rule masking_checks:
    input:
        lambda w: masking_check_records(w.artifact, w.experiment),
    output:
        paths.masking_checks_file("{artifact}", "{experiment}"),
    log:
        paths.masking_checks_log_file("{artifact}", "{experiment}"),
    wildcard_constraints:
        artifact="|".join(masking_artifacts()) or "(?!)",
    localrule: True
    conda:
        TORCH_ENV
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    params:
        spec=lambda w: checks_of_experiment(w.artifact, w.experiment),
        experiments=lambda w: {w.experiment: EXPERIMENTS[w.experiment]},
        limits=config["limits"],
    script:
        "../scripts/masking_checks.py"


rule training_cost:
    input:
        histories=all_histories(),
    output:
        md=paths.training_cost_file("md"),
        csv=report(
            paths.training_cost_file("csv"),
            caption="../report/training_cost.rst",
            category="ours",
        ),
    log:
        paths.artifact_log_file("ours", "training_cost"),
    localrule: True
    conda:
        TORCH_ENV
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    params:
        provenance={"scale": config["scale"], "config_hash": CONFIG_HASH},
    script:
        "../scripts/training_cost.py"


rule claims:
    input:
        unpack(lambda w: claim_tables(w.paper)),
    output:
        md=paths.claims_file("{paper}", "md"),
        csv=report(
            paths.claims_file("{paper}", "csv"),
            caption="../report/claims.rst",
            category="{paper}",
        ),
    log:
        paths.artifact_log_file("{paper}", "claims"),
    localrule: True
    conda:
        TORCH_ENV
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    params:
        claims=lambda w: config["claims"][w.paper],
    script:
        "../scripts/claims.py"


rule audit:
    input:
        claims=[paths.claims_file(paper, "csv") for paper in config["claims"]],
        reported=config["reported_results"],
    output:
        md=paths.audit_file("md"),
        csv=report(paths.audit_file("csv"), caption="../report/audit.rst", category="audit"),
    log:
        paths.artifact_log_file("audit", "audit"),
    localrule: True
    conda:
        TORCH_ENV
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    params:
        findings=config["audit"],
        artifacts=ARTIFACTS,
        experiments=EXPERIMENTS,
        protocol=config["protocol"],
        config_hash=CONFIG_HASH,
    script:
        "../scripts/audit.py"


rule index:
    input:
        index_inputs(),
    output:
        paths.INDEX_FILE,
    log:
        paths.INDEX_LOG_FILE,
    localrule: True
    conda:
        TORCH_ENV
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    params:
        entries=index_entries(),
    script:
        "../scripts/index.py"
