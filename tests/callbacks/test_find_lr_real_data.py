import keras
import numpy as np
import pytest

import keras_seqfix as ksf


@pytest.mark.slow
def test_find_lr_on_real_data_suggests_a_trainable_rate():
    (x, y), _ = ksf.load_ucr("JapaneseVowels")
    model = keras.Sequential(
        [
            keras.Input(x.shape[1:]),
            keras.layers.LSTM(16),
            keras.layers.Dense(int(y.max()) + 1, activation="softmax"),
        ]
    )
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    before = model.get_weights()
    result = ksf.find_lr(model, x, y, batch_size=16, num_steps=80, verbose=0)
    assert 1e-4 <= result.suggestion <= 1e-1
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)

    # The suggested rate trains: the loss falls more than at a 100x smaller one.
    def loss_after(lr):
        model.set_weights(before)
        model.optimizer = keras.optimizers.Adam(lr)
        model.compile(model.optimizer, "sparse_categorical_crossentropy")
        return model.fit(x, y, batch_size=16, epochs=3, verbose=0).history["loss"][-1]

    assert loss_after(result.suggestion) < loss_after(result.suggestion / 100)
