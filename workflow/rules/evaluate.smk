# Stage 3: one evaluation record per (experiment, method, seed, attack). Transfer attacks
# also need the source model they are crafted on.


rule evaluate:
    input:
        data=lambda w: dataset_file(w.experiment),
        model="results/{experiment}/models/{method}/seed{seed}.pt",
        source=transfer_source_file,
    output:
        record="results/{experiment}/records/{method}/seed{seed}/{attack}.json",
    log:
        "results/{experiment}/logs/evaluate/{method}/seed{seed}/{attack}.log",
    params:
        run=lambda w: run_params(w.experiment, w.method),
        attack=lambda w: attack_spec(w.experiment, w.attack),
        device=config["device"],
        progress=config["progress"],
    threads: config["resources"]["evaluate"]["cpus"]
    resources:
        **job_resources("evaluate"),
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/evaluate.py"
