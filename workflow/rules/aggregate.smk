# Stage 4: paper tables from evaluation records only (no model is loaded here), each
# with the reported numbers beside ours, verdicts where comparable, and a provenance stamp.


rule accuracy_table:
    input:
        records=lambda w: artifact_records(artifact_by_target(w)),
        reported=config["reported_results"],
    output:
        md="paper_figures/{paper}/{item}.md",
        csv="paper_figures/{paper}/{item}.csv",
        tex="paper_figures/{paper}/{item}.tex",
    log:
        "results/logs/artifacts/{paper}/{item}.log",
    params:
        spec=lambda w: ARTIFACTS[artifact_by_target(w)],
        experiment=lambda w: EXPERIMENTS[ARTIFACTS[artifact_by_target(w)]["experiment"]],
        provenance={"scale": config["scale"], "config_hash": CONFIG_HASH},
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/accuracy_table.py"


rule training_cost:
    input:
        histories=all_histories(),
    output:
        md="paper_figures/ours/training_cost.md",
        csv="paper_figures/ours/training_cost.csv",
    log:
        "results/logs/artifacts/ours/training_cost.log",
    params:
        provenance={"scale": config["scale"], "config_hash": CONFIG_HASH},
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/training_cost.py"
