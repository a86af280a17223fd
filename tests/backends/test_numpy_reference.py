"""`GradientNormMonitor` and `find_lr` against NumPy, on whichever backend runs.

The same test file runs under `KERAS_BACKEND=tensorflow`, `jax` and `torch`; the
references below are written out in NumPy (backpropagation through a tanh layer
and a softmax, and plain SGD on least squares), so passing on every backend means
the three backends give the same numbers.
"""

import warnings

import keras
import numpy as np
import pytest

from keras_seqfix.callbacks import GradientNormMonitor, find_lr

RNG = np.random.default_rng(7)
X = RNG.normal(size=(16, 5)).astype("float32")
Y = RNG.integers(0, 3, 16)
W1 = (RNG.normal(size=(5, 4)) * 0.5).astype("float32")
B1 = (RNG.normal(size=4) * 0.1).astype("float32")
W2 = (RNG.normal(size=(4, 3)) * 0.5).astype("float32")
B2 = (RNG.normal(size=3) * 0.1).astype("float32")


def _classifier(lr):
    model = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(4, activation="tanh", name="hidden"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ]
    )
    model.compile(keras.optimizers.SGD(lr), "sparse_categorical_crossentropy")
    model.set_weights([W1, B1, W2, B2])
    return model


def _numpy_gradients(w1, b1, w2, b2):
    """Mean sparse cross-entropy of the two-layer net and its gradients."""
    x = X.astype("float64")
    h = np.tanh(x @ w1 + b1)
    logits = h @ w2 + b2
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    n = len(x)
    loss = -np.mean(np.log(p[np.arange(n), Y]))
    d_logits = p.copy()
    d_logits[np.arange(n), Y] -= 1.0
    d_logits /= n
    dw2, db2 = h.T @ d_logits, d_logits.sum(0)
    d_pre = (d_logits @ w2.T) * (1.0 - h**2)
    dw1, db1 = x.T @ d_pre, d_pre.sum(0)
    return loss, (dw1, db1, dw2, db2)


def test_gradient_norm_monitor_matches_numpy_backprop():
    lr = 0.5
    model = _classifier(lr)
    monitor = GradientNormMonitor(per_batch=True, warn=False)
    model.fit(
        X, Y, batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=[monitor]
    )
    # Three full-batch SGD steps in NumPy: the norms of each step's gradients.
    params = [p.astype("float64") for p in (W1, B1, W2, B2)]
    expected = {"grad_norm": [], "grad_norm/hidden": [], "grad_norm/out": []}
    for _ in range(3):
        _, grads = _numpy_gradients(*params)
        hidden = sum(np.sum(g**2) for g in grads[:2])
        out = sum(np.sum(g**2) for g in grads[2:])
        expected["grad_norm"].append(np.sqrt(hidden + out))
        expected["grad_norm/hidden"].append(np.sqrt(hidden))
        expected["grad_norm/out"].append(np.sqrt(out))
        params = [p - lr * g for p, g in zip(params, grads, strict=True)]
    for key, values in expected.items():
        np.testing.assert_allclose(monitor.batch_history[key], values, rtol=1e-4)
        np.testing.assert_allclose(monitor.history[key], values, rtol=1e-4)
    np.testing.assert_allclose(model.get_weights()[0], params[0], rtol=1e-4, atol=1e-6)


def test_find_lr_matches_numpy_sgd_on_least_squares():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1).astype("float32")[:, None]
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01), "mse")
    w0 = (rng.normal(size=(4, 1)) * 0.1).astype("float32")
    model.set_weights([w0, np.zeros(1, "float32")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = find_lr(
            model,
            x,
            y,
            batch_size=32,
            start_lr=1e-3,
            end_lr=1.0,
            num_steps=12,
            verbose=0,
        )
    # One full batch per step (the order inside a batch does not change its
    # loss): the raw losses are those of plain SGD with the same ramp.
    w, b = w0.astype("float64"), np.zeros(1)
    xs, ys = x.astype("float64"), y.astype("float64")
    losses = []
    for step in range(len(result.lrs)):
        lr = 1e-3 * (1.0 / 1e-3) ** (step / 11)
        err = xs @ w + b - ys
        losses.append(np.mean(err**2))
        w = w - lr * 2.0 * xs.T @ err / len(xs)
        b = b - lr * 2.0 * err.mean(0)
    np.testing.assert_allclose(result.raw_losses, losses, rtol=1e-4)
    np.testing.assert_allclose(
        result.lrs, [1e-3 * 1000 ** (s / 11) for s in range(len(losses))], rtol=1e-9
    )
    assert len(losses) >= 6
    np.testing.assert_array_equal(model.get_weights()[0], w0)  # restored


def test_compute_gradients_matches_numpy_backprop():
    from keras_seqfix._backend.gradients import compute_gradients

    model = _classifier(0.1)
    loss, grads = compute_gradients(model, X, Y)
    expected_loss, expected = _numpy_gradients(
        *[p.astype("float64") for p in (W1, B1, W2, B2)]
    )
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    for g, e in zip(grads, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-7)
