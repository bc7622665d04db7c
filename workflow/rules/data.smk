# Stage 1: acquire a dataset's published files (verified mirror copies first, then download)
# and prepare them once into a tensor file that training and attacks load onto the device.


rule prepare_dataset:
    output:
        "results/data/{dataset}.pt",
    log:
        "results/logs/data/{dataset}.log",
    params:
        root=config["data"]["root"],
        mirrors=config["data"]["mirrors"],
        download=config["data"]["download"],
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/prepare_dataset.py"
