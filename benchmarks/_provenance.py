"""Where a benchmark's results came from: date, commit, machine and backend, the
fields every `benchmarks/results/*.json` carries (docs/hooks.py prints them)."""

import os
import platform
import subprocess
import time


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
