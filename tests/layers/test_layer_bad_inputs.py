"""Bad inputs to the layers: each one refused with a sentence that names it."""

import math

import numpy as np
import pytest

from keras_seqfix.layers import (
    AttentionPooling,
    MiniRocketFeatures,
    SequenceAugmentation,
    TemporalAugmentation,
    TimeSeriesAugmentation,
)
from tests.bad_inputs import assert_refused

NAN, INF = math.nan, math.inf


def _std_cases():
    for name in ("jitter", "scaling", "magnitude_warp", "time_warp"):
        for value in (NAN, INF, -INF, -0.1, -1):
            yield pytest.param(name, value, ValueError, id=f"{name}={value}")
        for value in ("0.1", None, True, [0.1], np.array([0.1])):
            yield pytest.param(name, value, TypeError, id=f"{name}={value!r}")


@pytest.mark.parametrize(("name", "value", "error"), list(_std_cases()))
def test_time_series_augmentation_standard_deviations(name, value, error):
    message = assert_refused(
        lambda: TimeSeriesAugmentation(**{name: value}), error, name
    )
    assert "Received:" in message and "Pass" in message


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(window_slice=0), ValueError, "window_slice"),
        (dict(window_slice=0.0), ValueError, "window_slice"),
        (dict(window_slice=1.5), ValueError, "window_slice"),
        (dict(window_slice=-0.5), ValueError, "window_slice"),
        (dict(window_slice=NAN), ValueError, "window_slice"),
        (dict(window_slice="0.5"), TypeError, "window_slice"),
        (dict(knots=0), ValueError, "knots"),
        (dict(knots=-2), ValueError, "knots"),
        (dict(knots=2.5), TypeError, "knots"),
        (dict(knots="4"), TypeError, "knots"),
        (dict(knots=True), TypeError, "knots"),
        (dict(seed="0"), TypeError, "seed"),
        (dict(seed=1.5), TypeError, "seed"),
    ],
)
def test_time_series_augmentation_other_arguments(kwargs, error, name):
    assert_refused(lambda: TimeSeriesAugmentation(**kwargs), error, name)


@pytest.mark.parametrize(
    ("layer", "kwargs", "guess"),
    [
        (TimeSeriesAugmentation, {"jiter": 0.1}, "jitter"),
        (TimeSeriesAugmentation, {"sigma": 0.1}, None),
        (TimeSeriesAugmentation, {"window": 0.9}, "window_slice"),
        (SequenceAugmentation, {"rotaton": 0.1}, "rotation"),
        (SequenceAugmentation, {"factor": 0.1}, None),
        (SequenceAugmentation, {"horizontal_flip": True}, None),
        (AttentionPooling, {"unit": 4}, "units"),
        (MiniRocketFeatures, {"n_features": 840}, "num_features"),
        (TemporalAugmentation, {"crop_len": 8}, "crop_length"),
        (TemporalAugmentation, {"jitter": 0.1}, None),
    ],
)
def test_unknown_keyword_arguments_list_the_valid_ones(layer, kwargs, guess):
    (unknown,) = kwargs
    message = assert_refused(lambda: layer(**kwargs), TypeError, unknown)
    assert "Valid arguments:" in message and "name" in message
    if guess is not None:
        assert f"Did you mean `{guess}`" in message


def test_unknown_keyword_arguments_keep_the_base_layer_ones():
    layer = TimeSeriesAugmentation(jitter=0.1, name="aug", dtype="float32")
    assert layer.name == "aug" and layer.jitter == 0.1


def _factor_cases():
    bad_values = {
        "contrast": [-0.2, 1.5, NAN, (0.1, 2.0), (-0.1, 0.1)],
        "brightness": [1.5, -2.0, INF, (-1.5, 0.0)],
        "zoom": [-1.0, 2.0, NAN, (0.1, 1.5)],
        "translation": [1.5, -1.5, (0.1, 0.2, 0.3), (0.1, NAN)],
        "shear": [-0.1, 1.5, INF],
        "rotation": [NAN, INF, (0.0, NAN), (0.1,)],
    }
    for name, values in bad_values.items():
        for value in values:
            yield pytest.param(name, value, ValueError, id=f"{name}={value}")
        for value in ("0.2", True, {"low": 0.1}):
            yield pytest.param(name, value, TypeError, id=f"{name}={value!r}")


@pytest.mark.parametrize(("name", "value", "error"), list(_factor_cases()))
def test_sequence_augmentation_factors_name_our_argument(name, value, error):
    message = assert_refused(lambda: SequenceAugmentation(**{name: value}), error, name)
    # The error is ours, not the Keras layer's `factor`.
    assert "`factor`" not in message


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(flip="diagonal"), ValueError, "flip"),
        (dict(flip=True), TypeError, "flip"),
        (dict(crop=(3,)), ValueError, "crop"),
        (dict(crop=(0, 4)), ValueError, "crop"),
        (dict(crop=(4, 4, 4)), ValueError, "crop"),
        (dict(crop=5), TypeError, "crop"),
        (dict(crop=(2.5, 3)), TypeError, "crop"),
        (dict(fill_mode="mirror"), ValueError, "fill_mode"),
        (dict(fill_mode=None), TypeError, "fill_mode"),
        (dict(interpolation="cubic"), ValueError, "interpolation"),
        (dict(fill_value=NAN), ValueError, "fill_value"),
        (dict(fill_value="0"), TypeError, "fill_value"),
        (dict(value_range=(255, 0)), ValueError, "value_range"),
        (dict(value_range=(0, INF)), ValueError, "value_range"),
        (dict(value_range=(0, 1, 2)), ValueError, "value_range"),
        (dict(value_range=255), TypeError, "value_range"),
        (dict(seed="0"), TypeError, "seed"),
        (dict(layers="flip"), TypeError, "layers"),
    ],
)
def test_sequence_augmentation_other_arguments(kwargs, error, name):
    assert_refused(lambda: SequenceAugmentation(**kwargs), error, name)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(contrast=0.2, brightness=(-0.1, 0.1)),
        dict(rotation=(-0.1, 0.1), zoom=(-0.2, 0.3), translation=(0.1, 0.2)),
        dict(shear=np.float32(0.2), crop=[4, 4], value_range=[0.0, 1.0]),
        dict(flip="horizontal", fill_mode="constant", fill_value=1, seed=np.int64(3)),
    ],
)
def test_valid_sequence_augmentation_arguments_still_work(kwargs):
    layer = (
        SequenceAugmentation(**kwargs, seed=0)
        if "seed" not in kwargs
        else (SequenceAugmentation(**kwargs))
    )
    out = layer(np.zeros((1, 2, 8, 8, 1), "float32"), training=True)
    assert out.shape[:2] == (1, 2)


@pytest.mark.parametrize(
    ("units", "error"),
    [(0, ValueError), (-3, ValueError), (2.5, TypeError), ("8", TypeError)],
)
def test_attention_pooling_units(units, error):
    assert_refused(lambda: AttentionPooling(units=units), error, "units")


@pytest.mark.parametrize(
    "mask_shape", [(2, 4), (2, 6), (2, 5, 1), (3, 5), (5,)], ids=str
)
def test_attention_pooling_refuses_a_mask_of_the_wrong_shape(mask_shape):
    x = np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")
    mask = np.ones(mask_shape, bool)
    layer = AttentionPooling()
    message = assert_refused(
        lambda: layer(x, mask=mask), ValueError, "mask", arrays=(x, mask)
    )
    assert str(mask_shape) in message and "(2, 5)" in message


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(num_features=10), ValueError, "num_features"),
        (dict(num_features=0), ValueError, "num_features"),
        (dict(num_features="840"), TypeError, "num_features"),
        (dict(num_features=840.0), TypeError, "num_features"),
        (dict(max_dilations_per_kernel=0), ValueError, "max_dilations_per_kernel"),
        (dict(max_dilations_per_kernel=None), TypeError, "max_dilations_per_kernel"),
        (dict(reference_length=0), ValueError, "reference_length"),
        (dict(reference_length=1.5), TypeError, "reference_length"),
        (dict(seed=-1), ValueError, "seed"),
        (dict(seed="0"), TypeError, "seed"),
    ],
)
def test_minirocket_arguments(kwargs, error, name):
    assert_refused(lambda: MiniRocketFeatures(**kwargs), error, name)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (np.array([[[0.0], [np.inf], [1.0], [2.0]]] * 3, "float32"), ValueError),
        (np.array([[[0.0], [np.nan], [1.0], [2.0]]] * 3), ValueError),
        (np.array([[["a"], ["b"], ["c"], ["d"]]] * 3), TypeError),
    ],
    ids=["inf", "nan", "strings"],
)
def test_minirocket_adapt_refuses_invalid_data(data, error):
    layer = MiniRocketFeatures(num_features=84, seed=0)
    assert_refused(lambda: layer.adapt(data), error, "data", arrays=(data,))


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(crop_length="8"), TypeError, "crop_length"),
        (dict(crop_length=2.5), TypeError, "crop_length"),
        (dict(max_shift=1.5), TypeError, "max_shift"),
        (dict(max_shift="2"), TypeError, "max_shift"),
        (dict(frame_dropout="0.1"), TypeError, "frame_dropout"),
        (dict(frame_dropout=NAN), ValueError, "frame_dropout"),
        (dict(stride_jitter=-1), ValueError, "stride_jitter"),
        (dict(fill="zero"), ValueError, "fill"),
        (dict(fill=None), TypeError, "fill"),
        (dict(sequence_rank="2"), TypeError, "sequence_rank"),
        (dict(seed="0"), TypeError, "seed"),
        (dict(seed=1.5), TypeError, "seed"),
    ],
)
def test_temporal_augmentation_arguments_are_declared(kwargs, error, name):
    message = assert_refused(lambda: TemporalAugmentation(**kwargs), error, name)
    assert "Received:" in message


def test_temporal_augmentation_seed_string_is_ours_not_keras():
    message = assert_refused(lambda: TemporalAugmentation(seed="0"), TypeError, "seed")
    assert "e.g. seed=0" in message


@pytest.mark.parametrize(
    ("layer", "x"),
    [
        (TimeSeriesAugmentation(jitter=0.1), np.zeros(10, "float32")),
        (TemporalAugmentation(max_shift=1), np.zeros(10, "float32")),
        (SequenceAugmentation(flip="horizontal", seed=0), np.zeros((2, 8, 8, 1))),
        (AttentionPooling(), np.zeros((2, 5), "float32")),
        (MiniRocketFeatures(num_features=84, seed=0), np.zeros((2, 9), "float32")),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, np.ndarray) else str(v.shape),
)
def test_inputs_of_the_wrong_rank_name_inputs(layer, x):
    message = assert_refused(
        lambda: (
            layer(x, training=True)
            if not isinstance(layer, AttentionPooling | MiniRocketFeatures)
            else layer(x)
        ),
        ValueError,
        "inputs",
        arrays=(x,),
    )
    assert str(x.shape) in message


@pytest.mark.parametrize(
    ("layer", "x"),
    [
        (TimeSeriesAugmentation(jitter=0.1), np.full((2, 5, 1), "a")),
        (
            SequenceAugmentation(flip="horizontal", seed=0),
            np.full((1, 2, 8, 8, 1), "a"),
        ),
    ],
    ids=["time-series", "sequence"],
)
def test_string_inputs_are_a_type_error_naming_inputs(layer, x):
    message = assert_refused(
        lambda: layer(x, training=True), TypeError, "inputs", arrays=(x,)
    )
    assert "astype('float32')" in message


@pytest.mark.parametrize(
    "layer",
    [TimeSeriesAugmentation(jitter=0.1), SequenceAugmentation(flip="horizontal")],
    ids=["time-series", "sequence"],
)
def test_string_lists_are_a_type_error_naming_inputs(layer):
    rank = 3 if isinstance(layer, TimeSeriesAugmentation) else 5
    x = "a"
    for _ in range(rank):
        x = [x, x]
    message = assert_refused(lambda: layer(x, training=True), TypeError, "inputs")
    assert "astype('float32')" in message


def test_the_string_check_keeps_the_layer_contract():
    import keras

    layer = TimeSeriesAugmentation(jitter=0.1, seed=0)
    symbolic = keras.Input((5, 1))
    out = layer(symbolic)  # a KerasTensor passes the check
    assert isinstance(out, keras.KerasTensor) and tuple(out.shape) == (None, 5, 1)
    x = np.ones((2, 5, 1), "float32")
    kept = x.copy()
    assert np.allclose(keras.ops.convert_to_numpy(layer(inputs=x, training=False)), x)
    assert np.array_equal(x, kept)
    twin = TimeSeriesAugmentation.from_config(layer.get_config())
    assert twin.get_config() == layer.get_config()
    model = keras.Model(symbolic, out)
    clone = keras.models.model_from_json(model.to_json())
    assert type(clone.layers[-1]) is TimeSeriesAugmentation
