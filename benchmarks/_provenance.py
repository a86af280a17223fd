"""Where a benchmark's results came from: date, commit, machine and backend, the
fields every `benchmarks/results/*.json` carries (docs/hooks.py prints them)."""

import json
import os
import pathlib
import platform
import shlex
import subprocess
import sys
import time

# The thread settings a run records (single-threaded runs set both to 1).
THREADS = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def provenance():
    """`{"date", "commit", "machine", "backend"}` of the run that calls it."""
    import keras

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return {
        "date": time.strftime("%Y-%m-%d"),
        "commit": commit,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "backend": keras.backend.backend(),
    }


def run_record(note=""):
    """`provenance()` with the command line, the thread settings and `note`: what
    every results entry carries. Call it when the run starts, so that the commit
    is the one whose code ran."""
    return {
        **provenance(),
        "command": shlex.join(["python", *sys.argv]),
        "threads": {k: os.environ.get(k, "default") for k in THREADS},
        "note": note,
    }


def save_entry(path, key, entry):
    """Write `entry` under `key` of the JSON results file `path`, keeping its other
    keys (the parts or sets of other runs)."""
    path = pathlib.Path(path)
    record = json.loads(path.read_text()) if path.is_file() else {}
    record[key] = entry
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {key} to {path}", flush=True)
