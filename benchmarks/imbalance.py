"""BalancedBatches memory and epoch time vs copying resamplers; SMOTE wrapper overhead.

Run: python benchmarks/imbalance.py [--n 20000] [--epochs 3] [--repeats 3]
     [--output FILE] [--note TEXT]

With `x` of shape (n, 64, 32) float32 and a 95/5 class split, in one run:

1. Peak extra memory (tracemalloc) of
   - `BalancedBatches(x, y)`: construction plus one full epoch of batches,
   - `SequenceResampler(RandomOverSampler())`,
   - imbalanced-learn's RandomOverSampler on `x.reshape(n, -1)`, reshaped back,
   as a fraction of `x.nbytes` (target: BalancedBatches <= 5%).
2. Epoch time of `model.fit` (a small Conv1D model, batch 128) on `BalancedBatches`
   vs on the pre-resampled arrays of the same size (target: ratio <= 1.2x). Median
   over alternating fits of the epochs after the first (the first one traces).
3. `SequenceResampler(SMOTE())` vs imbalanced-learn's SMOTE on the flattened array
   (target: ratio <= 1.2x), medians over alternating repeats.

Everything measured is written with the run's provenance to `--output` (default
`benchmarks/results/imbalance.json`, rendered on docs/benchmarks.md).
"""

import argparse
import json
import os
import pathlib
import statistics
import time
import tracemalloc

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from imblearn.over_sampling import SMOTE, RandomOverSampler  # noqa: E402

from keras_seqfix.imbalance import BalancedBatches, SequenceResampler  # noqa: E402

BATCH = 128
OUTPUT = pathlib.Path(__file__).parent / "results" / "imbalance.json"


def make_data(n, seed=0):
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=np.int64)
    y[rng.choice(n, size=n // 20, replace=False)] = 1  # 95/5
    x = rng.standard_normal((n, 64, 32), dtype=np.float32)
    x[y == 1, :, :4] += 0.5  # some signal for the model
    return x, y


def peak_extra_bytes(fn):
    tracemalloc.start()
    result = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return peak


def one_epoch_of_batches(x, y):
    batches = BalancedBatches(x, y, batch_size=BATCH, random_state=0)
    for i in range(len(batches)):
        batches[i]
    batches.on_epoch_end()
    return batches


def imblearn_reshaped(x, y):
    x_flat, y_res = RandomOverSampler(random_state=0).fit_resample(
        x.reshape(len(x), -1), y
    )
    return x_flat.reshape(-1, *x.shape[1:]), y_res


def small_model():
    model = keras.Sequential(
        [
            keras.Input((64, 32)),
            keras.layers.Conv1D(16, 5, activation="relu"),
            keras.layers.GlobalMaxPooling1D(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)


def epoch_seconds(data, epochs, **fit_kwargs):
    """Per-epoch times of one fresh fit, the first (tracing) epoch left out."""
    keras.utils.set_random_seed(0)
    timer = EpochTimer()
    small_model().fit(
        data[0], *data[1:], epochs=epochs, verbose=0, callbacks=[timer], **fit_kwargs
    )
    return timer.times[1:]


def seconds(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", default=str(OUTPUT), help="results JSON file")
    parser.add_argument("--note", default="", help="how the machine was loaded")
    args = parser.parse_args(argv)
    x, y = make_data(args.n)
    mb = x.nbytes / 2**20
    print(f"x {x.shape} float32 = {mb:.0f} MiB, class counts {np.bincount(y).tolist()}")

    print("\n1. peak extra memory (tracemalloc), fraction of x.nbytes")
    measured = {
        "BalancedBatches (1 epoch)": peak_extra_bytes(
            lambda: one_epoch_of_batches(x, y)
        ),
        "SequenceResampler(ROS)": peak_extra_bytes(
            lambda: SequenceResampler(RandomOverSampler(random_state=0)).fit_resample(
                x, y
            )
        ),
        "imblearn ROS on reshape": peak_extra_bytes(lambda: imblearn_reshaped(x, y)),
    }
    for name, peak in measured.items():
        print(f"  {name:28s} {peak / 2**20:9.1f} MiB  {peak / x.nbytes:7.2%}")
    ratio = measured["BalancedBatches (1 epoch)"] / x.nbytes
    print(f"  BalancedBatches / x.nbytes = {ratio:.2%} (target <= 5%)")

    print(
        f"\n2. fit epoch time, batch {BATCH}: median over {args.repeats} alternating "
        f"fits of epochs 2..{args.epochs}"
    )
    x_res, y_res = SequenceResampler(RandomOverSampler(random_state=0)).fit_resample(
        x, y
    )
    batches = BalancedBatches(x, y, batch_size=BATCH, random_state=0)
    epoch_times = {"arrays": [], "batches": []}
    for _ in range(args.repeats):  # alternate so that machine noise hits both alike
        epoch_times["arrays"] += epoch_seconds(
            (x_res, y_res), args.epochs, batch_size=BATCH, shuffle=True
        )
        epoch_times["batches"] += epoch_seconds((batches,), args.epochs)
    t_arrays = statistics.median(epoch_times["arrays"])
    t_batches = statistics.median(epoch_times["batches"])
    del x_res, y_res
    print(f"  pre-resampled arrays ({len(batches) * BATCH} samples) {t_arrays:.2f} s")
    print(f"  BalancedBatches                  {t_batches:.2f} s")
    print(
        f"  ratio BalancedBatches / arrays = {t_batches / t_arrays:.2f}x (target <= 1.2x)"
    )

    print(f"\n3. SMOTE time, median of {args.repeats} alternating runs")
    times = {"imblearn": [], "wrapper": []}
    flat = x.reshape(len(x), -1)
    for _ in range(args.repeats):
        times["imblearn"].append(
            seconds(lambda: SMOTE(random_state=0).fit_resample(flat, y))
        )
        times["wrapper"].append(
            seconds(lambda: SequenceResampler(SMOTE(random_state=0)).fit_resample(x, y))
        )
    t_imb, t_wrap = (statistics.median(times[k]) for k in ("imblearn", "wrapper"))
    print(f"  imblearn SMOTE on x.reshape(n, -1)  {t_imb:.2f} s")
    print(f"  SequenceResampler(SMOTE())          {t_wrap:.2f} s")
    print(
        f"  ratio SequenceResampler / imblearn = {t_wrap / t_imb:.2f}x (target <= 1.2x)"
    )
    from _provenance import run_record

    record = {
        **run_record(args.note),
        "x_shape": list(x.shape),
        "x_nbytes": x.nbytes,
        "class_counts": np.bincount(y).tolist(),
        "batch_size": BATCH,
        "epochs": args.epochs,
        "repeats": args.repeats,
        "peak_extra_bytes": measured,
        "epoch_s": epoch_times,
        "smote_s": times,
    }
    pathlib.Path(args.output).write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
