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


# MCT Fig. 2's compute: one model's nearest training images of attacked test images (the
# figure rule only plots them).
rule neighbours:
    input:
        data=lambda w: dataset_file(ARTIFACTS[w.artifact]["experiment"]),
        model=lambda w: model_file(ARTIFACTS[w.artifact]["experiment"], w.method, ARTIFACTS[w.artifact]["seed"]),
    output:
        "results/neighbours/{artifact}/{method}.pt",
    log:
        "results/logs/neighbours/{artifact}/{method}.log",
    params:
        run=lambda w: run_params(ARTIFACTS[w.artifact]["experiment"], w.method),
        attack=lambda w: attack_spec(ARTIFACTS[w.artifact]["experiment"], ARTIFACTS[w.artifact]["attack"]),
        spec=lambda w: ARTIFACTS[w.artifact],
        device=config["device"],
    threads: config["resources"]["evaluate"]["cpus"]
    resources:
        **job_resources("evaluate"),
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/neighbours.py"
