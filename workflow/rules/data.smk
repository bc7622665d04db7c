# Stage 1: acquire a dataset's published files (verified mirror copies first, then download)
# and prepare them once into a tensor file that training and attacks load onto the device.
# These run on the submitting host (localrule): they need the internet or the mirror folders,
# which compute nodes often lack.


rule prepare_dataset:
    input:
        days=cicids_day_files,  # CIC-IDS2018's day CSVs; the other datasets fetch their own
    output:
        paths.dataset_file("{dataset}"),
    log:
        paths.dataset_log_file("{dataset}"),
    # every other job waits for a dataset: prepare them all first
    priority: 100
    localrule: True
    conda:
        TORCH_ENV
    threads: config["resources"]["cpu"]["cpus"]
    resources:
        **job_resources("cpu"),
    params:
        root=config["data"]["root"],
        mirrors=config["data"]["mirrors"],
        download=config["data"]["download"],
        cicids2018=lambda w: config["data"]["cicids2018"] if w.dataset.startswith("cicids") else {},
    script:
        "../scripts/prepare_dataset.py"


# A CIC-IDS2018 day file that is not in data.cicids2018.folder: fetched anonymously from the
# public bucket through Snakemake's storage support (the http plugin on the bucket's HTTPS
# address) when data.cicids2018.download is on; otherwise the job fails naming the file and
# how to get it. The user's folder is never an output, so --forceall cannot delete it.
rule fetch_cicids_day:
    input:
        cicids_bucket_object,
    output:
        f"{CICIDS_FETCHED}/{{day}}",
    log:
        paths.fetch_log_file("{day}"),
    localrule: True
    conda:
        TORCH_ENV
    params:
        folder=CICIDS["folder"],
    script:
        "../scripts/fetch_cicids_day.py"
