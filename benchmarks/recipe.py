"""Recipe accuracy: plain copied model vs `build_lstm_classifier` + the fit recipe.

Run: python benchmarks/recipe.py [--quick] [--datasets GunPoint,ArrowHead ...]
     [--seeds 0,1,2] [--output FILE] [--note TEXT]

For each shipped UCR/UEA set (and the SMS spam messages, `--datasets sms_spam`)
it trains, in one run on the same machine:

(a) the widely copied plain model: `LSTM(64)` + `Dense(softmax)` (Embedding +
    `LSTM(64)` for text), Adam 1e-3, a fixed number of epochs;
(b) `build_lstm_classifier` defaults with the fit recipe of docs/models.md
    (`model.fit(x, y, **ksf.models.fit_recipe(x))`);

for each seed (`--seeds 3` or a list `0,1,2`), printing one line per run (test
accuracy and loss, epochs run, CPU seconds (`time.process_time`) and wall seconds
of `fit`), then the medians per set beside the published accuracies (constants
below). With `TF_NUM_INTRAOP_THREADS=1` the CPU seconds are single-core seconds:
the wall time the run needs on one idle core, an upper bound on two. `--quick`
uses one seed and at most 30 epochs (a smoke run, not the figures).

Each set's runs and medians are written, with the run's provenance, under the set's
name in `--output` (default `benchmarks/results/recipe.json`, rendered on
docs/benchmarks.md); the sets already in the file from other runs are kept. A
`--quick` run writes nothing unless `--output` is given.
"""

import argparse
import os
import pathlib
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from _provenance import run_record, save_entry  # noqa: E402  (beside this script)

import keras_seqfix as ksf  # noqa: E402

# Published test accuracies, as in the authors' own result files; None where no
# verifiable number was found. FCN: Fawaz et al. (2019), "Deep learning for time
# series classification: a review", DMKD, mean of 10 runs (README of
# hfawaz/dl-4-tsc; BasicMotions is not in their archive: 1.00 is the issue's
# target). LSTM-FCN: Karim et al. (2017), IEEE Access, model picked by lowest
# training loss (titu1994/LSTM-FCN, Results/train_loss_old_datasets.csv).
# InceptionTime: Fawaz et al. (2020), DMKD, one ensemble of 5
# (hfawaz/InceptionTime, results-InceptionTime-128.csv for the UCR 2018 archive,
# results-mts.csv for the UEA sets).
PUBLISHED = {
    "GunPoint": {"FCN": 1.00, "LSTM-FCN": 1.00, "InceptionTime": 1.00},
    "ArrowHead": {"FCN": 0.843, "LSTM-FCN": 0.897, "InceptionTime": 0.846},
    "ItalyPowerDemand": {"FCN": 0.961, "LSTM-FCN": 0.962, "InceptionTime": 0.965},
    "BasicMotions": {"FCN": 1.00, "LSTM-FCN": None, "InceptionTime": 1.00},
    "JapaneseVowels": {"FCN": 0.993, "LSTM-FCN": None, "InceptionTime": 0.992},
}

PLAIN_EPOCHS = 50
OUTPUT = pathlib.Path(__file__).parent / "results" / "recipe.json"


def _quiet_recipe(num_samples, *, max_epochs=None):
    """The fit recipe of docs/models.md (`ksf.models.fit_recipe`), quiet."""
    return {**ksf.models.fit_recipe(num_samples, max_epochs=max_epochs), "verbose": 0}


def _plain_series(num_classes, shape):
    model = keras.Sequential(
        [
            keras.Input(shape=shape),
            keras.layers.LSTM(64),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _plain_text(num_classes, vocab_size):
    model = keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int32"),
            keras.layers.Embedding(vocab_size, 128),
            keras.layers.LSTM(64),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _load(name):
    if name == "sms_spam":
        (x_train, y_train), (x_test, y_test) = ksf.datasets.load_sms_spam()
        # Tokenise outside the model: ids 1.., 0 = padding (post), as
        # build_lstm_classifier's token route expects.
        vectorizer = keras.layers.TextVectorization(
            max_tokens=10000, output_sequence_length=64
        )
        vectorizer.adapt(x_train)
        x_train = keras.ops.convert_to_numpy(vectorizer(x_train)).astype("int32")
        x_test = keras.ops.convert_to_numpy(vectorizer(x_test)).astype("int32")
        return (x_train, y_train), (x_test, y_test), len(vectorizer.get_vocabulary())
    (x_train, y_train), (x_test, y_test) = ksf.datasets.load_ucr(name)
    return (x_train, y_train), (x_test, y_test), None


def _run(name, seed, kind, quick):
    (x_train, y_train), (x_test, y_test), vocab = _load(name)
    num_classes = int(max(y_train.max(), y_test.max()) + 1)
    keras.utils.set_random_seed(seed)
    text = vocab is not None
    if kind == "plain":
        if text:
            model = _plain_text(num_classes, vocab)
            fit = dict(epochs=5 if quick else 10, batch_size=32, verbose=0)
        else:
            model = _plain_series(num_classes, x_train.shape[1:])
            fit = dict(epochs=30 if quick else PLAIN_EPOCHS, batch_size=32, verbose=0)
    else:
        if text:
            model = ksf.models.build_lstm_classifier(num_classes, vocab_size=vocab)
        else:
            model = ksf.models.build_lstm_classifier(
                num_classes, input_shape=x_train.shape[1:], adapt_data=x_train
            )
        fit = _quiet_recipe(len(x_train), max_epochs=30 if quick else None)
    cpu, start = time.process_time(), time.perf_counter()
    history = model.fit(x_train, y_train, **fit)
    result = {
        "seconds": time.perf_counter() - start,
        "cpu": time.process_time() - cpu,
        "epochs": len(history.history["loss"]),
        "max_epochs": fit["epochs"],
    }
    result["loss"], result["acc"] = model.evaluate(x_test, y_test, verbose=0)
    if text:
        pred = np.argmax(model.predict(x_test, verbose=0), axis=-1)
        result["spam_recall"] = float(np.mean(pred[y_test == 1] == 1))
    return result


def _median(results, key):
    return statistics.median(r[key] for r in results)


def _save(path, name, run, seeds, plain, recipe):
    """Put set `name`'s runs and medians into the results file `path`, keeping the
    other sets (each set carries the provenance `run` of its own run)."""
    runs = {"plain": plain, "recipe": recipe}
    medians = {
        kind: {key: _median(rows, key) for key in rows[0]}
        for kind, rows in runs.items()
    }
    entry = {**run, "seeds": seeds, "runs": runs, "medians": medians}
    save_entry(path, name, entry)


def _split(values):
    return [v for item in values for v in item.split(",") if v]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", nargs="+", default=[*ksf.datasets.UCR_DATASETS, "sms_spam"]
    )
    parser.add_argument(
        "--seeds", default="3", help="a count (3) or a list of seeds (0,1,2 or 0,)"
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--output", default=None, help=f"results JSON file; defaults to {OUTPUT}"
    )
    parser.add_argument("--note", default="", help="how the machine was loaded")
    args = parser.parse_args(argv)
    output = args.output or (None if args.quick else OUTPUT)
    run = run_record(args.note)
    if "," in args.seeds:
        seeds = [int(s) for s in _split([args.seeds])]
    else:
        seeds = list(range(int(args.seeds)))
        if not seeds:
            parser.error(
                f"--seeds {args.seeds} is a count of no seeds; for seed 0 alone "
                "pass a list: --seeds 0,"
            )
    if args.quick:
        seeds = seeds[:1]
    threads = os.environ.get("TF_NUM_INTRAOP_THREADS", "default")
    print(f"intra-op threads: {threads}; load average: {os.getloadavg()}", flush=True)
    for name in _split(args.datasets):
        plain, recipe = [], []
        for seed in seeds:
            for kind, results in (("recipe", recipe), ("plain", plain)):
                r = _run(name, seed, kind, args.quick)
                results.append(r)
                extra = (
                    f" spam recall {r['spam_recall']:.3f}" if "spam_recall" in r else ""
                )
                print(
                    f"  {name} seed {seed} {kind:<6} acc {r['acc']:.3f} loss "
                    f"{r['loss']:.3f}{extra} epochs {r['epochs']}/{r['max_epochs']} "
                    f"cpu {r['cpu']:.0f} s wall {r['seconds']:.0f} s",
                    flush=True,
                )
        pub = PUBLISHED.get(name, {})
        pub_text = "/".join(
            "-" if pub.get(k) is None else f"{pub[k]:.3f}"
            for k in ("FCN", "LSTM-FCN", "InceptionTime")
        )
        line = (
            f"{name} ({len(seeds)} seeds, medians): plain acc "
            f"{_median(plain, 'acc'):.3f} loss {_median(plain, 'loss'):.3f} | recipe "
            f"acc {_median(recipe, 'acc'):.3f} loss {_median(recipe, 'loss'):.3f} "
            f"epochs {_median(recipe, 'epochs'):.0f} cpu {_median(recipe, 'cpu'):.0f} s "
            f"wall {_median(recipe, 'seconds'):.0f} s | published FCN/LSTM-FCN/"
            f"InceptionTime {pub_text}"
        )
        if "spam_recall" in recipe[0]:
            line += (
                f" | spam recall plain {_median(plain, 'spam_recall'):.3f}"
                f" recipe {_median(recipe, 'spam_recall'):.3f}"
            )
        print(line, flush=True)
        if output:
            _save(output, name, run, seeds, plain, recipe)


if __name__ == "__main__":
    main()
