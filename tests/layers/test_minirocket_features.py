"""Tests for `MiniRocketFeatures`: equal to a NumPy reference, deterministic, saved."""

import keras
import numpy as np
import pytest

from keras_seqfix.layers import MiniRocketFeatures
from keras_seqfix.layers import _minirocket_plan as plan
from tests.helpers import assert_layer_round_trip


def _reference_outputs(series, dilation, kernel):
    """One kernel's output on a summed series, as the authors' loops build it.

    From `C_alpha` (-1 times every tap) and `C_gamma` (3 times one tap), with
    the zero padding of `minirocket_multivariate.py`.
    """
    time = len(series)
    padding = ((9 - 1) * dilation) // 2
    A, G = -series, 3 * series
    C_alpha = A.copy()
    C_gamma = np.zeros((9, time))
    C_gamma[4] = G
    lo, hi = dilation, time - padding
    for g in range(4):
        C_alpha[-hi:] += A[:hi]
        C_gamma[g, -hi:] = G[:hi]
        hi += dilation
    for g in range(5, 9):
        C_alpha[:-lo] += A[lo:]
        C_gamma[g, :-lo] = G[lo:]
        lo += dilation
    a, b, c = plan.KERNEL_INDICES[kernel]
    return C_alpha + C_gamma[a] + C_gamma[b] + C_gamma[c]


def _reference_transform(x, dilations, counts, masks, biases):
    """The transform as the authors' `minirocket_multivariate.transform` loops.

    `x` is `(n, channels, time)` as there; half of the kernels pool over the
    series without its padded ends.
    """
    n = len(x)
    out = np.zeros((n, len(biases)), dtype="float64")
    for example in range(n):
        start = 0
        for i, dilation in enumerate(dilations):
            padding = ((9 - 1) * dilation) // 2
            for j in range(plan.NUM_KERNELS):
                series = (masks[i, j][:, None] * x[example]).sum(axis=0)
                C = _reference_outputs(series, dilation, j)
                if (i % 2 + j) % 2 == 1:
                    C = C[padding:-padding]
                for _ in range(counts[i]):
                    out[example, start] = np.mean(biases[start] < C)
                    start += 1
    return out


def _integer_series(n=5, time=30, channels=2, seed=0):
    # Small integers: every kernel output is exact in float32 on any backend,
    # so every comparison with a bias is the reference's own.
    rng = np.random.default_rng(seed)
    return rng.integers(-3, 4, size=(n, time, channels)).astype("float32")


def _adapted(x, **kwargs):
    kwargs.setdefault("num_features", 840)
    layer = MiniRocketFeatures(seed=kwargs.pop("seed", 0), **kwargs)
    layer.adapt(x)
    return layer


@pytest.mark.parametrize("channels", [1, 3])
def test_features_equal_numpy_reference(channels):
    x = _integer_series(channels=channels)
    layer = _adapted(x)
    dilations, counts = plan.fit_dilations(30, 840, 32)
    masks = keras.ops.convert_to_numpy(layer.channel_masks)
    biases = keras.ops.convert_to_numpy(layer.biases)
    expected = _reference_transform(
        np.transpose(x, (0, 2, 1)).astype("float64"), dilations, counts, masks, biases
    )
    actual = keras.ops.convert_to_numpy(layer(x))
    # A flipped comparison moves a feature by 1 / time (0.03 here); 1e-6 only
    # allows the last bit of the division (XLA on JAX divides by a reciprocal).
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-6)


def test_biases_are_quantiles_of_the_reference_outputs():
    # The fit of the reference: per dilation and kernel one random training
    # series (drawn after the channel combinations, from the same seed), and
    # the biases at the golden-ratio quantiles of its kernel output.
    x = _integer_series(channels=1)
    layer = _adapted(x, seed=3)
    dilations, counts = plan.fit_dilations(30, 840, 32)
    rng = np.random.default_rng(3)
    plan.draw_channel_masks(rng, len(dilations), 1, 32)
    q = plan.quantiles(plan.NUM_KERNELS * int(counts.sum()))
    expected, start = [], 0
    for dilation, count in zip(dilations, counts, strict=True):
        rows = rng.integers(0, len(x), size=plan.NUM_KERNELS)
        for j, row in enumerate(rows):
            C = _reference_outputs(x[row, :, 0].astype("float64"), dilation, j)
            expected.extend(np.quantile(C, q[start : start + count]))
            start += count
    biases = keras.ops.convert_to_numpy(layer.biases)
    np.testing.assert_allclose(biases, np.float32(expected), rtol=1e-6)


def test_univariate_kernels_read_the_one_channel():
    layer = _adapted(_integer_series(channels=1))
    masks = keras.ops.convert_to_numpy(layer.channel_masks)
    used = len(plan.fit_dilations(30, 840, 32)[0])
    np.testing.assert_array_equal(masks[:used], 1.0)
    np.testing.assert_array_equal(masks[used:], 0.0)


def test_channel_combinations_hold_one_to_nine_channels():
    x = np.random.default_rng(1).normal(size=(6, 40, 12)).astype("float32")
    layer = _adapted(x)
    masks = keras.ops.convert_to_numpy(layer.channel_masks)
    used = len(plan.fit_dilations(40, 840, 32)[0])
    per_kernel = masks[:used].sum(axis=-1)
    assert per_kernel.min() >= 1 and per_kernel.max() <= 9
    assert len(np.unique(per_kernel)) > 1  # combinations differ in size


def test_default_feature_count_and_range():
    x = np.random.default_rng(0).normal(size=(4, 60, 1)).astype("float32")
    layer = MiniRocketFeatures(seed=0)
    layer.adapt(x)
    features = keras.ops.convert_to_numpy(layer(x))
    assert features.shape == (4, 9996)
    assert features.min() >= 0.0 and features.max() <= 1.0


def test_dilations_follow_the_paper():
    dilations, counts = plan.fit_dilations(150, 10_000, 32)
    assert dilations[0] == 1 and dilations[-1] == 18  # 2 ** log2(149 / 8)
    assert counts.sum() == 10_000 // 84
    assert np.all(np.diff(dilations) > 0)


def test_adapt_is_deterministic_for_a_seed():
    x = np.random.default_rng(0).normal(size=(10, 50, 2)).astype("float32")
    first, second = _adapted(x, seed=7), _adapted(x, seed=7)
    other = _adapted(x, seed=8)
    to_np = keras.ops.convert_to_numpy
    np.testing.assert_array_equal(to_np(first.biases), to_np(second.biases))
    np.testing.assert_array_equal(to_np(first(x)), to_np(second(x)))
    assert not np.array_equal(to_np(first.biases), to_np(other.biases))


def test_no_trainable_weights():
    layer = _adapted(_integer_series())
    assert layer.trainable_weights == []
    assert len(layer.non_trainable_weights) == 2


def test_padding_under_a_mask_gives_the_features_of_the_series_alone():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 40, 2)).astype("float32")
    layer = _adapted(x)
    short = x[:1, :25]
    padded = np.concatenate([short, np.full((1, 15, 2), 7.0, "float32")], axis=1)
    mask = np.array([[True] * 25 + [False] * 15])
    to_np = keras.ops.convert_to_numpy
    np.testing.assert_allclose(
        to_np(layer(padded, mask=mask)), to_np(layer(short)), atol=1e-6
    )


@pytest.mark.parametrize("length", [40, 6])  # 6: too short for an interior
def test_known_length_steps_equal_the_ones_built_from_a_mask(length):
    # Without a mask and with a known length the averaging weights are NumPy
    # constants; with an all-True mask, or an unknown length, they are built
    # from the mask inside the graph. Both give the same features (a graph may
    # turn the division into a product: one rounding step apart at most).
    x = np.random.default_rng(4).normal(size=(3, length, 2)).astype("float32")
    layer = _adapted(x)
    to_np = keras.ops.convert_to_numpy
    known = keras.Sequential([keras.Input((length, 2)), layer])
    unknown = keras.Sequential([keras.Input((None, 2)), layer])
    masked = to_np(layer(x, mask=np.ones((3, length), bool)))
    for model in (known, unknown):
        np.testing.assert_allclose(
            to_np(model.predict(x, verbose=0)), masked, rtol=3e-7, atol=0
        )


def test_variable_length_adapt_uses_the_longest_real_series():
    x = np.zeros((3, 50, 1), "float32")
    mask = np.zeros((3, 50), bool)
    for i, length in enumerate((20, 35, 28)):
        x[i, :length, 0] = np.sin(np.arange(length))
        mask[i, :length] = True
    inputs = keras.Input(shape=(None, 1))
    layer = MiniRocketFeatures(num_features=840, seed=0)
    layer(inputs)  # built with an unknown length
    layer.adapt(x, mask=mask)
    assert layer.reference_length == 35
    out = keras.ops.convert_to_numpy(layer(x, mask=mask))
    assert np.all(np.isfinite(out))


def test_save_load_round_trip(tmp_path):
    x = np.random.default_rng(0).normal(size=(5, 30, 2)).astype("float32")
    layer = _adapted(x)
    loaded = assert_layer_round_trip(layer, x, tmp_path, atol=0)
    reloaded = next(lay for lay in loaded.layers if isinstance(lay, MiniRocketFeatures))
    assert reloaded.reference_length == 30 and reloaded.seed == 0


def test_call_before_adapt_says_what_to_do():
    with pytest.raises(ValueError, match="adapt"):
        MiniRocketFeatures(num_features=840)(np.zeros((2, 20, 1), "float32"))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"num_features": 50}, ValueError, "num_features"),
        ({"num_features": 840.0}, TypeError, "num_features"),
        ({"max_dilations_per_kernel": 0}, ValueError, "max_dilations_per_kernel"),
        ({"seed": -1}, ValueError, "seed"),
        ({"reference_length": True}, TypeError, "reference_length"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        MiniRocketFeatures(**kwargs)


def test_adapt_refuses_nan_and_bad_rank():
    layer = MiniRocketFeatures(num_features=840)
    x = np.zeros((3, 20, 1), "float32")
    x[0, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        layer.adapt(x)
    with pytest.raises(ValueError, match="channels"):
        layer.adapt(np.zeros((3, 20), "float32"))


def test_bad_input_rank():
    with pytest.raises(ValueError, match="3D"):
        MiniRocketFeatures(num_features=840).build((None, 20))
