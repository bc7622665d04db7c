# Read before anything else reads the config: every config file (the paper config the Snakefile
# names, and each --configfile) is read once more with advrepro.config.read_yaml, which names
# file and line for what Snakemake's own reader accepts silently (a key given twice keeps the
# last value; an alias bomb expands until memory runs out) or reports without saying which file
# (a YAML syntax error in the paper config). A --configfile with a syntax error fails in
# Snakemake's command line before this file runs: `python -m advrepro.config <files>` names it.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from advrepro import config as config_checks

PAPER_CONFIG = "config/config.yaml"

try:
    config_checks.check_files(
        [p for p in (PAPER_CONFIG, *workflow.overwrite_configfiles) if Path(p).is_file()]
    )
except config_checks.ConfigError as error:
    raise WorkflowError(str(error)) from None
