import keras
import numpy as np
import pytest

from keras_seqfix._backend.gradients import compute_gradients, layer_of_variable


def _model():
    model = keras.Sequential(
        [
            keras.Input((6, 2)),
            keras.layers.LSTM(3, return_sequences=True, name="rnn"),
            keras.layers.BatchNormalization(name="bn"),
            keras.layers.GlobalAveragePooling1D(name="pool"),
            keras.layers.Dense(2, kernel_regularizer="l2", name="out"),
        ]
    )
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


@pytest.mark.backend("tensorflow")  # other backends: tests/backends (NumPy reference)
def test_gradients_match_tape_and_leave_model_unchanged():
    import tensorflow as tf

    model = _model()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 6, 2)).astype("float32")
    y = rng.integers(0, 2, 8)
    before = [np.array(v.numpy()) for v in model.variables]
    loss, grads = compute_gradients(model, x, y)
    after = [np.array(v.numpy()) for v in model.variables]
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)  # BN statistics and seeds untouched

    with tf.GradientTape() as tape:
        y_pred = model(x, training=True)
        expected_loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
    expected = tape.gradient(expected_loss, model.trainable_variables)
    assert loss == pytest.approx(float(expected_loss), rel=1e-6)
    assert len(grads) == len(model.trainable_variables)
    for g, e in zip(grads, expected, strict=True):
        np.testing.assert_allclose(g, e.numpy(), rtol=1e-5, atol=1e-7)


def test_requires_compiled_model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="should be compiled"):
        compute_gradients(model, np.ones((2, 2)), np.ones((2, 1)))


def test_layer_of_variable_uses_layer_names():
    model = _model()
    owners = layer_of_variable(model)
    names = [owners[id(v)] for v in model.trainable_variables]
    assert names == ["rnn"] * 3 + ["bn"] * 2 + ["out"] * 2
    assert all(owners[v.path] == owners[id(v)] for v in model.trainable_variables)
