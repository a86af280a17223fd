"""Small synthetic sequence data and tiny models for the diagnosis tests."""

import keras
import numpy as np


def make_data(n=96, steps=12, features=2, classes=3, seed=0, signal=1.5):
    """Series whose class shifts a per-class sine pattern: easy to learn, unit scale."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    rng.shuffle(y)
    t = np.linspace(0, 2 * np.pi, steps)
    patterns = np.stack(
        [np.sin(t * (c + 1))[:, None] * np.ones(features) for c in range(classes)]
    )
    x = rng.normal(scale=0.5, size=(n, steps, features)) + signal * patterns[y]
    return x.astype("float32"), y.astype("int64")


def tiny_model(
    input_shape=(12, 2),
    classes=3,
    *,
    loss="sparse_categorical_crossentropy",
    activation="softmax",
    units=8,
    learning_rate=0.01,
    masking=False,
):
    layers = [keras.Input(input_shape)]
    if masking:
        layers.append(keras.layers.Masking(0.0))
    layers += [
        keras.layers.GRU(units),
        keras.layers.Dense(classes, activation=activation),
    ]
    model = keras.Sequential(layers)
    model.compile(keras.optimizers.Adam(learning_rate), loss)
    return model
