"""What each compute rule does, as plain functions of paths and settings, one module per stage
(the reporting rules' are in advrepro.reporting.artifacts). Each stage's function takes a list
of work items (advrepro.plan builds them), so every granularity of job, one model or a whole
experiment, goes through the same code; rule scripts (workflow/scripts/*.py) only unpack
``snakemake.input/params`` and call it, so every step also runs and tests without Snakemake.

=========================  ==================================  ============================
stage                      function                            rules
=========================  ==================================  ============================
prepare (jobs.prepare)     prepare_dataset, fetch_cicids_day    prepare_dataset, fetch_...
train (jobs.train)         train_models                         train, train_<experiment>
craft (jobs.craft)         craft_transfer_sets                  craft_transfer, craft_..._*
evaluate (jobs.evaluate)   evaluate_models                      evaluate, evaluate_*
retrieve (jobs.neighbours) neighbours                           neighbours (MCT Fig. 2)
=========================  ==================================  ============================

A model file (advrepro.model_files) is written by the training stage and read, checked against
the config, by the others; an evaluation record (advrepro.records) by the evaluation stage.
"""

from advrepro.jobs.craft import craft_transfer_sets
from advrepro.jobs.evaluate import evaluate_models
from advrepro.jobs.neighbours import neighbours
from advrepro.jobs.prepare import fetch_cicids_day, prepare_dataset
from advrepro.jobs.train import train_models

__all__ = [
    "craft_transfer_sets",
    "evaluate_models",
    "fetch_cicids_day",
    "neighbours",
    "prepare_dataset",
    "train_models",
]
