"""Distributed runs for `tests/distributed`, each in a fresh process.

`python _workers.py mirrored OUT` splits the CPU into two logical devices and
trains under `tf.distribute.MirroredStrategy`; `python _workers.py jax OUT` runs
under `keras.distribution.DataParallel` on two XLA host devices (the caller sets
`XLA_FLAGS=--xla_force_host_platform_device_count=2` and `KERAS_BACKEND=jax`).
Devices must be configured before the backend starts, hence the processes. Each
run writes its measurements to `OUT` (JSON); the tests compare them.
"""

import contextlib
import json
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODE = sys.argv[1] if __name__ == "__main__" else None
if MODE == "mirrored":
    import tensorflow as tf

    _cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        _cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_seqfix as ksf  # noqa: E402
from keras_seqfix._backend.gradients import compute_gradients  # noqa: E402


def _data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 12, 2)).astype("float32")
    y = (x[:, :, 0].mean(1) > 0).astype("int64") + (x[:, :, 1].mean(1) > 0.3)
    return x, y


def _lstm():
    # No BatchNormalization here: Keras's BatchNormalization normalises each
    # replica's slice with that slice's statistics, so with it a replicated step
    # is not the single-device step and the numbers could not be compared. The
    # builders (which use it) are trained under the strategy below.
    model = keras.Sequential(
        [
            keras.Input((12, 2)),
            keras.layers.Conv1D(8, 3, padding="same", activation="relu"),
            keras.layers.LSTM(8),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    return model


def _global_norm(model, x, y):
    _, grads = compute_gradients(model, x, y)
    return float(np.sqrt(sum(np.sum(np.square(g)) for g in grads if g is not None)))


def reference():
    """Single-device numbers (the global values a distributed run must report)."""
    keras.utils.set_random_seed(0)
    x, y = _data()
    out = {}
    reference = _lstm()
    weights = reference.get_weights()
    out["reference_norm"] = _global_norm(reference, x, y)
    out["one_replica_norm"] = _global_norm(reference, x[:16], y[:16])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_lr = ksf.find_lr(
            reference,
            x,
            y,
            batch_size=32,
            start_lr=1e-4,
            end_lr=1.0,
            num_steps=8,
            verbose=0,
        )
    out["reference_lr_losses"] = [float(v) for v in ref_lr.raw_losses]
    return out, weights


def run(scope, weights):
    """Everything the tests check, with the models built inside `scope()`."""
    keras.utils.set_random_seed(0)
    x, y = _data()
    out = {}
    with scope():
        model = _lstm()
        model.set_weights(weights)
        clips = ksf.build_cnn_lstm(
            2,
            input_shape=(3, 16, 16, 1),
            units=4,
            augmentation=ksf.SequenceAugmentation(flip="horizontal", seed=0),
        )
        series = keras.Sequential(
            [
                keras.Input((12, 2)),
                ksf.TimeSeriesAugmentation(jitter=0.05, scaling=0.1, seed=0),
                ksf.TemporalAugmentation(max_shift=1, seed=0),
                keras.layers.LSTM(4, return_sequences=True),
                ksf.AttentionPooling(),
                keras.layers.Dense(3, activation="softmax"),
            ]
        )
        series.compile("adam", "sparse_categorical_crossentropy")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = ksf.find_lr(
            model,
            x,
            y,
            batch_size=32,
            start_lr=1e-4,
            end_lr=1.0,
            num_steps=8,
            verbose=0,
        )
    out["lr_losses"] = [float(v) for v in result.raw_losses]
    out["restored"] = all(
        np.array_equal(a, b) for a, b in zip(weights, model.get_weights(), strict=True)
    )

    monitor = ksf.GradientNormMonitor(per_batch=True, warn=False)
    model.fit(
        x, y, batch_size=32, epochs=1, shuffle=False, verbose=0, callbacks=[monitor]
    )
    out["monitor_norm"] = monitor.batch_history["grad_norm"][0]

    with scope():
        built = ksf.build_lstm_classifier(3, input_shape=(12, 2), units=8)
    history = built.fit(
        x,
        y,
        batch_size=16,
        epochs=1,
        verbose=0,
        callbacks=[ksf.GradientNormMonitor(warn=False)],
    )
    out["lstm_classifier_loss"] = history.history["loss"][0]
    out["lstm_classifier_grad_norm"] = history.history["grad_norm"][0]

    frames = np.random.default_rng(1).random((8, 3, 16, 16, 1)).astype("float32")
    history = clips.fit(frames, np.arange(8) % 2, batch_size=4, epochs=1, verbose=0)
    out["cnn_lstm_loss"] = history.history["loss"][0]
    history = series.fit(
        x,
        y,
        batch_size=8,
        epochs=2,
        verbose=0,
        validation_data=(x[:8], y[:8]),
        callbacks=[ksf.early_stopping(), ksf.TrainingMonitor()],
    )
    out["series_losses"] = history.history["loss"]

    imbalanced_y = np.where(np.arange(32) < 28, 0, 1)
    batches = ksf.BalancedBatches(x, imbalanced_y, batch_size=8, random_state=0)
    with scope():
        binary = ksf.build_lstm_classifier(2, input_shape=(12, 2), units=4, dropout=0.0)
    history = binary.fit(batches, epochs=2, verbose=0)
    out["balanced_batches"] = len(batches)
    out["balanced_losses"] = history.history["loss"]
    return out


def main(mode, target):
    out, weights = reference()
    if mode == "mirrored":
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        out["devices"] = strategy.num_replicas_in_sync
        out.update(run(strategy.scope, weights))
    elif mode == "jax":
        devices = keras.distribution.list_devices("cpu")
        keras.distribution.set_distribution(
            keras.distribution.DataParallel(devices=devices)
        )
        out["devices"] = len(devices)
        out.update(run(contextlib.nullcontext, weights))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    with open(target, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(MODE, sys.argv[2])
