"""`vanishing_gradients` over time: a recurrent model that cannot reach the start of
long sequences, where the labels are written (synthetic: a marker in the first or
the last dozen of 160 steps, noise elsewhere)."""

import keras
import numpy as np
import pytest

import keras_seqfix as ksf
from keras_seqfix.diagnosis._time_checks import step_reach


def _marked(where, n=160, steps=160, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(size=(n, steps, 1)).astype("float32")
    part = slice(0, 12) if where == "start" else slice(steps - 12, steps)
    x[:, part, 0] += np.where(y == 1, 1.5, -1.5)[:, None]
    return x, y.astype("int64")


def _rnn(steps=160):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((steps, 1)),
            keras.layers.SimpleRNN(16),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    return model


def test_step_reach_is_small_for_a_recurrent_model_on_long_sequences():
    x, _ = _marked("start")
    assert step_reach(_rnn(), x, seed=0) < 1e-3
    short = keras.Sequential(
        [
            keras.Input((160, 1)),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2),
        ]
    )
    # Pooling over time reaches every step alike (the first carries the marker).
    assert step_reach(short, x, seed=0) > 0.5


@pytest.mark.slow  # two diagnose calls with probes: 30 to 60 s on 2 cores
def test_labels_at_the_start_out_of_reach_are_vanishing_gradients_over_time():
    x, y = _marked("start")
    report = ksf.diagnose(_rnn(), x, y, verbose=0)
    assert "vanishing_gradients" in report.codes[:3], str(report)
    found = report.findings[report.codes.index("vanishing_gradients")]
    assert found.evidence["reference_early_quarter"] > 0.8
    assert found.evidence["reference_late_quarter"] < 0.7
    assert "Bidirectional" in found.fix
    late_x, late_y = _marked("end")
    late = ksf.diagnose(_rnn(), late_x, late_y, verbose=0)
    assert "reference_early_quarter" not in str(late.to_dict())
