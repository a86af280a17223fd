"""`per_frame_augmentation` and `frame_feature_width`: how a model over frames is put
together, read from its layers (probe=False, reference=False: no training)."""

from types import SimpleNamespace

import keras
import numpy as np
import pytest

import keras_seqfix as ksf
from keras_seqfix.diagnosis import diagnose

L = keras.layers


def _clips(n=24, frames=5, size=16, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    x = rng.uniform(0, 1, size=(n, frames, size, size, 1)).astype("float32")
    return x, y.astype("int64")


def _model(x, per_frame, *, before=(), classes=3):
    inputs = keras.Input(x.shape[1:])
    h = inputs
    for layer in before:
        h = layer(h)
    for layer in per_frame:
        h = L.TimeDistributed(layer)(h)
    h = L.LSTM(8)(h)
    model = keras.Model(inputs, L.Dense(classes, activation="softmax")(h))
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def _codes(model, x, y):
    return diagnose(model, x, y, probe=False, reference=False, verbose=0).codes


def _pooled():
    return [L.Conv2D(4, 3, activation="relu"), L.GlobalAveragePooling2D()]


@pytest.mark.parametrize(
    "random_layer",
    [lambda: L.RandomFlip("horizontal"), lambda: L.RandomRotation(0.1)],
)
def test_a_random_layer_inside_time_distributed_is_found(random_layer):
    x, y = _clips()
    report = diagnose(
        _model(x, [random_layer(), *_pooled()]),
        x,
        y,
        probe=False,
        reference=False,
        verbose=0,
    )
    assert report.codes[0] == "per_frame_augmentation", str(report)
    finding = report.findings[0]
    assert finding.evidence["per_frame_random_layers"].startswith("Random")
    assert "SequenceAugmentation" in finding.fix


def test_a_random_layer_inside_a_per_frame_backbone_is_found():
    x, y = _clips()
    backbone = keras.Sequential(
        [keras.Input(x.shape[2:]), L.RandomZoom(0.1), *_pooled()], name="backbone"
    )
    assert "per_frame_augmentation" in _codes(_model(x, [backbone]), x, y)


def test_one_draw_per_clip_is_not_per_frame_augmentation():
    x, y = _clips()
    augment = ksf.layers.SequenceAugmentation(flip="horizontal", seed=0)
    model = _model(x, _pooled(), before=[augment])
    assert "per_frame_augmentation" not in _codes(model, x, y)


def test_a_flattened_conv_map_per_frame_is_too_wide():
    x, y = _clips(size=48)
    wide = _model(x, [L.Conv2D(4, 3, padding="same"), L.Flatten()])  # 9,216 wide
    report = diagnose(wide, x, y, probe=False, reference=False, verbose=0)
    assert "frame_feature_width" in report.codes[:2], str(report)
    finding = report.findings[report.codes.index("frame_feature_width")]
    assert finding.evidence["features_per_frame"] == 48 * 48 * 4
    assert finding.evidence["flatten_per_frame"] is True
    assert "GlobalAveragePooling2D" in finding.fix
    assert "frame_feature_width" not in _codes(_model(x, _pooled()), x, y)


def test_a_per_frame_vector_narrower_than_the_classes_is_found():
    x, y = _clips(classes=6)
    narrow = _model(x, [*_pooled(), L.Dense(2)], classes=6)
    assert "frame_feature_width" in _codes(narrow, x, y)
    wide_enough = _model(x, [*_pooled(), L.Dense(16)], classes=6)
    assert "frame_feature_width" not in _codes(wide_enough, x, y)


def test_numeric_series_never_get_the_frame_codes():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 20, 1)).astype("float32")
    y = np.arange(40) % 5
    model = keras.Sequential(
        [keras.Input((20, 1)), L.LSTM(8), L.Dense(5, activation="softmax")]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    codes = _codes(model, x, y)
    assert "frame_feature_width" not in codes
    assert "per_frame_augmentation" not in codes


@pytest.mark.parametrize(
    ("width", "classes", "flagged"),
    [
        (1, 20, True),
        (2, 4, True),
        (1, 3, True),
        (2, 3, False),
        (3, 20, False),
        (1, 2, False),
    ],
)
def test_a_head_reading_one_or_two_numbers_for_many_classes_is_underfitting(
    width, classes, flagged
):
    # Logits linear in a w-vector have rank <= w + 1: Dense(1) before a 20-way
    # softmax cannot separate the classes however long it trains.
    from keras_seqfix.diagnosis._structure_checks import check_head_bottleneck

    model = keras.Sequential(
        [
            keras.Input((10, 3)),
            keras.layers.LSTM(8),
            keras.layers.Dense(width),
            keras.layers.Dense(classes, activation="softmax", name="head"),
        ]
    )
    ctx = SimpleNamespace(
        model=model,
        num_classes=classes,
        info=SimpleNamespace(units=classes),
    )
    findings = check_head_bottleneck(ctx)
    assert [f.code for f in findings] == (["underfitting"] if flagged else [])
    if flagged:
        assert findings[0].evidence == {
            "head_layer": "head",
            "head_input_width": width,
            "classes": classes,
        }


def _series_model(recurrent):
    model = keras.Sequential(
        [keras.Input((30, 2)), recurrent, L.Dense(2, activation="softmax")]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize(
    "recurrent, flagged",
    [
        (lambda: L.LSTM(8, activation="relu"), True),
        (lambda: L.Bidirectional(L.GRU(8, activation="elu")), True),
        (lambda: L.LSTM(8), False),
        (lambda: L.GRU(8, activation="softsign"), False),
        # IRNN (ReLU SimpleRNN, identity recurrent weights) is a known recipe.
        (lambda: L.SimpleRNN(8, activation="relu"), False),
    ],
    ids=["relu-lstm", "elu-bigru", "tanh-lstm", "softsign-gru", "relu-simplernn"],
)
def test_a_gated_cell_with_an_unbounded_activation_is_exploding(recurrent, flagged):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 30, 2)).astype("float32")
    y = np.arange(32) % 2
    report = diagnose(
        _series_model(recurrent()), x, y, probe=False, reference=False, verbose=0
    )
    assert ("exploding_gradients" in report.codes) == flagged, str(report)
    if flagged:
        finding = report.findings[report.codes.index("exploding_gradients")]
        assert finding.severity == "high" and "activation=" in finding.title


def test_an_unbounded_cell_whose_copy_learns_is_only_a_risk():
    from keras_seqfix.diagnosis._structure_checks import (
        check_unbounded_recurrent_activation,
        unbounded_state_excused,
    )

    ctx = SimpleNamespace(model=_series_model(L.LSTM(8, activation="relu")))
    for measured, score in (
        ({"learned_signal": True, "diverged_at_your_lr": False}, 0.3),
        ({"learned_signal": True, "diverged_at_your_lr": True}, 0.7),
        ({}, 0.7),  # no probe: the structure alone
    ):
        (finding,) = check_unbounded_recurrent_activation(ctx)
        ctx.measurements = measured
        unbounded_state_excused([finding], ctx)
        assert finding.score == score, measured
