"""Tuning on GunPoint: the builder's defaults vs `ksf.tune` vs keras-tuner's RandomSearch.

Run: python benchmarks/tuning.py [--quick] [--trials 10] [--kind lstm|rocket]
     [--output benchmarks/results/tuning.json]

Side by side in one run on the same machine, on GunPoint's own train/test split:

(a) defaults: the builder with its defaults, trained with `fit_recipe` (LSTM) or
    solved in closed form (Rocket), as the README does;
(b) `ksf.tune(x_train, y_train, max_trials=N)`: Bayesian optimisation, the
    defaults as trial 1, each trial scored by 3-fold cross-validation, the best
    values retrained on all 50 series;
(c) `keras_tuner.RandomSearch` over the same `LSTMHyperModel` / `RocketHyperModel`
    space with the same number of trials, each trial scored on a stratified 20%
    split (keras-tuner has no cross-validation) with the same early stopping, and
    its best trial's model.

It prints, for each arm, the test accuracy and loss, the CPU seconds
(`time.process_time`, all threads) and the wall seconds, then the ratios of (b)
and (c) to (a). `--quick` runs 2 trials of at most 3 epochs to check the script.
"""

import argparse
import json
import os
import platform
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import keras_seqfix as ksf  # noqa: E402


def _timed(run):
    wall, cpu = time.perf_counter(), time.process_time()
    model, extra = run()
    return model, dict(
        cpu_s=round(time.process_time() - cpu, 1),
        wall_s=round(time.perf_counter() - wall, 1),
        **extra,
    )


def _defaults(kind, x, y, quick):
    if kind == "rocket":
        return ksf.build_rocket_classifier(
            2, input_shape=x.shape[1:], adapt_data=x, adapt_labels=y, seed=0
        ), {}
    keras.utils.set_random_seed(0)
    model = ksf.build_lstm_classifier(2, input_shape=x.shape[1:])
    recipe = ksf.fit_recipe(x, max_epochs=3 if quick else None)
    model.fit(x, y, verbose=0, **recipe)
    return model, {}


def _tune(kind, x, y, trials, quick):
    result = ksf.tune(
        x,
        y,
        kind=kind,
        max_trials=trials,
        epochs=3 if quick else None,
        seed=0,
        verbose=1,
    )
    return result.model, dict(
        trials=len(result.table), hyperparameters=result.hyperparameters
    )


def _random_search(kind, x, y, trials, quick):
    import keras_tuner

    train, val = train_test_split(
        np.arange(len(x)), test_size=0.2, random_state=0, stratify=y
    )
    if kind == "rocket":
        hypermodel = ksf.tuning.RocketHyperModel(
            2,
            input_shape=x.shape[1:],
            adapt_data=x[train],
            adapt_labels=y[train],
            seed=0,
        )
        fit = {}
    else:
        hypermodel = ksf.tuning.LSTMHyperModel(2, input_shape=x.shape[1:])
        fit = dict(
            epochs=3 if quick else 50,
            callbacks=[
                keras.callbacks.EarlyStopping(
                    monitor="val_loss", patience=10, restore_best_weights=True
                )
            ],
        )
    with tempfile.TemporaryDirectory() as directory:
        tuner = keras_tuner.RandomSearch(
            hypermodel,
            objective="val_loss",
            max_trials=trials,
            seed=0,
            directory=directory,
            project_name="random_search",
        )
        tuner.search(
            x[train], y[train], validation_data=(x[val], y[val]), verbose=0, **fit
        )
        model = tuner.get_best_models(1)[0]
        values = tuner.get_best_hyperparameters(1)[0].values
    return model, dict(trials=len(tuner.oracle.trials), hyperparameters=values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--kind", choices=["lstm", "rocket"], default="lstm")
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    trials = 2 if args.quick else args.trials

    (x, y), (x_test, y_test) = ksf.load_ucr("GunPoint")
    kind = None if args.kind == "lstm" else "rocket"
    arms = {
        "defaults": lambda: _defaults(args.kind, x, y, args.quick),
        "ksf.tune": lambda: _tune(kind, x, y, trials, args.quick),
        "keras_tuner.RandomSearch": lambda: _random_search(
            args.kind, x, y, trials, args.quick
        ),
    }
    rows = {}
    for name, run in arms.items():
        model, row = _timed(run)
        found = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
        row.update(
            test_accuracy=round(found["accuracy"], 4),
            test_loss=round(found["loss"], 4),
        )
        rows[name] = row
        print(
            f"{name:26s} accuracy {row['test_accuracy']:.4f}  loss "
            f"{row['test_loss']:.4f}  CPU {row['cpu_s']:7.1f} s  wall "
            f"{row['wall_s']:7.1f} s",
            flush=True,
        )
    base = rows["defaults"]["cpu_s"] or float("nan")
    for name in ("ksf.tune", "keras_tuner.RandomSearch"):
        print(f"{name}: {rows[name]['cpu_s'] / base:.1f}x the defaults' CPU time")
    if args.output:
        with open(args.output, "w") as f:
            json.dump(
                dict(
                    dataset="GunPoint",
                    kind=args.kind,
                    trials=trials,
                    quick=args.quick,
                    backend=keras.backend.backend(),
                    machine=f"{platform.machine()}, {os.cpu_count()} CPUs",
                    arms=rows,
                ),
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
