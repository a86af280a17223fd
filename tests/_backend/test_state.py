import keras
import numpy as np
import pytest

from keras_seqfix._backend.state import preserved_state, restore_state, snapshot_state


def _model():
    model = keras.Sequential(
        [
            keras.Input((5, 3)),
            keras.layers.LSTM(4, return_sequences=True),
            keras.layers.BatchNormalization(),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dropout(0.5, seed=1),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    return model


def _values(model):
    variables = list(model.variables) + list(model.optimizer.variables)
    return [np.array(keras.ops.convert_to_numpy(v.value)) for v in variables]


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(16, 5, 3)).astype("float32"), rng.integers(0, 2, 16)


def test_restore_is_bit_exact_after_fit():
    model = _model()
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)  # moments and iterations non-trivial
    before = _values(model)
    state = snapshot_state(model)
    model.optimizer.learning_rate = 0.5
    model.fit(x, y, epochs=2, verbose=0)
    assert not all(
        np.array_equal(a, b) for a, b in zip(before, _values(model), strict=True)
    )
    restore_state(model, state)
    for a, b in zip(before, _values(model), strict=True):
        np.testing.assert_array_equal(a, b)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-2)


def test_unbuilt_optimizer_is_built_into_fresh_state():
    model = _model()
    state = snapshot_state(model)
    assert model.optimizer.built
    assert int(model.optimizer.iterations.numpy()) == 0
    assert len(state.optimizer_values) == len(model.optimizer.variables)


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_preserved_state_restores_on_exception(error):
    model = _model()
    x, y = _data()
    model.optimizer.build(model.trainable_variables)
    before = _values(model)

    class Boom(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                raise error("stop")

    with pytest.raises(error), preserved_state(model):
        model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[Boom()])
    for a, b in zip(before, _values(model), strict=True):
        np.testing.assert_array_equal(a, b)


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="`model` should be built"):
        snapshot_state(keras.Sequential([keras.layers.Dense(2)]))
    model = _model()
    with pytest.raises(TypeError, match="`state` should be"):
        restore_state(model, [1, 2])
