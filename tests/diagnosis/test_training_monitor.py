"""`TrainingMonitor`: each condition fires once, with its code and fix."""

import math

import numpy as np
import pytest

from keras_seqfix.diagnosis import TrainingMonitor
from tests.diagnosis._synthetic import make_data, tiny_model


def _feed(monitor, losses, val_losses=None):
    monitor.on_train_begin()
    for epoch, loss in enumerate(losses):
        logs = {"loss": loss}
        if val_losses is not None:
            logs["val_loss"] = val_losses[epoch]
        monitor.on_epoch_end(epoch, logs)
    return monitor


def test_divergence_fires_once_on_nan_and_blow_up():
    monitor = _feed(TrainingMonitor(verbose=0), [1.0, 0.8, 5.0, math.nan, 9.0])
    assert monitor.conditions == ["divergence"]
    assert monitor.alerts[0].code == "lr_too_high"
    assert "find_lr" in monitor.alerts[0].fix


def test_alerts_are_findings_with_deprecated_dict_access():
    from keras_seqfix.diagnosis import Finding

    monitor = _feed(TrainingMonitor(verbose=0), [1.0, 0.8, 5.0])
    (alert,) = monitor.alerts
    assert isinstance(alert, Finding)
    assert (alert.code, alert.severity) == ("lr_too_high", "high")
    assert alert.evidence == {"condition": "divergence", "epoch": 2}
    assert alert.title.startswith("TrainingMonitor: divergence: epoch 3 loss 5 is 6.2x")
    assert alert.to_dict()["evidence"]["condition"] == "divergence"
    # The dict keys of earlier releases, for one release, with a warning.
    for key, value in [
        ("code", "lr_too_high"),
        ("condition", "divergence"),
        ("epoch", 2),
        ("message", alert.title),
        ("fix", alert.fix),
    ]:
        with pytest.warns(DeprecationWarning, match="finding.code"):
            assert alert[key] == value


def test_oscillation_fires_once():
    losses = [1.0, 0.6, 0.9, 0.55, 0.95, 0.5, 0.9, 0.6, 0.95]
    monitor = _feed(TrainingMonitor(verbose=0, patience=20), losses)
    assert monitor.conditions == ["oscillation"]


def test_plateau_fires_once():
    losses = [1.0, 0.7, 0.65] + [0.649] * 10
    monitor = _feed(TrainingMonitor(verbose=0, patience=4), losses)
    assert monitor.conditions == ["plateau"]
    assert monitor.alerts[0].evidence["epoch"] == 6


def test_overfitting_fires_once():
    train = [1.0, 0.7, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
    val = [1.0, 0.8, 0.7, 0.75, 0.8, 0.9, 1.0, 1.2]
    monitor = _feed(TrainingMonitor(verbose=0), train, val)
    assert monitor.conditions == ["overfitting"]
    assert monitor.alerts[0].evidence["epoch"] == 5
    assert "early_stopping" in monitor.alerts[0].fix


def test_healthy_curve_raises_nothing_and_logs_flags():
    monitor = TrainingMonitor(verbose=0)
    monitor.on_train_begin()
    logs = {}
    for epoch, loss in enumerate(np.geomspace(1.0, 0.05, 12)):
        logs = {"loss": float(loss), "val_loss": float(loss) * 1.1}
        monitor.on_epoch_end(epoch, logs)
    assert monitor.alerts == []
    assert logs["monitor/divergence"] == 0.0


def test_batch_nan_is_divergence_and_can_stop(capsys):
    monitor = TrainingMonitor(stop_on_divergence=True)
    monitor.on_train_begin()
    monitor.on_train_batch_end(0, {"loss": float("nan")})
    monitor.on_train_batch_end(1, {"loss": float("nan")})
    assert monitor.conditions == ["divergence"]
    assert capsys.readouterr().out.count("TrainingMonitor [lr_too_high]") == 1


def test_invalid_arguments():
    with pytest.raises(ValueError, match="oscillation_window"):
        TrainingMonitor(oscillation_window=2)


def test_wiring_in_a_real_fit():
    x, y = make_data(n=32)
    model = tiny_model(learning_rate=50.0)
    monitor = TrainingMonitor(verbose=0, stop_on_divergence=True)
    history = model.fit(x, y, epochs=4, batch_size=8, callbacks=[monitor], verbose=0)
    assert "monitor/divergence" in history.history
    assert monitor.conditions.count("divergence") <= 1


def test_importable_from_callbacks_and_diagnosis():
    import keras_seqfix as ksf

    assert ksf.callbacks.TrainingMonitor is ksf.diagnosis.TrainingMonitor
    assert ksf.TrainingMonitor is ksf.callbacks.TrainingMonitor
    assert "TrainingMonitor" in ksf.callbacks.__all__
    assert ksf.__all__.count("TrainingMonitor") == 1


def test_batch_hook_keeps_keras_async_dispatch_and_deepcopies():
    import copy

    import keras
    from keras.src import backend

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    # Keras dispatches batch hooks asynchronously only on thread-safe backends
    # (JAX); pretend this one is, then read Keras's private flag: would
    # TrainingMonitor make fit wait for every step, as TerminateOnNaN does?
    saved = backend.IS_THREAD_SAFE
    backend.IS_THREAD_SAFE = True
    try:
        ours = keras.callbacks.CallbackList([TrainingMonitor(verbose=0)], model=model)
        nan = keras.callbacks.CallbackList(
            [keras.callbacks.TerminateOnNaN()], model=model
        )
    finally:
        backend.IS_THREAD_SAFE = saved
    assert ours._async_train
    assert not nan._async_train
    monitor = TrainingMonitor(verbose=0)
    twin = copy.deepcopy(monitor)  # keras-tuner deep-copies callbacks
    assert twin._lock is not monitor._lock
    _feed(twin, [1.0, 0.8, 5.0])
    assert twin.conditions == ["divergence"] and monitor.alerts == []


def test_nan_within_an_epoch_stops_fit_at_that_batch():
    import keras

    x = np.ones((64, 2), "float32")
    y = np.ones((64, 1), "float32")
    x[20:] = np.nan  # batches 5 onwards (batch size 4) give a NaN loss
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    monitor = TrainingMonitor(verbose=0, stop_on_divergence=True)
    history = model.fit(
        x, y, batch_size=4, epochs=3, verbose=0, shuffle=False, callbacks=[monitor]
    )
    # On JAX the hook runs on Keras's callback thread (async dispatch): it must
    # stop fit without syncing the state the next step was given (donated).
    assert len(history.history["loss"]) == 1  # stopped within the first epoch
    assert monitor.conditions == ["divergence"]
    assert monitor.alerts[0].evidence["epoch"] is None  # seen at a batch
    assert "at batch" in monitor.alerts[0].title


def test_min_delta_is_a_deprecated_name_of_min_relative_delta():
    with pytest.warns(DeprecationWarning, match="min_relative_delta") as caught:
        monitor = TrainingMonitor(min_delta=0.2, verbose=0)
    assert caught[0].filename == __file__  # points at the caller
    assert monitor.min_relative_delta == 0.2
    # Relative, as before: 1.0 -> 0.85 is 15% better, below 20%: a plateau.
    _feed(monitor, [1.0, 0.9, 0.88, 0.87, 0.86, 0.85, 0.85])
    assert monitor.conditions == ["plateau"]
    assert (
        _feed(
            TrainingMonitor(verbose=0), [1.0, 0.9, 0.88, 0.87, 0.86, 0.85, 0.85]
        ).conditions
        == []
    )
    with pytest.raises(TypeError, match="Pass only `min_relative_delta`"):
        TrainingMonitor(min_delta=0.2, min_relative_delta=0.1)


def test_unknown_keyword_names_it_and_lists_the_valid_ones():
    with pytest.raises(TypeError) as caught:
        TrainingMonitor(paitence=3)
    message = str(caught.value)
    assert "TrainingMonitor()" in message and "'paitence'" in message
    assert "patience" in message and "divergence_factor" in message
    assert "stop_on_divergence" in message and "Did you mean `patience`" in message
