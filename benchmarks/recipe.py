"""Recipe accuracy: plain copied model vs `build_lstm_classifier` + the fit recipe.

Run: python benchmarks/recipe.py [--quick] [--datasets GunPoint ArrowHead ...]
     [--seeds 3]

For each shipped UCR/UEA set (and the SMS spam messages, `--datasets sms_spam`)
it trains, in one run on the same machine:

(a) the widely copied plain model: `LSTM(64)` + `Dense(softmax)` (Embedding +
    `LSTM(64)` for text), Adam 1e-3, a fixed number of epochs;
(b) `build_lstm_classifier` defaults with the fit recipe of docs/models.md;

each for `--seeds` seeds, and prints the median test accuracy and test loss,
the median training time of (b), and the published accuracies (constants below).
`--quick` uses one seed and at most 30 epochs (a smoke run, not the figures).
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_seqfix as ksf  # noqa: E402

# Published test accuracies; None where we could not verify the number in the
# paper's table. FCN: Wang, Yan and Oates (2017), "Time series classification from
# scratch with deep neural networks", IJCNN, and Fawaz et al. (2019), "Deep
# learning for time series classification: a review", DMKD (multivariate sets).
# LSTM-FCN: Karim et al. (2017), "LSTM fully convolutional networks for time
# series classification", IEEE Access; Karim et al. (2019) "Multivariate LSTM-FCNs
# for time series classification", Neural Networks (multivariate sets).
# InceptionTime: Fawaz et al. (2020), "InceptionTime: finding AlexNet for time
# series classification", DMKD; Ruiz et al. (2021), DMKD (multivariate sets).
PUBLISHED = {
    "GunPoint": {"FCN": 1.00, "LSTM-FCN": 1.00, "InceptionTime": 1.00},
    "ArrowHead": {"FCN": 0.84, "LSTM-FCN": None, "InceptionTime": None},
    "ItalyPowerDemand": {"FCN": 0.96, "LSTM-FCN": None, "InceptionTime": None},
    "BasicMotions": {"FCN": 1.00, "LSTM-FCN": None, "InceptionTime": 1.00},
    "JapaneseVowels": {"FCN": 0.99, "LSTM-FCN": None, "InceptionTime": None},
}

# The fit recipe (docs/models.md, "The fit recipe").
RECIPE_EPOCHS = 100
PLAIN_EPOCHS = 50


def fit_recipe(num_samples, *, epochs=RECIPE_EPOCHS):
    """Keyword arguments for `model.fit` that docs/models.md calls the fit recipe."""
    large = num_samples >= 1000
    monitor = "val_loss" if large else "loss"
    return dict(
        epochs=epochs,
        batch_size=64 if large else 16,
        validation_split=0.1 if large else 0.0,
        callbacks=[
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor, factor=0.5, patience=5 if large else 10, min_lr=1e-5
            ),
            keras.callbacks.EarlyStopping(
                monitor=monitor,
                patience=10 if large else 20,
                restore_best_weights=True,
            ),
        ],
        verbose=0,
    )


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
        fit = fit_recipe(len(x_train), epochs=30 if quick else RECIPE_EPOCHS)
    start = time.perf_counter()
    history = model.fit(x_train, y_train, **fit)
    seconds = time.perf_counter() - start
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    result = {"acc": acc, "loss": loss, "seconds": seconds}
    result["epochs"] = len(history.history["loss"])
    if text:
        pred = np.argmax(model.predict(x_test, verbose=0), axis=-1)
        result["spam_recall"] = float(np.mean(pred[y_test == 1] == 1))
    return result


def _median(results, key):
    return statistics.median(r[key] for r in results)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", nargs="+", default=[*ksf.datasets.UCR_DATASETS, "sms_spam"]
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    seeds = range(1 if args.quick else args.seeds)
    print(
        f"{'dataset':<17}{'plain acc':>10}{'plain loss':>11}{'recipe acc':>11}"
        f"{'recipe loss':>12}{'recipe s':>9}{'epochs':>7}  published FCN/LSTM-FCN/IT"
    )
    for name in args.datasets:
        plain = [_run(name, s, "plain", args.quick) for s in seeds]
        recipe = [_run(name, s, "recipe", args.quick) for s in seeds]
        pub = PUBLISHED.get(name, {})
        pub_text = "/".join(
            "-" if pub.get(k) is None else f"{pub[k]:.2f}"
            for k in ("FCN", "LSTM-FCN", "InceptionTime")
        )
        line = (
            f"{name:<17}{_median(plain, 'acc'):>10.3f}{_median(plain, 'loss'):>11.3f}"
            f"{_median(recipe, 'acc'):>11.3f}{_median(recipe, 'loss'):>12.3f}"
            f"{_median(recipe, 'seconds'):>9.0f}{_median(recipe, 'epochs'):>7.0f}  "
            f"{pub_text}"
        )
        if "spam_recall" in recipe[0]:
            line += (
                f"  spam recall plain {_median(plain, 'spam_recall'):.3f}"
                f" recipe {_median(recipe, 'spam_recall'):.3f}"
            )
        print(line, flush=True)
        print(
            f"  per seed recipe acc: {[round(r['acc'], 3) for r in recipe]}"
            f"  plain acc: {[round(r['acc'], 3) for r in plain]}",
            flush=True,
        )


if __name__ == "__main__":
    main()
