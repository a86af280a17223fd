"""Tests for `AttentionPooling`."""

import keras
import numpy as np
import pytest

from keras_seqfix.layers import AttentionPooling
from tests.helpers import assert_layer_round_trip


def _x(batch=3, time=6, dim=4, seed=0):
    return np.random.default_rng(seed).normal(size=(batch, time, dim)).astype("float32")


@pytest.mark.parametrize("units", [None, 3])
def test_output_shape(units):
    out = AttentionPooling(units=units)(_x())
    assert tuple(out.shape) == (3, 4)


def test_output_is_convex_combination_of_steps():
    # With identical steps the weighted average must return that step exactly.
    step = np.arange(4, dtype="float32")
    x = np.tile(step, (2, 5, 1))
    out = keras.ops.convert_to_numpy(AttentionPooling()(x))
    np.testing.assert_allclose(out, np.tile(step, (2, 1)), atol=1e-6)


def test_padding_does_not_change_output():
    layer = AttentionPooling(units=5)
    x = _x(batch=1, time=4)
    padded = np.concatenate([x, np.full((1, 3, 4), 9.0, "float32")], axis=1)
    mask = np.array([[True] * 4 + [False] * 3])
    full = keras.ops.convert_to_numpy(layer(x))
    masked = keras.ops.convert_to_numpy(layer(padded, mask=mask))
    np.testing.assert_allclose(masked, full, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_fully_masked_row_gives_zeros_not_nan(dtype):
    # An empty message is all padding; float16 cannot hold the -1e9 mask score.
    layer = AttentionPooling(units=3, dtype=dtype)
    x = _x(batch=2, time=4).astype(dtype)
    mask = np.array([[True, True, False, False], [False] * 4])
    pooled = layer(x, mask=mask)
    assert keras.backend.standardize_dtype(pooled.dtype) == dtype  # not promoted
    out = keras.ops.convert_to_numpy(pooled)
    assert np.all(np.isfinite(out))
    np.testing.assert_array_equal(out[1], np.zeros(4))


def test_mask_from_embedding_propagates():
    inputs = keras.Input(shape=(None,), dtype="int32")
    h = keras.layers.Embedding(10, 4, mask_zero=True)(inputs)
    model = keras.Model(inputs, AttentionPooling()(h))
    short = model.predict(np.array([[3, 5, 7]]), verbose=0)
    padded = model.predict(np.array([[3, 5, 7, 0, 0]]), verbose=0)
    np.testing.assert_allclose(short, padded, atol=1e-6)


def test_consumes_mask():
    layer = AttentionPooling()
    assert layer.compute_mask(_x(), np.ones((3, 6), bool)) is None


def test_save_load_round_trip(tmp_path):
    assert_layer_round_trip(AttentionPooling(units=2), _x(), tmp_path)


@pytest.mark.parametrize(
    ("units", "error"),
    [(0, ValueError), (-1, ValueError), (2.5, TypeError), (True, TypeError)],
)
def test_bad_units(units, error):
    with pytest.raises(error, match="units"):
        AttentionPooling(units=units)


def test_bad_rank():
    with pytest.raises(ValueError, match="3D"):
        AttentionPooling()(np.zeros((2, 3), "float32"))
