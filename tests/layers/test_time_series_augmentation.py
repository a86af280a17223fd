"""TimeSeriesAugmentation: each transform does what it says and leaves padding alone."""

import keras
import numpy as np
import pytest

from keras_seqfix.layers import TimeSeriesAugmentation
from tests.helpers import assert_layer_round_trip

ALL = dict(
    jitter=0.05, scaling=0.2, magnitude_warp=0.2, time_warp=0.2, window_slice=0.8
)


def series(batch=8, time=40, features=2, pad_before=4, pad_after=6):
    t = np.linspace(0, 4 * np.pi, time, dtype="float32")
    x = np.stack([np.sin(t + k) + 2.0 for k in range(features)], axis=-1)
    x = np.repeat(x[None], batch, axis=0)
    zeros = np.zeros
    return np.concatenate(
        [zeros((batch, pad_before, features)), x, zeros((batch, pad_after, features))],
        axis=1,
    ).astype("float32")


@pytest.mark.parametrize("name", sorted(ALL))
def test_each_transform_changes_the_series_but_not_the_padding(name):
    x = series()
    out = np.asarray(TimeSeriesAugmentation(seed=0, **{name: ALL[name]})(x))
    assert out.shape == x.shape
    np.testing.assert_array_equal(out[:, :4], 0)
    np.testing.assert_array_equal(out[:, -6:], 0)
    assert np.abs(out[:, 4:-6] - x[:, 4:-6]).max() > 1e-3
    flat = out.reshape(len(out), -1)
    assert np.abs(flat[0] - flat[1]).max() > 1e-4  # independent per sequence


def test_scaling_is_one_factor_per_sequence_and_feature():
    x = series(pad_before=0, pad_after=0)
    out = np.asarray(TimeSeriesAugmentation(scaling=0.3, seed=1)(x))
    ratio = out / x
    np.testing.assert_allclose(
        ratio, np.broadcast_to(ratio[:, :1], ratio.shape), rtol=1e-5
    )
    assert np.std(ratio[:, 0]) > 0.05


def test_time_warps_only_resample_values_of_the_series():
    x = series(pad_before=0, pad_after=0)
    for kwargs in (dict(time_warp=0.3), dict(window_slice=0.7)):
        out = np.asarray(TimeSeriesAugmentation(seed=2, **kwargs)(x))
        # values stay within the series' range: a resampling, not a rescaling
        assert out.min() >= x.min() - 1e-5 and out.max() <= x.max() + 1e-5
        # the endpoints of a time warp are kept
        if "time_warp" in kwargs:
            np.testing.assert_allclose(out[:, [0, -1]], x[:, [0, -1]], atol=1e-4)


def test_jitter_noise_has_the_requested_scale():
    x = series(batch=16, time=200, pad_before=0, pad_after=0)
    out = np.asarray(TimeSeriesAugmentation(jitter=0.1, seed=3)(x))
    assert abs(np.std(out - x) - 0.1) < 0.01


def test_identity_at_inference_and_same_seed_same_output():
    x = series()
    np.testing.assert_array_equal(
        np.asarray(TimeSeriesAugmentation(**ALL, seed=0)(x, training=False)), x
    )
    a = np.asarray(TimeSeriesAugmentation(**ALL, seed=5)(x))
    b = np.asarray(TimeSeriesAugmentation(**ALL, seed=5)(x))
    np.testing.assert_array_equal(a, b)


@pytest.mark.backend("tensorflow")  # keras_seqfix layers run on tf.data only there
def test_unknown_length_in_a_model_and_tf_data():
    tf = pytest.importorskip("tensorflow")
    inputs = keras.Input((None, 2))
    model = keras.Model(inputs, TimeSeriesAugmentation(**ALL, seed=0)(inputs))
    for time in (10, 25):
        x = series(batch=3, time=time, pad_before=0, pad_after=2)
        out = np.asarray(model(x, training=True))
        assert out.shape == x.shape and np.all(out[:, -2:] == 0)
    aug = TimeSeriesAugmentation(**ALL, seed=0)
    ds = tf.data.Dataset.from_tensor_slices(series()).batch(4).map(aug)
    assert [tuple(b.shape) for b in ds] == [(4, 50, 2), (4, 50, 2)]


def test_config_and_keras_round_trip(tmp_path):
    assert_layer_round_trip(
        TimeSeriesAugmentation(**ALL, knots=3, seed=1), series(), tmp_path
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(jitter=-0.1), ValueError, "`jitter`"),
        (dict(time_warp="big"), TypeError, "`time_warp`"),
        (dict(window_slice=1.5), ValueError, "`window_slice`"),
        (dict(knots=0), ValueError, "`knots`"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        TimeSeriesAugmentation(**kwargs)


def test_rank_two_input_is_refused():
    with pytest.raises(ValueError, match="features"):
        TimeSeriesAugmentation(jitter=0.1)(np.ones((2, 5), "float32"))
