"""Peak memory and time of CIC-IDS2018 cleaning on one large generated day file (issue: a
1-million-row day must take bounded memory). Generates the file in the published layout
(advrepro.data.cicids.write_synthetic_day), then runs clean_day and prepare each in a fresh
process and reads that process's peak resident set size.

    python benchmarks/cicids_memory.py --rows 1000000 [--chunk-rows 200000] [--folder /tmp]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEPS = {
    "clean_day": "frame, counts = cicids.clean_day(path, chunk_rows=chunk)",
    "prepare": "prepared = cicids.prepare([path], chunk_rows=chunk)",
}


def measure(step: str, path: Path, chunk_rows: int) -> dict:
    code = (
        f"import resource, time; from advrepro.data import cicids; path, chunk = "
        f"{str(path)!r}, {chunk_rows}; baseline = resource.getrusage(resource.RUSAGE_SELF)"
        f".ru_maxrss; started = time.perf_counter(); {STEPS[step]}; print(time.perf_counter() "
        "- started, baseline, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, baseline_kb, peak_kb = done.stdout.split()[-3:]
    # peak resident set of the whole process (interpreter, numpy, pandas, torch included) and
    # what it was after the imports, before the step ran
    return {
        "step": step,
        "seconds": round(float(seconds), 1),
        "peak_rss_mb": round(int(peak_kb) / 1024),
        "rss_after_imports_mb": round(int(baseline_kb) / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=200_000)
    parser.add_argument(
        "--folder", default=None, help="where the day file goes (default: a temporary folder)"
    )
    args = parser.parse_args()
    from advrepro.data import cicids

    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        path = Path(folder) / cicids.DAY_FILES[-1]
        started = time.perf_counter()
        cicids.write_synthetic_day(path, args.rows, seed=0)
        generated = time.perf_counter() - started
        size_mb = path.stat().st_size / 2**20
        # each step in its own process; clean_day first, so its peak is its own
        results = [measure(step, path, args.chunk_rows) for step in STEPS]
    print(
        json.dumps(
            {
                "rows": args.rows,
                "file_mb": round(size_mb, 1),
                "chunk_rows": args.chunk_rows,
                "generate_seconds": round(generated, 1),
                "steps": results,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
