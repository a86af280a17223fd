import copy
import warnings

import keras
import numpy as np
import pytest

from keras_seqfix.callbacks import early_stopping

PRESETS = {
    "default": (10, 0.0, 0),
    "quick": (3, 0.0, 0),
    "patient": (20, 1e-4, 5),
    "fine_tune": (5, 1e-4, 0),
}


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_preset_contents(preset):
    callback = early_stopping(preset)
    patience, min_delta, start = PRESETS[preset]
    assert isinstance(callback, keras.callbacks.EarlyStopping)
    assert callback.monitor == "val_loss"
    assert callback.restore_best_weights is True
    assert callback.patience == patience
    assert abs(callback.min_delta) == pytest.approx(min_delta)
    assert callback.start_from_epoch == start


def test_overrides_replace_preset_values():
    callback = early_stopping("quick", patience=7, monitor="val_accuracy", mode="max")
    assert (callback.patience, callback.monitor, callback.mode) == (
        7,
        "val_accuracy",
        "max",
    )


def test_unknown_preset_lists_valid_names():
    with pytest.raises(ValueError, match="'default', 'fine_tune', 'patient', 'quick'"):
        early_stopping("fast")


def test_unknown_override_is_a_type_error():
    with pytest.raises(TypeError, match="patiense"):
        early_stopping("quick", patiense=3)


def _fit(callback, validation, epochs=4, **kwargs):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01), "mse")
    x = np.ones((8, 3), "float32")
    y = np.ones((8, 1), "float32")
    if validation:
        kwargs["validation_data"] = (x, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(
            x, y, epochs=epochs, verbose=0, callbacks=[callback], **kwargs
        )
    return history, [str(w.message) for w in caught]


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_returns_a_plain_keras_early_stopping(preset):
    # Exactly Keras's class (no subclass): it pickles, deep-copies and behaves as
    # the Keras docs say, and keras-tuner's copy of the callbacks keeps it.
    callback = early_stopping(preset)
    assert type(callback) is keras.callbacks.EarlyStopping
    twin = copy.deepcopy(callback)
    assert type(twin) is keras.callbacks.EarlyStopping
    assert twin.patience == callback.patience


def test_without_validation_keras_warns_and_monitor_loss_is_the_fix():
    # Keras's own behaviour, unchanged: `val_loss` is missing, it says so.
    _, caught = _fit(early_stopping("quick"), validation=False)
    assert any("val_loss" in m and "not available" in m for m in caught)
    callback = early_stopping("quick", monitor="loss")
    history, caught = _fit(callback, validation=False)
    assert not [m for m in caught if "not available" in m]
    assert callback.best == pytest.approx(min(history.history["loss"]))


def test_monitors_val_loss_with_validation_data():
    callback = early_stopping("quick")
    history, caught = _fit(callback, validation=True)
    assert not [m for m in caught if "not available" in m]
    assert callback.monitor == "val_loss"
    assert callback.best == pytest.approx(min(history.history["val_loss"]))


def test_stops_and_restores_best_weights():
    # Fake logs: val_loss best at epoch 1, then worse for `patience` epochs.
    callback = early_stopping("quick")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    callback.set_model(model)
    callback.on_train_begin()
    best = None
    for epoch, val in enumerate([1.0, 0.5, 0.6, 0.7, 0.8]):
        model.layers[0].kernel.assign(np.full((2, 1), float(epoch)))
        if epoch == 1:
            best = [w.copy() for w in model.get_weights()]
        callback.on_test_begin()
        callback.on_epoch_end(epoch, {"loss": 1.0, "val_loss": val})
    assert model.stop_training
    callback.on_train_end()
    np.testing.assert_array_equal(model.get_weights()[0], best[0])
