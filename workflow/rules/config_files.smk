# The config: the paper config (config/config.yaml) under what the command line gives
# (--configfile files, then --config values), merged as Snakemake's `configfile:` directive
# merges them. Every config file is read with advrepro.config.read_yaml, which names file and
# line for what Snakemake's own reader accepts silently (a key given twice keeps the last
# value; an alias bomb expands until memory runs out) or reports without saying which file (a
# YAML syntax error in the paper config). The paper config is taken from that read rather than
# read again by the directive, whose pure-Python YAML reader spent 0.6 s of every start (each
# dry run, each cluster job) on it. A --configfile with a syntax error fails in Snakemake's
# command line before this file runs: `python -m advrepro.config <files>` names it.
import copy
import sys
from pathlib import Path

from snakemake.utils import update_config

sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from advrepro import config as config_checks

PAPER_CONFIG = "config/config.yaml"

try:
    _read = {
        path: config_checks.read_config_file(path)
        for path in (PAPER_CONFIG, *workflow.overwrite_configfiles)
        if Path(path).is_file()
    }
except config_checks.ConfigError as error:
    raise WorkflowError(str(error)) from None

if getattr(workflow.config_settings, "replace_workflow_config", False):
    pass  # --replace-workflow-config: the command line's config alone
elif PAPER_CONFIG in _read:
    # `config` holds the command line's config so far; merged as the directive merges (its
    # key order too, which orders the artifacts and experiments)
    _command_line = copy.deepcopy(config)
    update_config(config, _read[PAPER_CONFIG])
    update_config(config, _command_line)
    workflow.configfiles.append(PAPER_CONFIG)  # Snakemake's header, report and archives
elif not workflow.overwrite_configfiles:
    raise WorkflowError(
        f"{PAPER_CONFIG} not found (full path {Path(PAPER_CONFIG).resolve()}): run Snakemake "
        "from the repository root, or name a complete config with --configfile"
    )
