# Reproduction of MCT (Appiah et al. 2020) and DunDi (Cui et al. 2019).
# This file is only wiring: the config, the rule files by stage, and the default target.
# Run:  snakemake --cores all [--use-conda] [--configfile config/demo.yaml]


# the paper config under --configfile/--config, each file's YAML checked (named by file and line)
include: "workflow/rules/config_files.smk"
include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/aggregate.smk"


rule all:
    default_target: True
    input:
        all_targets(),
    localrule: True
