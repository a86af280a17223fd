"""Cost and quality of the training callbacks, measured side by side in one run.

Run: python benchmarks/callbacks.py [--part cost|monitor|quality|all] [--repeats 5]

- cost: `find_lr` wall time for 100 steps vs the same number of plain
  `model.fit` steps on the same model and data (target <= 1.3x).
- monitor: median epoch time of `fit` with `GradientNormMonitor()` at its
  defaults vs without (target <= 1.10x); also with `per_batch=True`.
- quality: on three shipped UCR data sets, the learning rate `find_lr` suggests
  vs a 7-point log grid 1e-5 .. 1e-1 trained for the same epochs: the final
  validation (test split) loss at the suggestion relative to the grid's best
  (target within 10%) and relative to the Keras default 1e-3.

The model is `keras_seqfix.models.build_lstm_classifier(units=32)` when it is
available, else a small plain Keras LSTM. Medians over `--repeats`, alternating
the two variants so machine noise hits both alike.
"""

import argparse
import math
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_seqfix as ksf  # noqa: E402

QUALITY_SETS = ("ItalyPowerDemand", "JapaneseVowels", "BasicMotions")
GRID = tuple(float(v) for v in np.geomspace(1e-5, 1e-1, 7))


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


def _train(x, y, xv, yv, lr, epochs, seed):
    model = build_model(x, int(y.max()) + 1, seed=seed)
    model.optimizer.learning_rate = lr
    hist = model.fit(
        x, y, validation_data=(xv, yv), batch_size=16, epochs=epochs, verbose=0
    )
    return hist.history["val_loss"][-1]


def part_quality(epochs, datasets=QUALITY_SETS, seed=0):
    ratios_best, ratios_default = [], []
    for name in datasets:
        (x, y), (xv, yv) = ksf.load_ucr(name)
        model = build_model(x, int(y.max()) + 1, seed=seed)
        result = ksf.find_lr(model, x, y, batch_size=16, num_steps=100, verbose=0)
        lr = result.suggestion
        grid = {g: _train(x, y, xv, yv, g, epochs, seed) for g in GRID}
        at_suggestion = _train(x, y, xv, yv, lr, epochs, seed)
        finite = {g: v for g, v in grid.items() if math.isfinite(v)}
        best_lr = min(finite, key=finite.get)
        rel_best = at_suggestion / finite[best_lr]
        rel_default = at_suggestion / grid[GRID[3]]  # GRID[3] == 1e-3
        ratios_best.append(rel_best)
        ratios_default.append(rel_default)
        table = "  ".join(f"{g:.1e}:{v:.3f}" for g, v in grid.items())
        print(f"[quality] {name}: suggestion {lr:.2e} -> val_loss {at_suggestion:.3f}")
        print(f"[quality]   grid {table}")
        print(
            f"[quality]   best grid lr {best_lr:.1e}; suggestion / best = "
            f"{rel_best:.3f}, suggestion / 1e-3 = {rel_default:.3f}"
        )
    print(
        f"[quality] {epochs} epochs; median suggestion/best {statistics.median(ratios_best):.3f} "
        f"(target <= 1.10), median suggestion/1e-3 {statistics.median(ratios_default):.3f}"
    )


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
    args = parser.parse_args(argv)
    if args.part in ("cost", "all"):
        part_cost(args.repeats)
    if args.part in ("monitor", "all"):
        part_monitor(max(2, args.repeats // 2))
    if args.part in ("quality", "all"):
        part_quality(args.epochs, args.datasets)


if __name__ == "__main__":
    main()
