"""The pictures of the pages opened first, from real runs (offline, seeded).

    python scripts/make_doc_figures.py demo      # keras-seqfix demo: demo.json + 2 PNGs
    python scripts/make_doc_figures.py symptoms  # a loss curve per symptom (loss_high)
    python scripts/make_doc_figures.py bench     # bar chart from results/rocket.json
    python scripts/make_doc_figures.py readme    # README's demo block from demo.json
    python scripts/make_doc_figures.py all

`demo` runs `keras-seqfix demo` (seed 0) in this process, times it and writes
`benchmarks/results/demo.json` (its table, the causes `diagnose` found, wall and CPU
seconds, date, commit, machine), which the Home page renders; the demo's own
before/after curves and `report.plot()` are copied to `docs/img/`. `symptoms` trains
small Keras models on the shipped GunPoint set, each with one fault (learning rate
too high or too low, shuffled labels, a model too small, a model too large for 50
series), and plots their training and validation loss. `bench` reads only
`benchmarks/results/rocket.json`. Run with `TF_NUM_INTRAOP_THREADS=1
TF_NUM_INTEROP_THREADS=1` for the same curves run after run.
"""

import argparse
import contextlib
import io
import json
import os
import pathlib
import re
import shutil
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "svg.hashsalt": "ksf"})
    return plt


def _save(fig, name):
    """Save `fig` as a small PNG under docs/img/ without a timestamp (same bytes)."""
    path = IMG / name
    fig.savefig(path, dpi=80, metadata={"Software": None})
    _plt().close(fig)
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")


def _table_rows(text):
    """The rows of the first markdown table in `text`, as dicts by header."""
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("| "))
    table = []
    for line in lines[first:]:
        if not line.startswith("|"):
            break
        table.append([c.strip() for c in line.strip("|").split("|")])
    header, body = table[0], table[2:]
    return [dict(zip(header, row, strict=True)) for row in body]


def _record(printed, wall_s, cpu_s, note=None, commit=None):
    """demo.json's content from what `keras-seqfix demo` printed (its stdout)."""
    from benchmarks._provenance import provenance

    fixes = printed.split("3/4 the fixes", 1)[1].split("recipe:", 1)[0]
    return {
        **provenance(),
        "command": "keras-seqfix demo (seed 0)",
        "dataset": "ArrowHead",
        "wall_s": round(wall_s, 1),
        "cpu_s": None if cpu_s is None else round(cpu_s, 1),
        "threads": os.environ.get("TF_NUM_INTRAOP_THREADS", "TensorFlow's default"),
        "rows": _table_rows(printed.split("4/4 before and after", 1)[1]),
        "problems": re.findall(r"^\[demo\s+\d+s\]\s+([a-z_]+): ", fixes, re.M),
        **({"note": note} if note else {}),
        **({"commit": commit} if commit else {}),
    }


def demo(from_log=None, note=None, commit=None):
    """Run the demo as `keras-seqfix demo` does and record what it prints and takes.

    `from_log`: the saved stdout of an earlier run instead (wall seconds from its
    last progress stamp, no CPU seconds; the plots are those that run copied).
    `note`: said under the table (the machine's load, say). `commit`: the commit
    the logged run ran at (default: HEAD now, right for a new run).
    """
    from keras_seqfix.demo import run_demo

    if from_log is not None:
        printed = pathlib.Path(from_log).read_text()
        stamps = re.findall(r"^\[demo\s+(\d+)s\]", printed, re.M)
        record = _record(printed, float(stamps[-1]), None, note, commit)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            out = io.StringIO()
            wall, cpu = time.perf_counter(), time.process_time()
            with contextlib.redirect_stdout(out):
                run_demo(output_dir=tmp, seed=0)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            printed = out.getvalue()
            sys.stdout.write(printed)
            for name, target in (
                ("training_curves.png", "demo_training_curves.png"),
                ("diagnosis.png", "diagnosis_report.png"),
            ):
                shutil.copyfile(pathlib.Path(tmp) / name, IMG / target)
        record = _record(printed, wall, cpu, note)
    path = RESULTS / "demo.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT)}: {record['wall_s']} s wall")
    readme()


def readme():
    """README.md's demo block, rendered from `benchmarks/results/demo.json`."""
    sys.path.insert(0, str(ROOT / "docs"))
    from hooks import render

    path = ROOT / "README.md"
    start, end = "<!-- demo:start -->", "<!-- demo:end -->"
    head, rest = path.read_text().split(start, 1)
    tail = rest.split(end, 1)[1]
    table = render("<!-- results:demo -->")
    path.write_text(f"{head}{start}\n{table}\n{end}{tail}")
    print("wrote README.md's demo block")


# One fault per symptom on GunPoint (50 training series of 150 steps): the page's
# sections, the cause code and what is changed from a sound small model.
SYMPTOMS = (
    ("lr_too_high", "SGD at 1.0: the loss blows up, then sticks at log K", {"lr": 1.0}),
    ("lr_too_low", "learning rate 1e-6: the loss does not move", {"lr": 1e-6}),
    (
        "overfitting",
        "2 x 512 units on 50 series: validation loss rises",
        {"units": (512, 512), "epochs": 150},
    ),
    (
        "underfitting",
        "one unit, no hidden layer: both fall slowly, stay high",
        {"units": (), "bottleneck": 1},
    ),
    (
        "no_signal",
        "shuffled labels: training falls, validation does not",
        {"shuffle": True},
    ),
)


def _symptom_history(
    x,
    y,
    xv,
    yv,
    lr=1e-3,
    units=(32,),
    epochs=60,
    shuffle=False,
    bottleneck=None,
    seed=0,
):
    import keras
    import numpy as np

    keras.utils.set_random_seed(seed)
    if shuffle:
        y = np.random.default_rng(seed).permutation(y)
    layers = [keras.Input(x.shape[1:]), keras.layers.Flatten()]
    if bottleneck:
        layers.append(keras.layers.Dense(bottleneck))
    layers += [keras.layers.Dense(u, activation="relu") for u in units]
    layers.append(keras.layers.Dense(2, activation="softmax"))
    model = keras.Sequential(layers)
    model.compile(
        keras.optimizers.SGD(lr) if lr >= 1 else keras.optimizers.Adam(lr),
        "sparse_categorical_crossentropy",
    )
    history = model.fit(
        x, y, validation_data=(xv, yv), epochs=epochs, batch_size=16, verbose=0
    )
    return history.history


def symptoms():
    """A small loss-curve PNG per symptom, `docs/img/loss_<code>.png`."""
    import math

    import keras_seqfix as ksf

    plt = _plt()
    (x, y), (xt, yt) = ksf.load_ucr("GunPoint")
    for code, title, changes in SYMPTOMS:
        history = _symptom_history(x, y, xt, yt, **changes)
        fig, ax = plt.subplots(figsize=(4.2, 2.4))
        ax.plot(history["loss"], label="training loss")
        ax.plot(history["val_loss"], label="validation loss")
        ax.axhline(math.log(2), color="grey", ls=":", lw=1, label="log K (chance)")
        top = max(2.5, 1.2 * math.log(2))
        ax.set_ylim(0, min(top, max(history["loss"] + history["val_loss"]) * 1.05))
        ax.set(xlabel="epoch", ylabel="loss", title=f"{code}: {title}")
        ax.title.set_fontsize(8)
        ax.legend(fontsize=7, loc="upper right")
        fig.tight_layout()
        _save(fig, f"loss_{code}.png")


def bench():
    """Bar chart of `benchmarks/results/rocket.json`: ours, aeon's and published FCN."""
    import numpy as np

    sys.path.insert(0, str(ROOT / "docs"))
    from hooks import _literal

    plt = _plt()
    record = json.loads((RESULTS / "rocket.json").read_text())
    fcn = _literal(ROOT / "benchmarks" / "recipe.py", "PUBLISHED")
    names = [n for n in record["medians"] if n in fcn]
    series = {
        "ksf.build_rocket_classifier": [
            record["medians"][n]["ksf"]["accuracy"] for n in names
        ],
        "aeon MiniRocket": [record["medians"][n]["aeon"]["accuracy"] for n in names],
        "FCN (published)": [fcn[n]["FCN"] for n in names],
    }
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    at = np.arange(len(names))
    for i, (label, values) in enumerate(series.items()):
        ax.bar(at + (i - 1) * 0.27, values, 0.27, label=label)
    ax.set_xticks(at, names)
    ax.set_ylim(0.5, 1.02)
    ax.set(
        ylabel="test accuracy (median)",
        title=(f"rocket.json: run of {record['date']}, commit {record['commit']}"),
    )
    ax.title.set_fontsize(8)
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    fig.tight_layout()
    _save(fig, "bench_rocket_accuracy.png")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("demo", "readme", "symptoms", "bench", "all"))
    parser.add_argument("--from-log", help="demo: a saved demo stdout, not a new run")
    parser.add_argument("--note", help="demo: a note on the run, shown with it")
    parser.add_argument("--commit", help="demo --from-log: the run's commit")
    args = parser.parse_args(argv)
    what = args.what
    if what == "readme":  # only the README block, from the committed demo.json
        readme()
    jobs = (("bench", bench), ("symptoms", symptoms))
    for name, job in (
        *jobs,
        ("demo", lambda: demo(args.from_log, args.note, args.commit)),
    ):
        if what in (name, "all"):
            job()


if __name__ == "__main__":
    main()
