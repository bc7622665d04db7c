# Stage 4: every table and figure from evaluation records only (no model is loaded here, so a
# plot or table change never retrains or re-attacks anything). One rule per artifact kind,
# one script per rule; config `artifacts` says which artifact is which kind.


rule table:
    input:
        records=lambda w: artifact_records(artifact_by_target(w)),
        reported=config["reported_results"],
        masking=lambda w: masking_records_of(artifact_by_target(w)),
    output:
        md="paper_figures/{paper}/{item}.md",
        csv=report("paper_figures/{paper}/{item}.csv", caption="../report/table.rst", category="{paper}"),
        tex="paper_figures/{paper}/{item}.tex",
    wildcard_constraints:
        item=items_of_kind("table"),
    log:
        "results/logs/artifacts/{paper}/{item}.log",
    params:
        spec=lambda w: ARTIFACTS[artifact_by_target(w)],
        masking_checks=lambda w: masking_checks_of(artifact_by_target(w)),
        experiments=lambda w: artifact_experiments(artifact_by_target(w)),
        provenance={"scale": config["scale"], "config_hash": CONFIG_HASH},
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    conda:
        TORCH_ENV
    script:
        "../scripts/table.py"


rule figure:
    input:
        records=lambda w: artifact_records(artifact_by_target(w)),
        reported=config["reported_results"],
    output:
        png=report("paper_figures/{paper}/{item}.png", caption="../report/figure.rst", category="{paper}"),
        pdf="paper_figures/{paper}/{item}.pdf",
        csv="paper_figures/{paper}/{item}.csv",
    wildcard_constraints:
        item=items_of_kind("figure"),
    log:
        "results/logs/artifacts/{paper}/{item}.log",
    params:
        spec=lambda w: ARTIFACTS[artifact_by_target(w)],
        experiments=lambda w: artifact_experiments(artifact_by_target(w)),
        provenance={"scale": config["scale"], "config_hash": CONFIG_HASH},
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    conda:
        TORCH_ENV
    script:
        "../scripts/figure.py"


rule masking_report:
    input:
        records=lambda w: artifact_records(artifact_by_target(w)),
    output:
        md="paper_figures/{paper}/{item}.md",
        csv=report("paper_figures/{paper}/{item}.csv", caption="../report/masking.rst", category="{paper}"),
    wildcard_constraints:
        item=items_of_kind("masking"),
    log:
        "results/logs/artifacts/{paper}/{item}.log",
    params:
        spec=lambda w: ARTIFACTS[artifact_by_target(w)],
        experiments=lambda w: artifact_experiments(artifact_by_target(w)),
        provenance={"scale": config["scale"], "config_hash": CONFIG_HASH},
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    conda:
        TORCH_ENV
    script:
        "../scripts/masking_report.py"


rule training_cost:
    input:
        histories=all_histories(),
    output:
        md="paper_figures/ours/training_cost.md",
        csv=report("paper_figures/ours/training_cost.csv", caption="../report/training_cost.rst", category="ours"),
    log:
        "results/logs/artifacts/ours/training_cost.log",
    params:
        provenance={"scale": config["scale"], "config_hash": CONFIG_HASH},
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    conda:
        TORCH_ENV
    script:
        "../scripts/training_cost.py"


rule claims:
    input:
        unpack(lambda w: claim_tables(w.paper)),
    output:
        md="paper_figures/{paper}/claims.md",
        csv=report("paper_figures/{paper}/claims.csv", caption="../report/claims.rst", category="{paper}"),
    log:
        "results/logs/artifacts/{paper}/claims.log",
    params:
        claims=lambda w: config["claims"][w.paper],
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    conda:
        TORCH_ENV
    script:
        "../scripts/claims.py"


rule index:
    input:
        index_inputs(),
    output:
        "paper_figures/index.md",
    log:
        "results/logs/artifacts/index.log",
    params:
        entries=index_entries(),
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    conda:
        TORCH_ENV
    script:
        "../scripts/index.py"


rule neighbours_figure:
    input:
        lambda w: neighbour_files(artifact_by_target(w)),
    output:
        png=report("paper_figures/{paper}/{item}.png", caption="../report/neighbours.rst", category="{paper}"),
        pdf="paper_figures/{paper}/{item}.pdf",
        csv="paper_figures/{paper}/{item}.csv",
    wildcard_constraints:
        item=items_of_kind("neighbours"),
    log:
        "results/logs/artifacts/{paper}/{item}.log",
    params:
        spec=lambda w: ARTIFACTS[artifact_by_target(w)],
        config_hash=CONFIG_HASH,
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    conda:
        TORCH_ENV
    script:
        "../scripts/neighbours_figure.py"


rule confusion_figure:
    input:
        records=lambda w: artifact_records(artifact_by_target(w)),
    output:
        png=report("paper_figures/{paper}/{item}.png", caption="../report/confusion.rst", category="{paper}"),
        pdf="paper_figures/{paper}/{item}.pdf",
        csv="paper_figures/{paper}/{item}.csv",
    wildcard_constraints:
        item=items_of_kind("confusion"),
    log:
        "results/logs/artifacts/{paper}/{item}.log",
    params:
        spec=lambda w: ARTIFACTS[artifact_by_target(w)],
        experiments=lambda w: artifact_experiments(artifact_by_target(w)),
        provenance={"scale": config["scale"], "config_hash": CONFIG_HASH},
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    conda:
        TORCH_ENV
    script:
        "../scripts/confusion_figure.py"


# Beside MCT Fig. 3: the share of adversarial flows that no real flow could have, in feature
# units (the prepared dataset holds the scaler).
rule flow_validity:
    input:
        data=lambda w: dataset_file(ARTIFACTS[artifact_by_target(w)]["experiment"]),
        flows=lambda w: artifact_flow_sets(artifact_by_target(w)),
    output:
        md="paper_figures/{paper}/{item}.md",
        csv=report("paper_figures/{paper}/{item}.csv", caption="../report/flow_validity.rst", category="{paper}"),
    wildcard_constraints:
        item=items_of_kind("flow_validity"),
    log:
        "results/logs/artifacts/{paper}/{item}.log",
    params:
        spec=lambda w: ARTIFACTS[artifact_by_target(w)],
        experiments=lambda w: artifact_experiments(artifact_by_target(w)),
        provenance={"scale": config["scale"], "config_hash": CONFIG_HASH},
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    conda:
        TORCH_ENV
    script:
        "../scripts/flow_validity.py"
