"""Make the figures of docs/callbacks.md.

Run: python scripts/callbacks_figures.py

- docs/img/lr_finder.png: `find_lr` on JapaneseVowels with the recipe model,
  the suggestions marked.
- docs/img/gradient_norms.png: `GradientNormMonitor` per-layer norms of a
  healthy LSTM classifier next to a deep stack of sigmoid SimpleRNN layers
  whose gradients vanish.
"""

import os
import pathlib
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import keras_seqfix as ksf  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[1] / "docs" / "img"


def _recipe(x, num_classes):
    keras.utils.set_random_seed(0)
    try:
        from keras_seqfix.models import build_lstm_classifier

        return build_lstm_classifier(
            num_classes, input_shape=x.shape[1:], units=32, adapt_data=x
        )
    except ImportError:
        model = keras.Sequential(
            [
                keras.Input(x.shape[1:]),
                keras.layers.LSTM(32, name="lstm"),
                keras.layers.Dense(num_classes, activation="softmax", name="out"),
            ]
        )
        model.compile("adam", "sparse_categorical_crossentropy")
        return model


def lr_finder_figure(x, y):
    model = _recipe(x, int(y.max()) + 1)
    result = ksf.find_lr(model, x, y, batch_size=16, num_steps=100, verbose=0)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    result.plot(ax=ax)
    ax.set_title("find_lr on JapaneseVowels (build_lstm_classifier, units=32)")
    fig.tight_layout()
    fig.savefig(OUT / "lr_finder.png", dpi=110)
    print(result, result.suggestions)


def gradient_figure(x, y):
    num_classes = int(y.max()) + 1
    healthy = _recipe(x, num_classes)
    keras.utils.set_random_seed(0)
    stack = [
        keras.layers.SimpleRNN(
            16, activation="sigmoid", return_sequences=True, name=f"rnn_{i + 1}"
        )
        for i in range(5)
    ]
    deep = keras.Sequential(
        [
            keras.Input(x.shape[1:]),
            *stack,
            keras.layers.SimpleRNN(16, activation="sigmoid", name="rnn_6"),
            keras.layers.Dense(num_classes, activation="softmax", name="out"),
        ]
    )
    deep.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, model, title in (
        (axes[0], healthy, "build_lstm_classifier: healthy"),
        (axes[1], deep, "6 stacked sigmoid SimpleRNN: vanishing"),
    ):
        monitor = ksf.GradientNormMonitor()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(x, y, batch_size=32, epochs=8, verbose=0, callbacks=[monitor])
        print(monitor.summary())
        monitor.plot(ax=ax)
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(OUT / "gradient_norms.png", dpi=110)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    (x, y), _ = ksf.load_ucr("JapaneseVowels")
    lr_finder_figure(x, y)
    gradient_figure(x, y)


if __name__ == "__main__":
    main()
