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
