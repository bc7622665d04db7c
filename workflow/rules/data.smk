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
        cicids2018=lambda w: config["data"]["cicids2018"] if w.dataset.startswith("cicids") else {},
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/prepare_dataset.py"
