"""Bad arguments to `TrainingMonitor`: refused with a sentence that names them."""

import math

import pytest

from keras_seqfix.diagnosis import TrainingMonitor
from tests.bad_inputs import assert_refused

NAN, INF = math.nan, math.inf


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(divergence_factor=0.5), ValueError, "divergence_factor"),
        (dict(divergence_factor=1.0), ValueError, "divergence_factor"),
        (dict(divergence_factor=NAN), ValueError, "divergence_factor"),
        (dict(divergence_factor=INF), ValueError, "divergence_factor"),
        (dict(divergence_factor="3"), TypeError, "divergence_factor"),
        (dict(min_relative_delta=-0.1), ValueError, "min_relative_delta"),
        (dict(min_relative_delta=1.0), ValueError, "min_relative_delta"),
        (dict(min_relative_delta=NAN), ValueError, "min_relative_delta"),
        (dict(min_relative_delta="0.01"), TypeError, "min_relative_delta"),
        (dict(min_delta=1.0), ValueError, "min_delta"),
        (dict(patience=0), ValueError, "patience"),
        (dict(patience="5"), TypeError, "patience"),
        (dict(patience=2.5), TypeError, "patience"),
        (dict(oscillation_window=2), ValueError, "oscillation_window"),
        (dict(oscillation_window=None), TypeError, "oscillation_window"),
        (dict(oscillation_amplitude=-0.1), ValueError, "oscillation_amplitude"),
        (dict(oscillation_amplitude=NAN), ValueError, "oscillation_amplitude"),
        (dict(oscillation_amplitude="big"), TypeError, "oscillation_amplitude"),
        (dict(overfit_patience=0), ValueError, "overfit_patience"),
        (dict(overfit_patience="3"), TypeError, "overfit_patience"),
        (dict(stop_on_divergence="yes"), TypeError, "stop_on_divergence"),
        (dict(verbose=7), ValueError, "verbose"),
    ],
)
def test_training_monitor_arguments(kwargs, error, name):
    message = assert_refused(lambda: TrainingMonitor(**kwargs), error, name)
    assert "Received:" in message


def test_divergence_factor_below_one_would_alert_on_a_healthy_fit():
    # Why it is refused: with 0.5, a loss at its best already counts as diverged.
    message = assert_refused(
        lambda: TrainingMonitor(divergence_factor=0.5), ValueError, "divergence_factor"
    )
    assert "a float > 1" in message


def test_valid_arguments_still_work():
    monitor = TrainingMonitor(
        divergence_factor=2, min_relative_delta=0, patience=3, verbose=0
    )
    monitor.on_train_begin()
    for epoch, loss in enumerate([1.0, 0.9, 0.8, 0.7]):
        monitor.on_epoch_end(epoch, {"loss": loss})
    assert monitor.alerts == []
