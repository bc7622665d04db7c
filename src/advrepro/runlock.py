"""One run at a time in a working directory.

Snakemake 9.27.1 removes the whole ``.snakemake/locks`` folder when any run ends
(``persistence/file.py``: ``_delete_locks`` ends with ``shutil.rmtree(self._lockdir)``), the
locks of runs still going included. A second run in the same folder (one table built while the
main run trains) therefore releases the first run's locks when it finishes, and a third can
then start a job the first is running: two jobs writing one record. So a real run claims the
working directory for the life of its process, with an OS lock (``fcntl.flock``) on
``.snakemake/advrepro_run.lock``, which names its PID, host and command. The kernel drops the
lock when the process ends, however it ends (kill -9 included), so a stale file never blocks a
later run. A second real run is refused before Snakemake locks or writes anything, naming the
first run; a dry run (``-n``) writes no lock and removes none, so it is always allowed.

Snakemake parses the Snakefile before it knows whether the run is a dry run (the executor is
set when the run executes), so ``guard`` wraps the workflow's ``execute`` (and the two other
commands that take Snakemake's locks, ``--cleanup-shadow`` and ``--containerize``) and
``unlock`` (``--unlock`` removes the folder too) and decides there. Processes Snakemake spawns for jobs
(``--mode subprocess``, the SLURM executor's ``--mode remote`` on a compute node) run with
``--nolock`` and ``--no-hooks`` inside a run that holds the claim, and never claim it; nor do
``--report``, ``--lint`` and ``-n``, which lock nothing.
"""

from __future__ import annotations

import datetime
import fcntl
import functools
import os
import socket
import sys
from pathlib import Path
from typing import IO

CLAIM_FILE = Path(".snakemake") / "advrepro_run.lock"


class RunningElsewhereError(RuntimeError):
    """Another run holds the working directory; the message names it and what to do."""


def _holder(handle: IO[str]) -> str:
    handle.seek(0)
    text = handle.read().strip()
    return text or "a run that is starting (no PID written yet)"


def claim(folder: str | Path = ".") -> IO[str]:
    """Claim the working directory ``folder`` for this process: return the open claim file,
    whose lock lasts until it is closed or the process ends. Raises RunningElsewhereError,
    naming the other run, when another process holds it."""
    path = Path(folder) / CLAIM_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    # opened without truncating: the holder's PID must survive a refused attempt
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        other = _holder(handle)
        handle.close()
        raise RunningElsewhereError(
            f"another Snakemake run is working in {Path(folder).resolve()}: {other} "
            f"(recorded in {path}). Two real runs in one working directory lose data: "
            "Snakemake 9.27.1 removes every run's locks when any run ends, so jobs of the "
            "first run could be started twice. Wait for it to finish, or stop it "
            "(kill <PID>: its finished outputs stay, a killed training job resumes from its "
            "last checkpoint) and rerun; to work beside it, use another working directory "
            "(--directory). A dry run (-n) is always allowed."
        ) from None
    handle.seek(0)
    handle.truncate()
    started = datetime.datetime.now().isoformat(timespec="seconds")
    # python -m snakemake's argv[0] is the path of snakemake/__main__.py
    command = ["snakemake" if "snakemake" in sys.argv[0] else sys.argv[0], *sys.argv[1:]]
    handle.write(
        f"PID {os.getpid()} on {socket.gethostname()}, started {started}: {' '.join(command)}\n"
    )
    handle.flush()
    return handle


def is_claimed(folder: str | Path = ".") -> str | None:
    """Who holds the working directory, or None (the claim is taken and given back at once)."""
    try:
        claim(folder).close()
    except RunningElsewhereError as error:
        return str(error)
    return None


# Workflow methods that take Snakemake's locks, and so remove the locks folder when done:
# execute (a run; a dry run takes none), cleanup_shadow (--cleanup-shadow), containerize.
CLAIMING = ("execute", "cleanup_shadow", "containerize")


def guard(workflow, error_type: type[Exception] = RunningElsewhereError) -> None:
    """Make every real run of ``workflow`` (a Snakemake Workflow, from the Snakefile) claim
    the working directory while it works, and refuse ``--unlock`` while another run holds
    it; refusals raise ``error_type`` (the Snakefile passes Snakemake's WorkflowError, which
    Snakemake prints without a traceback). A ``--nolock`` run claims it too: it removes no
    locks, but would start jobs the other run is running."""
    from snakemake_interface_executor_plugins.settings import ExecMode

    if workflow.exec_mode != ExecMode.DEFAULT:
        return  # a job Snakemake spawned, inside a run that holds the claim

    def claiming(method):
        @functools.wraps(method)
        def claimed(*args, **kwargs):
            plugin = kwargs.get("executor_plugin")  # execute's: only there is a dry run known
            if plugin is not None and plugin.common_settings.dryrun_exec:
                return method(*args, **kwargs)
            try:
                handle = claim()
            except RunningElsewhereError as refused:
                raise error_type(str(refused)) from None
            try:
                return method(*args, **kwargs)
            finally:
                handle.close()

        return claimed

    for name in CLAIMING:
        setattr(workflow, name, claiming(getattr(workflow, name)))
    unlock = workflow.unlock

    @functools.wraps(unlock)
    def unlock_unless_running(*args, **kwargs):
        other = is_claimed()
        if other:
            raise error_type(f"--unlock refused: {other}")
        return unlock(*args, **kwargs)

    workflow.unlock = unlock_unless_running
