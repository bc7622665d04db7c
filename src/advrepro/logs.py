"""A job's log: every rule script runs its work inside ``logging_to(snakemake.log[0])``."""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def logging_to(path: str | Path | None):
    """Send this job's log and progress bars (stderr) to the rule's log file."""
    if path is None:
        yield
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        old_stderr, sys.stderr = sys.stderr, handle
        logging.basicConfig(
            stream=handle,
            level=logging.INFO,
            force=True,
            format="%(asctime)s %(name)s %(levelname)s %(message)s",
        )
        try:
            yield
        except BaseException:
            logging.getLogger("advrepro").exception("job failed")
            raise
        finally:
            sys.stderr = old_stderr
