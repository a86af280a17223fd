"""`diagnose` on shipped real data the fault benchmark does not use (ArrowHead)."""

import keras
import pytest

import keras_seqfix as ksf

L = keras.layers


def _arrowhead():
    (x, y), (xv, yv) = ksf.load_ucr("ArrowHead")
    return x, y, xv, yv


def _conv(shape, classes, learning_rate):
    model = keras.Sequential(
        [
            keras.Input(shape),
            L.Conv1D(16, 7, strides=2, activation="relu"),
            L.GlobalMaxPooling1D(),
            L.Dense(classes, activation="softmax"),
        ]
    )
    model.compile(
        keras.optimizers.Adam(learning_rate), "sparse_categorical_crossentropy"
    )
    return model


def test_arrowhead_one_based_labels_found_without_probe():
    x, y, xv, yv = _arrowhead()
    report = ksf.diagnose(_conv(x.shape[1:], 3, 1e-3), x, y + 1, probe=False, verbose=0)
    assert report.codes[0] == "label_loss_mismatch"


def test_arrowhead_raw_scale_found_without_probe():
    x, y, xv, yv = _arrowhead()
    report = ksf.diagnose(
        _conv(x.shape[1:], 3, 1e-3), x * 250.0, y, probe=False, verbose=0
    )
    assert report.codes[0] == "unscaled_inputs"
    assert report.measurements["input_scale"] > 100


@pytest.mark.slow
def test_arrowhead_learning_rate_too_high():
    x, y, xv, yv = _arrowhead()
    model = _conv(x.shape[1:], 3, 8.0)
    report = ksf.diagnose(model, x, y, validation_data=(xv, yv), verbose=0)
    assert "lr_too_high" in report.codes[:3], str(report)
