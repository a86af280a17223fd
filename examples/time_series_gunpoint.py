"""Time series: why a plain LSTM stays at high loss on GunPoint, and the fix.

The tutorial of docs/tutorials/time_series.md, on the GunPoint series shipped with
the package (50 training and 150 test series of 150 steps, 2 classes):

1. train the widely copied plain recipe (`LSTM(64)` + `Dense`, Adam 1e-3, 50 epochs
   at Keras' default batch size), exactly as `benchmarks/recipe.py` trains it,
2. ask `ksf.diagnose` why its loss stays high,
3. build `ksf.build_lstm_classifier` with its defaults (input normalisation adapted
   to the training data, LSTM beside a convolutional branch),
4. run the learning-rate range test `ksf.find_lr` on the fresh model,
5. fit with the fit recipe, `ksf.fit_recipe(x_train)` (about 2,500 updates, the
   learning rate halved on plateaus, the best training-loss weights restored),
   and compare test loss and accuracy and the loss curves.

The test split is only evaluated (after every epoch, for the curves); nothing is
tuned on it.

Run: python examples/time_series_gunpoint.py [--figures docs/img]
With KERAS_SEQFIX_QUICK=1 it trains a couple of epochs (a smoke test, CI runs it).
"""

import argparse
import math
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_seqfix as ksf  # noqa: E402

QUICK = os.environ.get("KERAS_SEQFIX_QUICK") == "1"
PLAIN_EPOCHS = 2 if QUICK else 50  # benchmarks/recipe.py's PLAIN_EPOCHS


class TestLoss(keras.callbacks.Callback):
    """Test loss after every epoch, for the curves (reported, never used to decide)."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y, self.losses = x, y, []

    def on_epoch_end(self, epoch, logs=None):
        loss = self.model.evaluate(self.x, self.y, verbose=0, return_dict=True)["loss"]
        self.losses.append(loss)


def plain_model(input_shape, num_classes):
    """The recipe copied from many tutorials: no scaling, no masking, 1e-3."""
    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
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


def main(figures):
    (x_train, y_train), (x_test, y_test) = ksf.load_ucr("GunPoint")
    num_classes = int(y_train.max()) + 1
    print(
        f"GunPoint: train {x_train.shape}, test {x_test.shape}, {num_classes} classes"
    )
    print(f"log K = log({num_classes}) = {math.log(num_classes):.3f}\n")

    # 1. The plain recipe.
    keras.utils.set_random_seed(0)
    plain = plain_model(x_train.shape[1:], num_classes)
    plain_test = TestLoss(x_test, y_test)
    plain_history = plain.fit(
        x_train, y_train, epochs=PLAIN_EPOCHS, callbacks=[plain_test], verbose=0
    )

    # 2. Why is its loss high?
    report = ksf.diagnose(
        plain,
        x_train,
        y_train,
        history=plain_history,
        probe=not QUICK,
        lr_test=not QUICK,
        verbose=0,
    )
    print("diagnose(plain model):")
    print(report)
    print()

    # 3. Builder defaults: normalisation adapted to x_train, LSTM + conv branch.
    keras.utils.set_random_seed(0)
    model = ksf.build_lstm_classifier(
        num_classes, input_shape=x_train.shape[1:], adapt_data=x_train
    )

    # 4. Learning-rate range test; the model's weights are restored afterwards.
    lr_result = ksf.find_lr(
        model,
        x_train,
        y_train,
        batch_size=16,
        num_steps=10 if QUICK else 100,
        verbose=0,
    )
    suggestion = float(lr_result.suggestion)
    print(
        "find_lr suggestions:",
        {k: f"{v:.2g}" for k, v in lr_result.suggestions.items()},
        f"(default method: {suggestion:.2g})",
    )
    # Follow the suggestion only when diagnose blamed the learning rate: the builder's
    # 1e-3 is a good default, and on 50 series the range test is noisy.
    lr_codes = {"lr_too_high", "lr_too_low"} & set(report.codes[:3])
    lr = 1e-3
    if lr_codes and math.isfinite(suggestion):
        lr = min(max(suggestion, 1e-5), 1e-1)
        model.optimizer.learning_rate.assign(lr)
    print(f"training at learning rate {lr:.2g}\n")

    # 5. Fit with the fit recipe: on 50 series, 3 batches of 17 for 625 epochs (no
    # validation split to spare); the best training-loss weights are restored.
    recipe = ksf.fit_recipe(x_train, max_epochs=2 if QUICK else None)
    print(f"fit recipe: {recipe['epochs']} epochs, batch_size {recipe['batch_size']}")
    fixed_test = TestLoss(x_test, y_test)
    recipe["callbacks"].append(fixed_test)
    history = model.fit(x_train, y_train, **recipe, verbose=0)

    rows = [
        ("plain LSTM(64) + Dense", plain, len(plain_history.history["loss"])),
        ("build_lstm_classifier + fit_recipe", model, len(history.history["loss"])),
    ]
    print(
        f"{'recipe':40s} {'epochs':>6s} {'train loss':>10s} {'test loss':>9s} "
        f"{'test acc':>8s}"
    )
    for name, m, epochs in rows:
        train = m.evaluate(x_train, y_train, verbose=0, return_dict=True)
        test = m.evaluate(x_test, y_test, verbose=0, return_dict=True)
        print(
            f"{name:40s} {epochs:6d} {train['loss']:10.3f} {test['loss']:9.3f} "
            f"{test['accuracy']:8.3f}"
        )

    after = ksf.diagnose(
        model, x_train, y_train, history=history, probe=False, verbose=0
    )
    print("\ndiagnose(fixed model):")
    print(after)
    save_figures(
        figures, lr_result, num_classes, plain_history, plain_test, history, fixed_test
    )


def save_figures(figures, lr_result, num_classes, plain_h, plain_t, fixed_h, fixed_t):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(figures, exist_ok=True)
    ax = lr_result.plot()
    ax.set_title("find_lr on build_lstm_classifier, GunPoint")
    ax.figure.savefig(os.path.join(figures, "tutorial_ts_lr_finder.png"), dpi=100)
    plt.close(ax.figure)

    fig, ax = plt.subplots(figsize=(7, 4))
    for label, h, t, colour in (
        ("plain", plain_h, plain_t, "C1"),
        ("keras_seqfix", fixed_h, fixed_t, "C0"),
    ):
        epochs = np.arange(1, len(t.losses) + 1)
        ax.plot(epochs, h.history["loss"], color=colour, label=f"{label}: train")
        ax.plot(epochs, t.losses, color=colour, ls="--", label=f"{label}: test")
    ax.axhline(math.log(num_classes), color="0.5", lw=1, ls=":", label="log K")
    ax.set(xlabel="epoch", ylabel="loss", yscale="log", title="GunPoint loss curves")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(os.path.join(figures, "tutorial_ts_loss_curves.png"), dpi=100)
    plt.close(fig)
    print(f"\nfigures saved in {figures}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--figures",
        default=None,
        help="folder for the PNG figures (default: a temporary folder)",
    )
    args = parser.parse_args()
    main(args.figures or tempfile.mkdtemp(prefix="ksf_ts_"))
