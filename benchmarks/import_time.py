"""`import keras_seqfix` time over `import keras`, each in a fresh interpreter.

Run: python benchmarks/import_time.py [--repeats 7] [--output FILE] [--note TEXT]

Prints the median wall time of a fresh `python -c "import keras"` and of
`python -c "import keras_seqfix"` measured alternately in one run, and their ratio,
and writes every time with the run's provenance to `--output` (default
`benchmarks/results/import_time.json`, rendered on docs/benchmarks.md).
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

OUTPUT = pathlib.Path(__file__).parent / "results" / "import_time.json"


def _time_import(module):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, env=env)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--output", default=str(OUTPUT), help="results JSON file")
    parser.add_argument("--note", default="", help="how the machine was loaded")
    args = parser.parse_args(argv)
    _time_import("keras_seqfix")  # warm the file-system cache once
    times = {"keras": [], "keras_seqfix": []}
    for _ in range(args.repeats):
        for module in times:  # alternate so that machine noise hits both alike
            times[module].append(_time_import(module))
    keras_s = statistics.median(times["keras"])
    ksf_s = statistics.median(times["keras_seqfix"])
    print(f"import keras         median {keras_s:.2f} s over {args.repeats} runs")
    print(f"import keras_seqfix  median {ksf_s:.2f} s over {args.repeats} runs")
    print(
        f"ratio keras_seqfix / keras: {ksf_s / keras_s:.2f}x (+{ksf_s - keras_s:.2f} s)"
    )
    from _provenance import run_record

    record = {
        **run_record(args.note),
        "repeats": args.repeats,
        "seconds": times,
        "median_s": {"keras": keras_s, "keras_seqfix": ksf_s},
    }
    pathlib.Path(args.output).write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
