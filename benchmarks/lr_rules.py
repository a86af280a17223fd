"""Learning-rate suggestion rules scored against a grid, offline from recorded curves.

Run: TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 python benchmarks/lr_rules.py
         [--record] [--sets ...] [--seeds 3] [--budgets 100 300] [--max-length 128]
         [--out benchmarks/results/lr_rules.json]

Recording (`--record`, the costly part), per set and seed: one small model
(`build_lstm_classifier(units=32)`), a range test on it (100 batches of 16,
1e-7 .. 10, the `find_lr` defaults) that records the smoothed training loss
and, at every step, the loss on up to 128 validation samples (the variant of
Smith 2017); then from the model's exact initial state (weights and zeroed
Adam moments) a 7-point log grid 1e-5 .. 1e-1 of constant-rate Adam runs,
each with the same batches, whose validation loss is recorded after each of
`--budgets` updates. The validation split is the set's test split. Series
longer than `--max-length` steps are average-pooled to it (a CPU budget).

Scoring (always, from the JSON): each rule turns a seed's range test (and the
budget it is told) into a rate; its loss is the grid's validation loss at
that rate, interpolated linearly in log10(rate) between grid points (clamped
to the grid's ends); its ratio is that over the grid's best. A set's ratio
is the median over its seeds. The rule is chosen on CALIBRATION only and
reported on the held-out sets separately.
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_seqfix.callbacks import lr_finder_result as rules  # noqa: E402

CALIBRATION = ("GunPoint", "BasicMotions", "JapaneseVowels")
HELD_OUT = (
    "ItalyPowerDemand",
    "ArrowHead",
    "UnitTest",
    "PickupGestureWiimoteZ",
    "OSULeaf",
)
GRID = tuple(float(v) for v in np.geomspace(1e-5, 1e-1, 7))
BATCH = 16
TEST_STEPS = 100
VAL_SAMPLES = 128


def _pool(x, max_length):
    steps = x.shape[1]
    if steps <= max_length:
        return x
    factor = math.ceil(steps / max_length)
    cut = (steps // factor) * factor
    return x[:, :cut].reshape(len(x), cut // factor, factor, -1).mean(axis=2)


def _aeon_data_dir():
    """aeon's bundled data folder, found without importing aeon (whose code
    needs numba): `pip install aeon`, or its wheel unzipped on PYTHONPATH."""
    import importlib.util

    spec = importlib.util.find_spec("aeon")
    if spec is None or spec.origin is None:
        raise ImportError(
            "The sets that keras_seqfix does not ship are read from aeon's "
            "bundled .ts files, and aeon was not found. Install it "
            "(`pip install aeon`) or put its unzipped wheel on PYTHONPATH."
        )
    return os.path.join(os.path.dirname(spec.origin), "datasets", "data")


def _read_ts(path):
    """(x as (n, time, channels) zero-padded at the end, labels as strings)."""
    series, labels = [], []
    with open(path) as f:
        data = False
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", "%")):
                continue
            if not data:
                data = line.lower() == "@data"
                continue
            *dims, label = line.split(":")
            channels = [
                [float("nan") if v == "?" else float(v) for v in d.split(",")]
                for d in dims
            ]
            longest = max(len(c) for c in channels)
            x = np.zeros((longest, len(channels)), "float32")
            for j, c in enumerate(channels):
                x[: len(c), j] = c
            series.append(x)
            labels.append(label)
    return series, np.array(labels)


def _load(name):
    """((x, y), (x_test, y_test)): a shipped set through `ksf.load_ucr`, any
    other from aeon's bundled .ts files (both splits padded to the longest)."""
    import keras_seqfix as ksf

    if name in ksf.UCR_DATASETS:
        return ksf.load_ucr(name)
    folder = os.path.join(_aeon_data_dir(), name)
    splits = [
        _read_ts(os.path.join(folder, f"{name}_{s}.ts")) for s in ("TRAIN", "TEST")
    ]
    classes = np.unique(np.concatenate([y for _, y in splits]))
    longest = max(len(s) for x, _ in splits for s in x)
    out = []
    for x, y in splits:
        padded = np.zeros((len(x), longest, x[0].shape[1]), "float32")
        for i, s in enumerate(x):
            padded[i, : len(s)] = np.nan_to_num(s)
        out.append((padded, np.searchsorted(classes, y)))
    return tuple(out)


def _record_set(name, seeds, budgets, max_length, save=None):
    import keras

    from keras_seqfix.callbacks import LRRangeFinder
    from keras_seqfix.models import build_lstm_classifier

    (x, y), (xv, yv) = _load(name)
    x, xv = _pool(x, max_length), _pool(xv, max_length)
    num_classes = int(max(y.max(), yv.max()) + 1)
    out = {"shape": list(x.shape), "num_classes": num_classes, "seeds": []}
    val_loss = _val_loss_callback()
    for seed in seeds:
        started = time.process_time()
        keras.utils.set_random_seed(seed)
        model = build_lstm_classifier(
            num_classes, input_shape=x.shape[1:], units=32, adapt_data=x
        )
        initial = model.get_weights()
        rng = np.random.default_rng(seed)
        pick = rng.permutation(len(xv))[:VAL_SAMPLES]
        val_curve = []

        finder = LRRangeFinder(num_steps=TEST_STEPS)
        steps = max(*budgets, 100)
        passes = math.ceil(steps * BATCH / len(x))
        order = np.concatenate([rng.permutation(len(x)) for _ in range(passes)])
        rows = order[: 100 * BATCH]
        model.fit(
            x[rows],
            y[rows],
            batch_size=BATCH,
            epochs=1,
            shuffle=False,
            verbose=0,
            callbacks=[finder, val_loss(xv[pick], yv[pick], val_curve)],
        )
        result = finder.result
        steps = max(budgets)
        batches = order[: steps * BATCH].reshape(steps, BATCH)
        grid = {}
        for lr in GRID:
            model.set_weights(initial)
            for v in model.optimizer.variables:
                v.assign(keras.ops.zeros_like(v))
            model.optimizer.learning_rate.assign(lr)
            losses = {}
            for step in range(steps):
                model.train_on_batch(x[batches[step]], y[batches[step]])
                if step + 1 in budgets:
                    p = np.concatenate(
                        [
                            model.predict_on_batch(xv[i : i + 256])
                            for i in range(0, len(xv), 256)
                        ]
                    )
                    loss = float(np.mean(_nll(p, yv)))
                    losses[str(step + 1)] = loss if math.isfinite(loss) else None
            grid[repr(lr)] = losses
        out["seeds"].append(
            {
                "seed": seed,
                "lrs": result.lrs.tolist(),
                "losses": result.losses.tolist(),
                "raw_losses": result.raw_losses.tolist(),
                "val_losses": val_curve[: len(result.lrs)],
                "grid": grid,
                "cpu_s": round(time.process_time() - started, 1),
            }
        )
        print(f"{name} seed {seed}: {out['seeds'][-1]['cpu_s']} CPU s", flush=True)
        if save is not None:  # after every seed: a stopped run keeps its seeds
            save(out)
    return out


def _val_loss_callback():
    import keras

    class ValLoss(keras.callbacks.Callback):
        """Appends the loss on (x, y) after every batch to `curve`."""

        def __init__(self, x, y, curve):
            super().__init__()
            self.x, self.y, self.curve = x, y, curve

        def on_train_batch_end(self, batch, logs=None):
            p = self.model.predict_on_batch(self.x)
            self.curve.append(float(np.mean(_nll(p, self.y))))

    return ValLoss


def _nll(p, y):
    p = np.clip(np.asarray(p, float), 1e-7, 1.0)
    return -np.log(p[np.arange(len(y)), np.asarray(y, int)])


def loss_at(grid_losses, lr):
    """The grid's loss at `lr`, linear in log10(rate), clamped to the grid."""
    lrs = np.array([float(k) for k in grid_losses])
    losses = np.array(
        [np.inf if v is None else v for v in grid_losses.values()], dtype=float
    )
    order = np.argsort(lrs)
    lrs, losses = np.log10(lrs[order]), losses[order]
    worst = np.nanmax(losses[np.isfinite(losses)])
    losses = np.where(np.isfinite(losses), losses, 10 * worst)
    if not math.isfinite(lr) or lr <= 0:
        return float(losses[0])
    return float(np.interp(math.log10(lr), lrs, losses))


def score(record, budget):
    """{rule: {set: median ratio over seeds}} at `budget` updates."""
    table = {}
    for name, data in record["sets"].items():
        for entry in data["seeds"]:
            grid = {k: v[str(budget)] for k, v in entry["grid"].items()}
            best = min(v for v in grid.values() if v is not None)
            suggestions = rules.suggest(
                entry["lrs"],
                entry["losses"],
                budget=budget,
                test_steps=TEST_STEPS,
                val_losses=entry["val_losses"],
                all_rules=True,
            )
            for rule, lr in suggestions.items():
                table.setdefault(rule, {}).setdefault(name, []).append(
                    loss_at(grid, lr) / best
                )
    return {
        rule: {name: statistics.median(r) for name, r in per.items()}
        for rule, per in table.items()
    }


def summarise(record):
    budgets = record["budgets"]
    summary = {}
    for budget in budgets:
        scores = score(record, budget)
        summary[str(budget)] = {
            rule: {
                "sets": per,
                "calibration_worst": max(
                    (per[s] for s in CALIBRATION if s in per), default=None
                ),
                "held_out_worst": max(
                    (per[s] for s in HELD_OUT if s in per), default=None
                ),
            }
            for rule, per in scores.items()
        }
    # Chosen on calibration: the lowest worst ratio over calibration sets and
    # budgets; held-out figures are reported, never used to choose.
    rules_ = summary[str(budgets[0])]
    if not any(s in record["sets"] for s in CALIBRATION):
        return summary, None  # a held-out part alone: nothing to choose on
    chosen = min(
        rules_,
        key=lambda r: max(summary[str(b)][r]["calibration_worst"] for b in budgets),
    )
    return summary, chosen


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--sets", nargs="+", default=list(CALIBRATION + HELD_OUT))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budgets", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--seed-start", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/results/lr_rules.json")
    parser.add_argument(
        "--merge",
        nargs="+",
        default=[],
        help="record files (of parallel --record runs) whose sets and seeds "
        "are merged into --out",
    )
    parser.add_argument("--note", help="a note on how the record was reduced")
    args = parser.parse_args(argv)
    record = {"budgets": sorted(args.budgets), "sets": {}}
    if os.path.exists(args.out):
        with open(args.out) as f:
            record = json.load(f)
    for path in args.merge:
        with open(path) as f:
            part = json.load(f)
        sets = record.setdefault("sets", {})
        for key, value in part.items():
            if key != "sets" and key not in ("scores", "chosen"):
                record.setdefault(key, value)
        for name, data in part["sets"].items():
            if name not in sets:
                sets[name] = data
                continue
            have = {e["seed"] for e in sets[name]["seeds"]}
            sets[name]["seeds"] += [e for e in data["seeds"] if e["seed"] not in have]
            sets[name]["seeds"].sort(key=lambda e: e["seed"])
    if args.note:
        record["note"] = args.note
    if args.record:
        from _provenance import provenance

        record.update(provenance())
        record.update(
            budgets=sorted(args.budgets),
            max_length=args.max_length,
            grid=list(GRID),
            batch_size=BATCH,
            model="build_lstm_classifier(units=32)",
        )
        seeds = range(args.seed_start, args.seed_start + args.seeds)
        for name in args.sets:

            def save(data, name=name):
                record["sets"][name] = data
                _write(record, args.out)

            _record_set(name, seeds, sorted(args.budgets), args.max_length, save)
    summary, chosen = summarise(record)
    record["calibration"] = list(CALIBRATION)
    record["held_out"] = [s for s in HELD_OUT if s in record["sets"]]
    import keras_seqfix as ksf

    record["not_shipped"] = [s for s in record["sets"] if s not in ksf.UCR_DATASETS]
    record["scores"] = summary
    record["chosen"] = chosen
    _write(record, args.out)
    for budget, per_rule in summary.items():
        print(f"budget {budget} updates (ratio to the grid's best, median of seeds)")
        for rule, row in sorted(per_rule.items()):
            sets = " ".join(f"{s}={v:.2f}" for s, v in row["sets"].items())
            print(f"  {rule:>12}: {sets}")
    print(f"chosen on calibration {list(CALIBRATION)}: {chosen}")


def _write(record, path):
    with open(path, "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
