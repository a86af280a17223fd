"""Image sequences: a CNN-LSTM on moving digits, per-clip augmentation, fine-tuning.

The tutorial of docs/tutorials/video.md, on the moving-digits clips shipped with the
package (`ksf.load_moving_digits()`: 8 frames of 16x16, 20 classes = digit x
direction, test clips made from handwriting never seen in training):

1. pretrain a small frame encoder on single frames (the stand-in for an ImageNet
   backbone: it knows digits, not motion),
2. `ksf.build_cnn_lstm(backbone=encoder)`: a pretrained backbone is frozen, only the
   LSTM and the head train; three runs with the same label-preserving augmentation
   (rotation, zoom, translation; no flip, which would swap "left" and "right"):
   none, drawn per frame (`TimeDistributed` of Keras's layers), drawn per clip
   (`ksf.SequenceAugmentation`),
3. `ksf.unfreeze_backbone(model)` and train on at a lower learning rate.

Test loss and accuracy are printed after each phase; the test split is only
evaluated, never used to decide anything.

Run: python examples/video_moving_digits.py [--figures docs/img]
With KERAS_SEQFIX_QUICK=1 it trains one epoch on a subset (a smoke test, CI runs it).
"""

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_seqfix as ksf  # noqa: E402

QUICK = os.environ.get("KERAS_SEQFIX_QUICK") == "1"
PRETRAIN_EPOCHS = 1 if QUICK else 5
FROZEN_EPOCHS = 1 if QUICK else 8
FINE_TUNE_EPOCHS = 1 if QUICK else 6
# The same Keras layers drawn per frame and per clip (label-preserving: no flip).
ROTATION, ZOOM, TRANSLATION = 0.04, 0.1, 0.1


class TestLoss(keras.callbacks.Callback):
    """Test loss after every epoch, for the curves (reported, never used to decide)."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y, self.losses, self.accuracy = x, y, [], None

    def on_epoch_end(self, epoch, logs=None):
        result = self.model.evaluate(self.x, self.y, verbose=0, return_dict=True)
        self.losses.append(result["loss"])
        self.accuracy = result["accuracy"]


def frame_encoder(frame_shape):
    """A small CNN: frame -> 64-vector. Flatten keeps where the digit is."""
    inputs = keras.Input(shape=frame_shape)
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(64, activation="relu")(x)
    return keras.Model(inputs, outputs, name="frame_encoder")


def pretrain_encoder(x_train, y_train, num_directions):
    """Train the encoder to name the digit in single frames; return the encoder."""
    frames = x_train.reshape(-1, *x_train.shape[2:])
    digits = np.repeat(y_train // num_directions, x_train.shape[1])
    encoder = frame_encoder(frames.shape[1:])
    classifier = keras.Sequential(
        [encoder, keras.layers.Dense(10, activation="softmax")], name="pretraining"
    )
    classifier.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    history = classifier.fit(
        frames, digits, epochs=PRETRAIN_EPOCHS, batch_size=128, verbose=0
    )
    acc = history.history["accuracy"][-1]
    print(f"frame encoder pretrained on single frames: train digit accuracy {acc:.3f}")
    return encoder


def augmentations():
    def keras_layers():
        return [
            keras.layers.RandomRotation(ROTATION, fill_mode="constant"),
            keras.layers.RandomZoom(ZOOM, fill_mode="constant"),
            keras.layers.RandomTranslation(
                TRANSLATION, TRANSLATION, fill_mode="constant"
            ),
        ]

    return {
        "none": lambda: None,
        "per frame (TimeDistributed)": lambda: keras.layers.TimeDistributed(
            keras.Sequential(keras_layers()), name="per_frame_augmentation"
        ),
        "per clip (SequenceAugmentation)": lambda: ksf.SequenceAugmentation(
            keras_layers(), seed=0
        ),
    }


def main(figures):
    data = ksf.load_moving_digits()
    (x_train, y_train), (x_test, y_test) = data
    names = data.class_names
    if QUICK:
        x_train, y_train = x_train[:200], y_train[:200]
        x_test, y_test = x_test[:100], y_test[:100]
    num_classes, num_directions = len(names), 2
    print(f"train {x_train.shape}, test {x_test.shape}, {num_classes} classes")

    data = (x_train, y_train), (x_test, y_test)
    keras.utils.set_random_seed(0)
    encoder = pretrain_encoder(x_train, y_train, num_directions)

    print(f"\nphase 1: backbone frozen, {FROZEN_EPOCHS} epochs")
    print(f"{'augmentation':32s} {'trainable':>9s} {'test loss':>9s} {'test acc':>8s}")
    curves, models = {}, {}
    for name, make in augmentations().items():
        if QUICK and name != "per clip (SequenceAugmentation)":
            continue  # the smoke test runs the keras_seqfix path only
        keras.utils.set_random_seed(0)
        model = ksf.build_cnn_lstm(
            num_classes,
            input_shape=x_train.shape[1:],
            backbone=encoder,  # a keras.Model brings its weights: frozen by default
            augmentation=make(),
            units=64,
            learning_rate=2e-3,
        )
        test_loss = fit_and_report(name, model, epochs=FROZEN_EPOCHS, data=data)
        curves[name], models[name] = test_loss.losses, model

    print(
        f"\nphase 2: unfreeze_backbone, learning rate 1e-4, {FINE_TUNE_EPOCHS} epochs"
    )
    print(f"{'augmentation':32s} {'trainable':>9s} {'test loss':>9s} {'test acc':>8s}")
    fine_curves = {}
    for name in ("none", "per clip (SequenceAugmentation)"):
        if name not in models:
            continue
        model = models[name]
        ksf.unfreeze_backbone(model, learning_rate=1e-4)
        test_loss = fit_and_report(name, model, epochs=FINE_TUNE_EPOCHS, data=data)
        fine_curves[name] = test_loss.losses
    save_figure(figures, curves, fine_curves)


def fit_and_report(name, model, epochs, data):
    """Train `model`, print its row of the table, return the test-loss curve."""
    (x_train, y_train), (x_test, y_test) = data
    test_loss = TestLoss(x_test, y_test)
    model.fit(
        x_train,
        y_train,
        epochs=epochs,
        batch_size=32,
        callbacks=[test_loss],
        verbose=0,
    )
    trainable = sum(int(np.prod(v.shape)) for v in model.trainable_weights)
    print(
        f"{name:32s} {trainable:9d} {test_loss.losses[-1]:9.3f} "
        f"{test_loss.accuracy:8.3f}"
    )
    return test_loss


def save_figure(figures, curves, fine_curves):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(figures, exist_ok=True)
    fig, ax = plt.subplots(figsize=(9, 4))
    colours = {name: f"C{i}" for i, name in enumerate(augmentations())}
    for name, losses in curves.items():
        ax.plot(range(1, len(losses) + 1), losses, color=colours[name], label=name)
    start = len(next(iter(curves.values())))
    for name, losses in fine_curves.items():
        epochs = range(start + 1, start + len(losses) + 1)
        ax.plot(epochs, losses, color=colours[name], ls="--", label=f"{name}, unfrozen")
    ax.axvline(start + 0.5, color="0.5", lw=1, ls=":")
    ax.set(
        xlabel="epoch",
        ylabel="test loss",
        yscale="log",
        title="Moving digits: frozen backbone, then unfreeze_backbone",
    )
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(os.path.join(figures, "tutorial_video_loss_curves.png"), dpi=100)
    plt.close(fig)
    print(f"\nfigure saved in {figures}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--figures",
        default=None,
        help="folder for the PNG figure (default: a temporary folder)",
    )
    args = parser.parse_args()
    main(args.figures or tempfile.mkdtemp(prefix="ksf_video_"))
