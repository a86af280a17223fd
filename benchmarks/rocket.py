"""Rocket-class accuracy in seconds: `build_rocket_classifier` vs aeon's MiniRocket.

Run: python benchmarks/rocket.py [--quick] [--seeds 5] [--datasets GunPoint,...]
     [--lstm-seeds 0] [--output rocket.json]

For each set and seed it trains, side by side in one run on the same machine:

(a) aeon's `MiniRocketClassifier` (MiniRocket + StandardScaler + RidgeClassifierCV),
    timed after one warm-up fit that compiles its numba kernels (85-125 s the
    first time in a process; that compile is printed once, not counted);
(b) `ksf.build_rocket_classifier(..., adapt_labels=y_train)`: the closed-form
    ridge head, built and trained in one call;
(c) with `--lstm-seeds`, `build_lstm_classifier` + `fit_recipe` for reference
    (minutes per set).

Sets: the five shipped UCR/UEA sets, and four that `keras_seqfix` does not ship
(OSULeaf, ACSF1, UnitTest, PickupGestureWiimoteZ, loaded offline from the copies
inside the aeon package). It prints a line per run (test accuracy, train and
predict CPU seconds by `time.process_time`), then the medians per set beside
aeon's and the published FCN, and the ratio of our train time to aeon's. With
`TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 NUMBA_NUM_THREADS=1` every
figure is single-core. Our predict time is given twice: the first call, which
traces the graph (as a user's first `predict` does), and a second one.
"""

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from recipe import PUBLISHED  # noqa: E402  (benchmarks/ is on sys.path)

import keras_seqfix as ksf  # noqa: E402

NOT_SHIPPED = {
    "OSULeaf": "load_osuleaf",
    "ACSF1": "load_acsf1",
    "UnitTest": "load_unit_test",
    "PickupGestureWiimoteZ": "load_pickup_gesture_wiimoteZ",
}


def _load(name):
    """((x_train, y_train), (x_test, y_test)), x as (n, time, channels), y ids."""
    if name in ksf.UCR_DATASETS:
        return ksf.load_ucr(name)
    import aeon.datasets

    loader = getattr(aeon.datasets, NOT_SHIPPED[name])
    splits = [loader(split=split) for split in ("train", "test")]
    classes = np.unique(np.concatenate([y for _, y in splits]))
    # Unequal lengths come as a list of (channels, time): pad at the end, both
    # splits to the longest series of either.
    longest = max(np.shape(s)[-1] for x, _ in splits for s in x)
    out = []
    for x, y in splits:
        series = [np.asarray(s, dtype="float32").T for s in x]
        padded = np.zeros((len(series), longest, series[0].shape[1]), "float32")
        for i, s in enumerate(series):
            padded[i, : len(s)] = s
        out.append((padded, np.searchsorted(classes, y)))
    return tuple(out)


def _timed(fn):
    start = time.process_time()
    result = fn()
    return result, time.process_time() - start


def _run_aeon(x_train, y_train, x_test, y_test, seed):
    from aeon.classification.convolution_based import MiniRocketClassifier

    clf = MiniRocketClassifier(random_state=seed)
    _, fit_s = _timed(lambda: clf.fit(np.transpose(x_train, (0, 2, 1)), y_train))
    pred, pred_s = _timed(lambda: clf.predict(np.transpose(x_test, (0, 2, 1))))
    return {
        "accuracy": float(np.mean(pred == y_test)),
        "train_s": fit_s,
        "predict_s": pred_s,
    }


def _run_ksf(x_train, y_train, x_test, y_test, seed):
    num_classes = int(max(y_train.max(), y_test.max()) + 1)
    model, fit_s = _timed(
        lambda: ksf.build_rocket_classifier(
            num_classes,
            input_shape=x_train.shape[1:],
            adapt_data=x_train,
            adapt_labels=y_train,
            seed=seed,
        )
    )
    probs, pred_s = _timed(lambda: model.predict(x_test, verbose=0))
    _, again_s = _timed(lambda: model.predict(x_test, verbose=0))
    loss = float(
        keras.ops.convert_to_numpy(
            keras.losses.sparse_categorical_crossentropy(y_test, probs)
        ).mean()
    )
    return {
        "accuracy": float(np.mean(probs.argmax(-1) == y_test)),
        "loss": loss,
        "train_s": fit_s,
        "predict_s": pred_s,
        "predict_again_s": again_s,
    }


def _run_lstm(x_train, y_train, x_test, y_test, seed):
    keras.utils.set_random_seed(seed)
    num_classes = int(max(y_train.max(), y_test.max()) + 1)
    model = ksf.build_lstm_classifier(
        num_classes, input_shape=x_train.shape[1:], adapt_data=x_train
    )
    recipe = {**ksf.fit_recipe(x_train, model=model), "verbose": 0}
    _, fit_s = _timed(lambda: model.fit(x_train, y_train, **recipe))
    probs, pred_s = _timed(lambda: model.predict(x_test, verbose=0))
    return {
        "accuracy": float(np.mean(probs.argmax(-1) == y_test)),
        "train_s": fit_s,
        "predict_s": pred_s,
    }


def _warm_up_aeon():
    """Compile aeon's numba kernels once, on tiny data; returns the seconds."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(10, 40, 1)).astype("float32"), np.arange(10) % 2
    start = time.time()
    _run_aeon(x, y, x, y, 0)
    x3 = rng.normal(size=(10, 40, 3)).astype("float32")  # the multivariate kernels
    _run_aeon(x3, y, x3, y, 0)
    return time.time() - start


def _median(runs, key):
    return statistics.median(r[key] for r in runs)


def _fmt(medians, key, spec):
    return "-" if medians is None else format(medians[key], spec)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets",
        default=",".join([*ksf.UCR_DATASETS, *NOT_SHIPPED]),
        help="comma-separated set names",
    )
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1")
    parser.add_argument(
        "--lstm-seeds", default="", help="seeds for the LSTM builder, e.g. 0"
    )
    parser.add_argument("--quick", action="store_true", help="one small set, 1 seed")
    parser.add_argument("--output", help="write the runs and medians as JSON here")
    args = parser.parse_args(argv)
    names = ["UnitTest"] if args.quick else args.datasets.split(",")
    seeds = range(1 if args.quick else args.seeds)
    lstm_seeds = [int(s) for s in args.lstm_seeds.split(",") if s]

    print(f"aeon warm-up (numba compile), not counted: {_warm_up_aeon():.1f} s wall")
    rows, record = [], {"runs": []}
    for name in names:
        (x_train, y_train), (x_test, y_test) = _load(name)
        runs = {"aeon": [], "ksf": [], "lstm": []}
        for seed in seeds:
            for kind, fn in (("aeon", _run_aeon), ("ksf", _run_ksf)):
                result = fn(x_train, y_train, x_test, y_test, seed)
                runs[kind].append(result)
                record["runs"].append(
                    {"set": name, "seed": seed, "model": kind, **result}
                )
                again = result.get("predict_again_s")
                print(
                    f"{name:22s} seed {seed} {kind:4s} acc {result['accuracy']:.3f} "
                    f"train {result['train_s']:6.2f} s predict {result['predict_s']:5.2f} s"
                    + ("" if again is None else f" (again {again:.2f} s)")
                )
        for seed in lstm_seeds:
            result = _run_lstm(x_train, y_train, x_test, y_test, seed)
            runs["lstm"].append(result)
            record["runs"].append(
                {"set": name, "seed": seed, "model": "lstm", **result}
            )
            print(
                f"{name:22s} seed {seed} lstm acc {result['accuracy']:.3f} "
                f"train {result['train_s']:6.1f} s"
            )
        rows.append((name, runs, x_train.shape, len(x_test)))

    n = len(seeds)
    print(
        f"\nMedians of {n} seed(s); CPU seconds (time.process_time). "
        "ratio = our train time / aeon's."
    )
    header = (
        "| set | shape (train) | test | aeon acc | ksf acc | ksf test loss | FCN "
        "| aeon train s | ksf train s | ratio | aeon predict s | ksf predict s (first, again) "
        "| LSTM acc | LSTM train s |"
    )
    print(header)
    print("|" + "---|" * 14)
    medians = {}
    for name, runs, shape, n_test in rows:
        m = {
            kind: {k: _median(v, k) for k in v[0]} if v else None
            for kind, v in runs.items()
        }
        medians[name] = m
        fcn = PUBLISHED.get(name, {}).get("FCN")
        lstm = m["lstm"]
        print(
            f"| {name} | {shape} | {n_test} | {m['aeon']['accuracy']:.3f} | "
            f"{m['ksf']['accuracy']:.3f} | {m['ksf']['loss']:.3f} | "
            f"{'-' if fcn is None else f'{fcn:.3f}'} | {m['aeon']['train_s']:.2f} | "
            f"{m['ksf']['train_s']:.2f} | "
            f"{m['ksf']['train_s'] / m['aeon']['train_s']:.1f}x | "
            f"{m['aeon']['predict_s']:.2f} | "
            f"{m['ksf']['predict_s']:.2f}, {m['ksf']['predict_again_s']:.2f} | "
            f"{_fmt(lstm, 'accuracy', '.3f')} | {_fmt(lstm, 'train_s', '.0f')} |"
        )
    if args.output:
        from _provenance import provenance

        record.update(medians=medians, **provenance())
        with open(args.output, "w") as f:
            json.dump(record, f, indent=1)
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
