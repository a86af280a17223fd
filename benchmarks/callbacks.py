"""Cost and quality of the training callbacks, measured side by side in one run.

Run: python benchmarks/callbacks.py [--part cost|monitor|quality|all] [--repeats 5]
         [--epochs 20] [--seeds 3] [--datasets ...] [--cache FILE] [--plot FILE]
         [--output FILE] [--note TEXT]

- cost: `find_lr` wall time for 100 steps vs the same number of plain
  `model.fit` steps on the same model and data (target <= 1.3x).
- monitor: median epoch time of `fit` with `GradientNormMonitor()` at its
  defaults vs without (target <= 1.10x); also with `per_batch=True`.
- quality: on three shipped UCR data sets, the learning rate `find_lr` suggests
  vs a 7-point log grid 1e-5 .. 1e-1 trained for the same epochs (batch 16): the
  final validation (test split) loss at the suggestion relative to the grid's
  best (target within 10%) and relative to the Keras default 1e-3. Per seed
  (`--seeds 3` by default: seeds 0, 1, 2) one model, one range test on it, and
  every training starts from that model's exact initial state with the same
  shuffling; losses are medians over the seeds, per rate, and the suggestion's
  median is over its own per-seed suggestions. `--cache FILE` makes a long run
  resumable (one JSON line per finished training); `--plot FILE` draws the
  range-test curves next to the grid's losses.

Quality run on a shared machine, split over processes and joined:
    python benchmarks/callbacks.py --part quality --datasets BasicMotions --cache q.jsonl
    ... (one per data set, same cache file or files concatenated), then
    python benchmarks/callbacks.py --part quality --cache q.jsonl --plot lr_quality.png

The model is `keras_seqfix.models.build_lstm_classifier(units=32)` when it is
available, else a small plain Keras LSTM. Medians over `--repeats`, alternating
the two variants so machine noise hits both alike.

Each part run writes its figures, with the run's provenance, under its name in
`--output` (default `benchmarks/results/callbacks.json`, rendered on
docs/benchmarks.md); the other parts already in the file are kept.
"""

import argparse
import functools
import hashlib
import inspect
import json
import math
import os
import pathlib
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from _provenance import run_record, save_entry  # noqa: E402  (beside this script)

import keras_seqfix as ksf  # noqa: E402

QUALITY_SETS = ("ItalyPowerDemand", "JapaneseVowels", "BasicMotions")
GRID = tuple(float(v) for v in np.geomspace(1e-5, 1e-1, 7))
OUTPUT = pathlib.Path(__file__).parent / "results" / "callbacks.json"


def build_model(x, num_classes, seed=0):
    """The recipe model (small), with the same initial weights for a given seed."""
    keras.utils.set_random_seed(seed)
    try:
        from keras_seqfix.models import build_lstm_classifier

        return build_lstm_classifier(
            num_classes, input_shape=x.shape[1:], units=32, adapt_data=x
        )
    except ImportError:
        model = keras.Sequential(
            [
                keras.Input(x.shape[1:]),
                keras.layers.LSTM(32),
                keras.layers.Dense(num_classes, activation="softmax"),
            ]
        )
        model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
        return model


class _EpochTimer(keras.callbacks.Callback):
    """Wall time and CPU time of this process (all threads) per epoch. On a
    shared machine the CPU time is the steadier of the two."""

    def on_train_begin(self, logs=None):
        self.times, self.cpu = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._cpu = time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)
        self.cpu.append(time.process_time() - self._cpu)


def part_cost(repeats):
    (x, y), _ = ksf.load_ucr("JapaneseVowels")
    batch_size, steps = 27, 100  # 270 samples: 10 full batches per epoch
    model = build_model(x, int(y.max()) + 1)
    weights = model.get_weights()
    epochs = steps // (len(x) // batch_size)
    plain_fit = dict(batch_size=batch_size, epochs=epochs, verbose=0)
    # Warm up both paths (tracing), then alternate.
    model.fit(x, y, **plain_fit)
    ksf.find_lr(
        model, x, y, batch_size=batch_size, num_steps=steps, end_lr=1e-2, verbose=0
    )
    plain, finder, plain_cpu, finder_cpu = [], [], [], []
    for _ in range(repeats):
        model.set_weights(weights)
        start, start_cpu = time.perf_counter(), time.process_time()
        model.fit(x, y, **plain_fit)
        plain.append(time.perf_counter() - start)
        plain_cpu.append(time.process_time() - start_cpu)
        start, start_cpu = time.perf_counter(), time.process_time()
        result = ksf.find_lr(
            model, x, y, batch_size=batch_size, num_steps=steps, end_lr=1e-2, verbose=0
        )
        finder.append(time.perf_counter() - start)
        finder_cpu.append(time.process_time() - start_cpu)
        if len(result.lrs) != steps:
            raise RuntimeError(f"find_lr ran {len(result.lrs)} steps, not {steps}")
    p, f = statistics.median(plain), statistics.median(finder)
    print(
        f"[cost] JapaneseVowels, {steps} steps of batch {batch_size}, {repeats} repeats"
    )
    print(f"[cost] plain fit      median {p:.2f} s")
    print(f"[cost] find_lr        median {f:.2f} s (snapshot + ramp + exact restore)")
    pc, fc = statistics.median(plain_cpu), statistics.median(finder_cpu)
    print(f"[cost] CPU time: plain {pc:.2f} s, find_lr {fc:.2f} s")
    print(
        f"[cost] ratio find_lr / plain: wall {f / p:.2f}x, CPU {fc / pc:.2f}x (target <= 1.3x)"
    )
    return {
        "set": "JapaneseVowels",
        "steps": steps,
        "batch_size": batch_size,
        "repeats": repeats,
        "wall_s": {"plain": plain, "find_lr": finder},
        "cpu_s": {"plain": plain_cpu, "find_lr": finder_cpu},
    }


def part_monitor(repeats, epochs=6):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1024, 64, 3)).astype("float32")
    y = (x[:, :, 0].mean(1) > 0).astype("int64")
    model = build_model(x, 2)
    variants = {
        "without": lambda: [],
        "monitor": lambda: [ksf.GradientNormMonitor()],
        "per_batch": lambda: [ksf.GradientNormMonitor(per_batch=True)],
    }
    times = {name: [] for name in variants}
    cpu = {name: [] for name in variants}
    for _ in range(repeats):
        for name, make in variants.items():
            timer = _EpochTimer()
            model.fit(
                x,
                y,
                batch_size=32,
                epochs=epochs,
                verbose=0,
                callbacks=[*make(), timer],
            )
            times[name] += timer.times[1:]  # the first epoch includes tracing
            cpu[name] += timer.cpu[1:]
    base = statistics.median(times["without"])
    base_cpu = statistics.median(cpu["without"])
    print(
        f"[monitor] 1024 x 64 x 3 synthetic, batch 32, {len(cpu['without'])} epochs each"
    )
    for name in variants:
        med, med_cpu = statistics.median(times[name]), statistics.median(cpu[name])
        print(
            f"[monitor] {name:<9} median epoch wall {med:.3f} s ({med / base:.3f}x), "
            f"CPU {med_cpu:.3f} s ({med_cpu / base_cpu:.3f}x)"
        )
    print("[monitor] target: defaults ('monitor') <= 1.10x")
    return {
        "x_shape": list(x.shape),
        "batch_size": 32,
        "repeats": repeats,
        "epochs": epochs,
        "wall_s": times,
        "cpu_s": cpu,
    }


def _cache_key(name, seed, lr, epochs):
    return f"{name}|{seed}|{lr:.6g}|{epochs}"


class _Cache:
    """Final losses of finished trainings, one JSON line each, keyed by data set,
    seed, learning rate and epochs. A training is a deterministic function of
    those (same initial weights, same shuffling), so a run that is cut off (the
    quality part takes long on a shared machine) resumes where it stopped, and
    several processes can each run one data set. `--cache` is off by default."""

    def __init__(self, path):
        self.path, self.values = path, {}
        if path and os.path.exists(path):
            with open(path) as f:
                for line in f:
                    record = json.loads(line)
                    self.values[record["key"]] = record["value"]

    def get(self, key, compute):
        if key not in self.values:
            self.values[key] = compute()
            if self.path:
                with open(self.path, "a") as f:
                    f.write(json.dumps({"key": key, "value": self.values[key]}) + "\n")
        return self.values[key]


def _final_val_loss(model, x, y, xv, yv, lr, epochs, seed):
    """`model` is a `_LazyModel`. Train from the model's current state at `lr`, return the final validation
    loss, and put the model back exactly (so every rate starts from the same
    weights and optimizer state, and the compiled functions are reused)."""
    from keras_seqfix._backend.state import preserved_state

    model = model()
    with preserved_state(model):
        model.optimizer.learning_rate = lr
        keras.utils.set_random_seed(seed)  # same shuffling for every rate
        model.fit(x, y, batch_size=16, epochs=epochs, verbose=0)
        value = model.evaluate(xv, yv, batch_size=256, verbose=0)
    value = value[0] if isinstance(value, list) else value
    return float(value) if math.isfinite(value) else math.inf


def _curve(model, x, y, seed):
    keras.utils.set_random_seed(seed)
    result = ksf.find_lr(model, x, y, batch_size=16, num_steps=100, verbose=0)
    return {
        "lrs": result.lrs.tolist(),
        "losses": result.losses.tolist(),
        "raw_losses": result.raw_losses.tolist(),
        "diverged": result.diverged,
    }


def _curve_code():
    """Hash of the code that records the curve: a cached curve is reused only
    while that code is unchanged (the suggestion is always recomputed)."""
    from keras_seqfix.callbacks import find_lr, lr_range_finder

    text = inspect.getsource(lr_range_finder) + inspect.getsource(find_lr)
    return hashlib.sha1(text.encode()).hexdigest()[:10]


class _LazyModel:
    """The benchmark model for one seed, built only when a result is not cached."""

    def __init__(self, x, y, seed):
        self.x, self.y, self.seed, self._model = x, y, seed, None

    def __call__(self):
        if self._model is None:
            self._model = build_model(self.x, int(self.y.max()) + 1, seed=self.seed)
        return self._model


def _seed_losses(name, data, seed, epochs, cache, code):
    """(range-test result, {lr: final val loss} over the grid and the suggestion)."""
    from keras_seqfix.callbacks import LRFinderResult

    (x, y), (xv, yv) = data
    model = _LazyModel(x, y, seed)
    curve = cache.get(
        f"{name}|{seed}|curve|{code}", lambda: _curve(model(), x, y, seed)
    )
    result = LRFinderResult(curve["lrs"], curve["losses"], curve["raw_losses"])
    lr = result.suggestion
    losses = {}
    for rate in (*GRID, lr):
        losses[rate] = cache.get(
            _cache_key(name, seed, rate, epochs),
            functools.partial(_final_val_loss, model, x, y, xv, yv, rate, epochs, seed),
        )
    return result, losses


def _interpolated(losses, lr):
    """A seed's final loss at `lr`, interpolated linearly in log(lr) between the
    grid rates (an estimate for the rules that were not trained)."""
    return float(np.interp(np.log(lr), np.log(GRID), [losses[g] for g in GRID]))


def _plot(panels, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.8))
    for ax, (name, result, medians, suggested) in zip(
        np.atleast_1d(axes), panels, strict=True
    ):
        ax.plot(result.lrs, result.raw_losses, color="0.8", lw=1, label="batch loss")
        ax.plot(result.lrs, result.losses, color="C0", lw=2, label="smoothed loss")
        ax.set_xscale("log")
        ax.set_ylim(0, 1.3 * result.losses[: len(result.losses) // 10 + 1].max())
        ax.set_xlabel("learning rate")
        ax.set_ylabel("range test: training loss (seed 0)")
        ax.set_title(name)
        right = ax.twinx()
        right.plot(list(medians), list(medians.values()), "ko-", label="final val loss")
        for i, lr in enumerate(suggested):
            label = "at the suggestions" if i == 0 else None
            right.axvline(lr, color="C3", ls="--", lw=1, label=label)
        right.set_ylabel("val loss after training (median)")
        right.set_ylim(0, None)
        if ax is np.atleast_1d(axes)[0]:
            handles = ax.get_legend_handles_labels()
            extra = right.get_legend_handles_labels()
            ax.legend(handles[0] + extra[0], handles[1] + extra[1], fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"[quality] figure: {path}")


def part_quality(
    epochs, datasets=QUALITY_SETS, seeds=3, cache=None, plot=None, first_seed=0
):
    """Per data set and seed: one model (initial weights from the seed), the
    range test on it, then `epochs` epochs at each grid rate and at the
    suggestion, each from the same initial state. The losses are medians over
    the seeds, per rate; the suggestion's median is over its own per-seed
    suggestions (so the noise of the range test counts against it)."""
    from keras_seqfix.callbacks.lr_finder_result import SUGGESTION_METHODS

    cache, code = _Cache(cache), _curve_code()
    ratios_best, ratios_default, panels, sets = [], [], [], {}
    for name in datasets:
        data = ksf.load_ucr(name)
        grid = {g: [] for g in GRID}
        at_suggestion, suggested, results, per_seed = [], [], [], []
        rules = {m: [] for m in SUGGESTION_METHODS if m != "valley"}
        for seed in range(first_seed, first_seed + seeds):
            result, losses = _seed_losses(name, data, seed, epochs, cache, code)
            results.append(result)
            suggested.append(result.suggestion)
            at_suggestion.append(losses[result.suggestion])
            per_seed.append(losses[result.suggestion] / min(losses[g] for g in GRID))
            for g in GRID:
                grid[g].append(losses[g])
            for method, lr in result.suggestions.items():
                if method != result.method:
                    rules[method].append(_interpolated(losses, lr))
        medians = {g: statistics.median(v) for g, v in grid.items()}
        best_lr = min(medians, key=medians.get)
        sugg = statistics.median(at_suggestion)
        rel_best, rel_default = sugg / medians[best_lr], sugg / medians[GRID[3]]
        ratios_best.append(rel_best)
        ratios_default.append(rel_default)
        lrs = ", ".join(f"{v:.2g}" for v in suggested)
        table = "  ".join(f"{g:.1e}:{v:.4f}" for g, v in medians.items())
        print(f"[quality] {name}: suggestions {lrs} -> median val_loss {sugg:.4f}")
        print(f"[quality]   grid medians {table}")
        print(
            f"[quality]   best grid lr {best_lr:.1e}; suggestion / best = "
            f"{rel_best:.3f}, suggestion / 1e-3 = {rel_default:.3f}; "
            f"suggestion - best = {sugg - medians[best_lr]:+.4f}"
        )
        spread = ", ".join(f"{r:.2f}" for r in per_seed)
        print(
            f"[quality]   per seed, suggestion / that seed's best grid loss: {spread}"
        )
        others = ", ".join(
            f"{method} {statistics.median(v) / medians[best_lr]:.2f}"
            for method, v in rules.items()
        )
        print(f"[quality]   other rules / best (interpolated on the grid): {others}")
        panels.append((name, results[0], medians, suggested))
        sets[name] = {
            "suggestions": suggested,
            "at_suggestion": at_suggestion,
            "grid_medians": list(medians.values()),
            "best_lr": best_lr,
            "suggestion_over_best": rel_best,
            "suggestion_over_default": rel_default,
            "per_seed_over_best": per_seed,
        }
    print(
        f"[quality] {epochs} epochs, batch 16, medians over {seeds} seeds; "
        f"suggestion/best {', '.join(f'{r:.2f}' for r in ratios_best)} (target <= 1.10), "
        f"suggestion/1e-3 {', '.join(f'{r:.2f}' for r in ratios_default)}"
    )
    if plot:
        _plot(panels, plot)
    return {
        "epochs": epochs,
        "batch_size": 16,
        "seeds": list(range(first_seed, first_seed + seeds)),
        "grid": list(GRID),
        "sets": sets,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part", default="all", choices=["cost", "monitor", "quality", "all"]
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--epochs", type=int, default=20, help="quality: epochs per run"
    )
    parser.add_argument(
        "--datasets", nargs="+", default=list(QUALITY_SETS), help="quality: UCR names"
    )
    parser.add_argument("--seeds", type=int, default=3, help="quality: how many seeds")
    parser.add_argument(
        "--first-seed", type=int, default=0, help="quality: seeds start here"
    )
    parser.add_argument(
        "--cache", default=None, help="quality: JSON-lines file to resume from"
    )
    parser.add_argument("--plot", default=None, help="quality: save a figure here")
    parser.add_argument("--output", default=str(OUTPUT), help="results JSON file")
    parser.add_argument("--note", default="", help="how the machine was loaded")
    args = parser.parse_args(argv)
    run = run_record(args.note)
    if args.part in ("cost", "all"):
        save_entry(args.output, "cost", {**run, **part_cost(args.repeats)})
    if args.part in ("monitor", "all"):
        measured = part_monitor(max(2, args.repeats // 2))
        save_entry(args.output, "monitor", {**run, **measured})
    if args.part in ("quality", "all"):
        measured = part_quality(
            args.epochs,
            args.datasets,
            args.seeds,
            args.cache,
            args.plot,
            args.first_seed,
        )
        save_entry(args.output, "quality", {**run, **measured})


if __name__ == "__main__":
    main()
