"""Mixed precision: builders keep the output and the loss in float32, augmentation
layers keep the dtype they are given."""

import keras
import numpy as np
import pytest

import keras_seqfix as ksf

POLICIES = ["mixed_float16", "mixed_bfloat16"]


@pytest.fixture(params=POLICIES)
def policy(request):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(request.param)
    try:
        yield request.param
    finally:
        keras.config.set_dtype_policy(previous)


def _half(policy):
    return policy.split("_")[1]


def _builders():
    rng = np.random.default_rng(0)
    yield (
        ksf.build_lstm_classifier(3, input_shape=(12, 2), units=8, dropout=0.0),
        rng.normal(size=(8, 12, 2)).astype("float32"),
    )
    yield (
        ksf.build_lstm_classifier(3, vocab_size=30, embedding_dim=8, units=8),
        rng.integers(1, 30, size=(8, 10)).astype("int32"),
    )
    yield (
        ksf.build_cnn_lstm(
            3,
            input_shape=(3, 16, 16, 1),
            units=8,
            augmentation=ksf.SequenceAugmentation(flip="horizontal", seed=0),
        ),
        rng.random((8, 3, 16, 16, 1)).astype("float32"),
    )


def test_builders_keep_output_and_loss_in_float32(policy):
    y = np.arange(8) % 3
    for model, x in _builders():
        half = [
            layer.name
            for layer in model.layers
            if layer.dtype_policy.compute_dtype == _half(policy)
        ]
        assert half, "the policy should reach the hidden layers"
        head = model.get_layer("predictions")
        assert head.compute_dtype == "float32"
        assert head.variable_dtype == "float32"
        assert keras.backend.standardize_dtype(model.outputs[0].dtype) == "float32"
        probs = model(x, training=False)
        assert keras.backend.standardize_dtype(probs.dtype) == "float32"
        loss = model.compute_loss(x=x, y=y, y_pred=probs, training=False)
        assert keras.backend.standardize_dtype(loss.dtype) == "float32"
        history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0])


def _augmentations():
    rng = np.random.default_rng(1)
    clips = rng.random((2, 4, 12, 12, 3)).astype("float32")
    series = rng.normal(size=(2, 20, 2)).astype("float32")
    all_ts = dict(jitter=0.1, scaling=0.1, magnitude_warp=0.1, time_warp=0.1)
    yield ksf.SequenceAugmentation(flip="horizontal", rotation=0.1, seed=0), clips
    yield ksf.SequenceAugmentation(crop=(8, 8), contrast=0.2, seed=0), clips
    yield ksf.TemporalAugmentation(max_shift=1, frame_dropout=0.3, seed=0), clips
    yield ksf.TemporalAugmentation(crop_length=5, fill="zeros", seed=0), series
    yield ksf.TimeSeriesAugmentation(**all_ts, window_slice=0.8, seed=0), series


@pytest.mark.parametrize("training", [True, False])
def test_augmentation_keeps_input_dtype(policy, training):
    for layer, x in _augmentations():
        for dtype in ("float32", _half(policy)):
            inputs = keras.ops.cast(x, dtype)
            out = layer(inputs, training=training)
            name = type(layer).__name__
            assert keras.backend.standardize_dtype(out.dtype) == dtype, name
            values = keras.ops.convert_to_numpy(keras.ops.cast(out, "float32"))
            assert np.all(np.isfinite(values)), name
    ids = np.arange(1, 21, dtype="int32").reshape(2, 10)
    out = ksf.TemporalAugmentation(max_shift=2, seed=0)(ids, training=training)
    assert keras.backend.standardize_dtype(out.dtype) == "int32"


def test_augmentation_inside_a_mixed_model_feeds_float32(policy):
    inputs = keras.Input((4, 12, 12, 3))
    augmented = ksf.SequenceAugmentation(flip="horizontal", seed=0)(inputs)
    assert keras.backend.standardize_dtype(augmented.dtype) == "float32"
    features = keras.layers.TimeDistributed(keras.layers.Conv2D(2, 3))(augmented)
    assert keras.backend.standardize_dtype(features.dtype) == _half(policy)
