"""The numeric builder on every backend, where Keras's own layers differ."""

import numpy as np

import keras_seqfix as ksf


def test_univariate_padded_series_train_and_normalise_each_step_alike(tmp_path):
    # Keras's masked BatchNormalization loses the axis of a single channel on
    # JAX (IndexError in fit); the builder normalises two copies of it instead.
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 10, 1)).astype("float32")
    x[:4, 7:] = 0.0  # padded tails, masked
    y = np.arange(24) % 3
    model = ksf.models.build_lstm_classifier(3, input_shape=(10, 1), units=4)
    history = model.fit(x, y, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    pair = model.get_layer("input_normalization")
    gamma, beta, mean, variance = (w.numpy() for w in pair.weights)
    for w in (mean, variance):  # both copies saw the same steps
        np.testing.assert_allclose(w[0], w[1], rtol=1e-6)
    path = tmp_path / "model.keras"
    model.save(path)
    back = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(
        back.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5
    )
