"""Tuning: the builder's defaults vs `ksf.tune` vs keras-tuner's RandomSearch, per set.

Run: python benchmarks/tuning.py [--quick] [--sets GunPoint ...] [--trials 10 30]
     [--kind lstm|rocket] [--time-budget S] [--output benchmarks/results/tuning.json]

Side by side in one run on the same machine, on each set's own train/test split:

(a) defaults: the builder with its defaults, trained with `fit_recipe` (LSTM) or
    solved in closed form (Rocket), as the README does;
(b) `ksf.tune(x_train, y_train, max_trials=N)`: Bayesian optimisation, the
    defaults as trial 1, each trial scored by 3-fold cross-validation, the best
    values retrained on the whole training split;
(c) `keras_tuner.RandomSearch` over the same `LSTMHyperModel` / `RocketHyperModel`
    space with the same number of trials, each trial scored on a stratified 20%
    split (keras-tuner has no cross-validation) with the same early stopping, and
    its best trial's model.

It prints, for each arm, the test accuracy and loss, the CPU seconds
(`time.process_time`, all threads) and the wall seconds, then the ratios of (b)
and (c) to (a). `--time-budget` is passed to `ksf.tune` (no new trial after it);
the trials each search ran are recorded. `--output` files each set, kind and
trial count under its own key (`rocket/GunPoint/10`), keeping the others.
`--quick` runs 2 trials of at most 3 epochs to check the script.
"""

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import keras_seqfix as ksf  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from _provenance import run_record, save_entry  # noqa: E402


def _timed(run):
    wall, cpu = time.perf_counter(), time.process_time()
    model, extra = run()
    return model, dict(
        cpu_s=round(time.process_time() - cpu, 1),
        wall_s=round(time.perf_counter() - wall, 1),
        **extra,
    )


def _classes(y):
    return int(np.max(y)) + 1


def _defaults(kind, x, y, quick):
    if kind == "rocket":
        return ksf.build_rocket_classifier(
            _classes(y), input_shape=x.shape[1:], adapt_data=x, adapt_labels=y, seed=0
        ), {}
    keras.utils.set_random_seed(0)
    model = ksf.build_lstm_classifier(_classes(y), input_shape=x.shape[1:])
    recipe = ksf.fit_recipe(x, max_epochs=3 if quick else None)
    model.fit(x, y, verbose=0, **recipe)
    return model, {}


def _tune(kind, x, y, trials, quick, budget):
    result = ksf.tune(
        x,
        y,
        kind=kind,
        max_trials=trials,
        time_budget=budget,
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
            _classes(y),
            input_shape=x.shape[1:],
            adapt_data=x[train],
            adapt_labels=y[train],
            seed=0,
        )
        fit = {}
    else:
        hypermodel = ksf.tuning.LSTMHyperModel(_classes(y), input_shape=x.shape[1:])
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


def _compare(name, kind, trials, quick, budget):
    """The three arms on set `name`: {arm: row} with test accuracy and loss."""
    (x, y), (x_test, y_test) = ksf.load_ucr(name)
    tune_kind = None if kind == "lstm" else "rocket"
    arms = {
        "defaults": lambda: _defaults(kind, x, y, quick),
        "ksf.tune": lambda: _tune(tune_kind, x, y, trials, quick, budget),
        "keras_tuner.RandomSearch": lambda: _random_search(kind, x, y, trials, quick),
    }
    rows = {}
    for arm, run in arms.items():
        model, row = _timed(run)
        found = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
        row.update(
            test_accuracy=round(found["accuracy"], 4),
            test_loss=round(found["loss"], 4),
        )
        rows[arm] = row
        print(
            f"{name} {arm:26s} accuracy {row['test_accuracy']:.4f}  loss "
            f"{row['test_loss']:.4f}  CPU {row['cpu_s']:7.1f} s  wall "
            f"{row['wall_s']:7.1f} s",
            flush=True,
        )
    base = rows["defaults"]["cpu_s"] or float("nan")
    for arm in ("ksf.tune", "keras_tuner.RandomSearch"):
        print(f"{name} {arm}: {rows[arm]['cpu_s'] / base:.1f}x the defaults' CPU time")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--sets", nargs="+", default=["GunPoint", "ItalyPowerDemand", "BasicMotions"]
    )
    parser.add_argument("--trials", type=int, nargs="+", default=[10, 30])
    parser.add_argument("--kind", choices=["lstm", "rocket"], default="lstm")
    parser.add_argument("--time-budget", type=float, default=None)
    parser.add_argument("--note", default="")
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    for name in args.sets:
        for trials in [2] if args.quick else args.trials:
            record = run_record(args.note)
            arms = _compare(name, args.kind, trials, args.quick, args.time_budget)
            record.update(
                dataset=name,
                kind=args.kind,
                trials=trials,
                time_budget=args.time_budget,
                quick=args.quick,
                arms=arms,
            )
            if args.output:
                save_entry(args.output, f"{args.kind}/{name}/{trials}", record)


if __name__ == "__main__":
    main()
