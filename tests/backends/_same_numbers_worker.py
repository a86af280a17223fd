"""Compute `GradientNormMonitor`, `find_lr` and gradient numbers on one backend.

Run by `test_same_numbers.py` as `KERAS_BACKEND=<name> python <this file> IN OUT`:
reads the weights and the batch from `IN` (an `.npz` file), writes the numbers
to `OUT` (JSON). Not a test module itself.
"""

import json
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402


def build_model():
    """A small sequence classifier with every kind of layer the package builds."""
    model = keras.Sequential(
        [
            keras.Input((10, 2)),
            keras.layers.Conv1D(4, 3, padding="same", name="conv"),
            keras.layers.BatchNormalization(name="bn"),
            keras.layers.LSTM(6, name="lstm"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ]
    )
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    return model


def main(source, target):
    from keras_seqfix._backend.gradients import compute_gradients
    from keras_seqfix.callbacks import GradientNormMonitor, find_lr

    data = np.load(source)
    x, y = data["x"], data["y"]
    weights = [data[f"w{i}"] for i in range(int(data["n_weights"]))]
    out = {"backend": keras.backend.backend()}

    model = build_model()
    model.set_weights(weights)
    loss, grads = compute_gradients(model, x, y)
    out["loss"] = loss
    out["grad_sq"] = [float(np.sum(np.square(g))) for g in grads]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = find_lr(
            model,
            x,
            y,
            batch_size=len(x),
            start_lr=1e-4,
            end_lr=0.3,
            num_steps=12,
            verbose=0,
        )
    out["lr_lrs"] = [float(v) for v in result.lrs]
    out["lr_raw_losses"] = [float(v) for v in result.raw_losses]
    out["lr_suggestions"] = {k: float(v) for k, v in result.suggestions.items()}
    out["restored"] = all(
        np.array_equal(a, b) for a, b in zip(weights, model.get_weights(), strict=True)
    )

    monitor = GradientNormMonitor(per_batch=True, warn=False)
    half = len(x) // 2
    model.fit(
        x, y, batch_size=half, epochs=2, shuffle=False, verbose=0, callbacks=[monitor]
    )
    out["monitor_batches"] = monitor.batch_history
    out["monitor_epochs"] = monitor.history
    with open(target, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
