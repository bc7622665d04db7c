# Stage 3: one evaluation record per (experiment, method, seed, attack). A transfer attack is
# crafted once per source model (rule craft_transfer) and replayed on every target. An
# experiment with save_adversarial also keeps the adversarial examples (rule
# evaluate_keeping_adversarial; e.g. MCT Fig. 3's flows, which the flow_validity table maps
# back to feature units).


rule evaluate:
    input:
        data=lambda w: dataset_file(w.experiment),
        model="results/{experiment}/models/{method}/seed{seed}.pt",
        transfer_set=transfer_set_input,
    output:
        record="results/{experiment}/records/{method}/seed{seed}/{attack}.json",
    wildcard_constraints:
        experiment=experiments_saving_adversarial(False),
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
        TORCH_ENV
    script:
        "../scripts/evaluate.py"


use rule evaluate as evaluate_keeping_adversarial with:
    output:
        record="results/{experiment}/records/{method}/seed{seed}/{attack}.json",
        adversarial="results/{experiment}/adversarial/{method}/seed{seed}/{attack}.pt",
    wildcard_constraints:
        experiment=experiments_saving_adversarial(True),


# A transfer attack's examples depend on its source model, never on the target: crafted once
# here, replayed by the evaluation of every target (advrepro.transfer).
rule craft_transfer:
    input:
        data=lambda w: dataset_file(w.experiment),
        model="results/{experiment}/models/{method}/seed{seed}.pt",
    output:
        "results/{experiment}/transfer/{method}/seed{seed}/{attack}.pt",
    log:
        "results/{experiment}/logs/craft_transfer/{method}/seed{seed}/{attack}.log",
    params:
        run=lambda w: run_params(w.experiment, w.method),
        attack=lambda w: attack_spec(w.experiment, w.attack),
        device=config["device"],
        progress=config["progress"],
    threads: config["resources"]["evaluate"]["cpus"]
    resources:
        **job_resources("evaluate"),
    conda:
        TORCH_ENV
    script:
        "../scripts/craft_transfer.py"


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
        TORCH_ENV
    script:
        "../scripts/neighbours.py"
