"""SequenceAugmentation draws one transformation per sequence and applies it to all frames."""

import keras
import numpy as np
import pytest

from keras_seqfix.layers import SequenceAugmentation
from tests.helpers import assert_layer_round_trip

GEOMETRIC = dict(flip="horizontal", rotation=0.1, zoom=0.2, translation=0.1, shear=0.2)


def still_clips(batch=4, frames=5, size=16, channels=3, seed=0):
    """Clips whose frames are all the same image: a per-sequence transform keeps them so."""
    frame = np.random.default_rng(seed).random((batch, 1, size, size, channels))
    return np.repeat(frame.astype("float32"), frames, axis=1)


def moving_clips(batch=4, frames=5, size=16, channels=1, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((batch, frames, size, size, channels)).astype("float32")


@pytest.mark.parametrize(
    "kwargs",
    [
        GEOMETRIC,
        dict(flip="horizontal_and_vertical"),
        dict(rotation=0.2, crop=(10, 12)),
        dict(contrast=0.5, brightness=0.3, value_range=(0, 1)),
        dict(**GEOMETRIC, crop=(12, 12), contrast=0.5, value_range=(0, 1)),
    ],
)
def test_every_frame_of_a_sequence_gets_the_same_transform(kwargs):
    out = np.asarray(SequenceAugmentation(seed=1, **kwargs)(still_clips()))
    np.testing.assert_allclose(out, np.repeat(out[:, :1], out.shape[1], axis=1))
    # ... and the sequences of the batch got different draws.
    first = out[:, 0].reshape(len(out), -1)
    assert (
        min(np.abs(first[i] - first[j]).max() for i in range(4) for j in range(i)) > 0
    )


@pytest.mark.parametrize(
    "layer",
    [
        keras.layers.RandomRotation(0.2, fill_mode="constant"),
        keras.layers.RandomZoom(0.3, interpolation="nearest"),
        keras.layers.RandomTranslation(0.2, 0.2),
        keras.layers.RandomShear(0.3, 0.3),
        keras.layers.RandomFlip("vertical"),
        keras.layers.RandomContrast(0.5, value_range=(0, 1)),
        keras.layers.RandomBrightness(0.3, value_range=(0, 1)),
    ],
)
def test_a_frame_equals_the_keras_layer_applied_to_that_frame_alone(layer):
    clips = moving_clips()
    out = np.asarray(SequenceAugmentation([layer], seed=7)(clips))
    # Replay the same draw: same seed, same call order, one image per sequence.
    # (The Keras layers' own methods want backend tensors, not NumPy, on torch.)
    frames = [keras.ops.convert_to_tensor(clips[:, f]) for f in range(clips.shape[1])]
    for f, frame in enumerate(frames):
        # A fresh draw per frame: Keras's torch affine_transform swaps entries of
        # the matrix it is given in place, so a reused transformation goes stale.
        t = layer.get_random_transformation(
            frames[0], training=True, seed=keras.random.SeedGenerator(7)
        )
        expected = keras.ops.convert_to_numpy(
            layer.transform_images(frame, t, training=True)
        )
        np.testing.assert_allclose(out[:, f], expected, atol=1e-5)


def test_composed_warp_matches_the_keras_layers_applied_in_turn():
    # Rotation then zoom, sampled once, equals two Keras warps wherever the second
    # warp reads no filled pixels (compare the centre). Bilinear sampling of a linear
    # ramp is exact, so sampling once or twice gives the same values there.
    rot = keras.layers.RandomRotation(0.05)
    zoom = keras.layers.RandomZoom((-0.2, -0.1))
    clips = np.repeat(
        np.arange(32 * 32, dtype="float32").reshape(1, 1, 32, 32, 1), 2, 1
    )
    out = np.asarray(SequenceAugmentation([rot, zoom], seed=3)(clips))
    gen = keras.random.SeedGenerator(3)
    t_rot = rot.get_random_transformation(clips[:, 0], seed=gen)
    t_zoom = zoom.get_random_transformation(clips[:, 0], seed=gen)
    step = rot.transform_images(clips[:, 0], t_rot)
    expected = np.asarray(zoom.transform_images(step, t_zoom))
    centre = (slice(None), 0, slice(10, 22), slice(10, 22))
    np.testing.assert_allclose(
        out[centre], expected[centre[:1] + centre[2:]], atol=1e-2
    )


def test_identity_at_inference_and_center_crop():
    clips = moving_clips()
    aug = SequenceAugmentation(**GEOMETRIC, contrast=0.5, seed=0)
    np.testing.assert_array_equal(np.asarray(aug(clips, training=False)), clips)
    crop = SequenceAugmentation(crop=(10, 8))
    np.testing.assert_array_equal(
        np.asarray(crop(clips, training=False)), clips[:, :, 3:13, 4:12]
    )


def test_per_sequence_crop_shapes_and_windows():
    clips = moving_clips(batch=6, frames=3)
    out = np.asarray(SequenceAugmentation(crop=(9, 7), seed=2)(clips))
    assert out.shape == (6, 3, 9, 7, 1)
    corners = set()
    for i in range(6):  # each output is an exact window of its own clip
        hits = [
            (r, c)
            for r in range(8)
            for c in range(10)
            if np.array_equal(out[i], clips[i, :, r : r + 9, c : c + 7])
        ]
        assert len(hits) == 1
        corners.add(hits[0])
    assert len(corners) > 1  # Keras's RandomCrop would use one corner for all
    with pytest.raises(ValueError, match="crop"):
        SequenceAugmentation(crop=(20, 4))(clips)


def test_same_seed_same_output_and_fresh_draws_per_call():
    clips = moving_clips()
    a = np.asarray(SequenceAugmentation(**GEOMETRIC, seed=5)(clips))
    aug = SequenceAugmentation(**GEOMETRIC, seed=5)
    b, c = np.asarray(aug(clips)), np.asarray(aug(clips))
    np.testing.assert_array_equal(a, b)
    assert np.abs(b - c).max() > 0


def test_unknown_frame_count_in_a_model_and_in_fit():
    inputs = keras.Input((None, 16, 16, 1))
    x = SequenceAugmentation(rotation=0.1, crop=(12, 12), seed=0)(inputs)
    assert tuple(x.shape) == (None, None, 12, 12, 1)
    x = keras.layers.TimeDistributed(keras.layers.GlobalAveragePooling2D())(x)
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling1D()(x))
    model.compile("sgd", "mse")
    for frames in (3, 6):
        model.fit(moving_clips(frames=frames), np.zeros((4, 1)), epochs=1, verbose=0)
        assert model.predict(moving_clips(frames=frames), verbose=0).shape == (4, 1)


@pytest.mark.backend("tensorflow")  # keras_seqfix layers run on tf.data only there
def test_tf_data_map():
    tf = pytest.importorskip("tensorflow")
    aug = SequenceAugmentation(**GEOMETRIC, seed=0)
    ds = tf.data.Dataset.from_tensor_slices(still_clips(batch=4)).batch(2).map(aug)
    for batch in ds:
        out = batch.numpy()
        np.testing.assert_allclose(out, np.repeat(out[:, :1], 5, axis=1))


def test_config_and_keras_round_trip(tmp_path):
    layer = SequenceAugmentation(
        [keras.layers.RandomRotation(0.1), keras.layers.RandomContrast(0.2)],
        flip="horizontal",
        crop=(12, 12),
        seed=3,
    )
    loaded = assert_layer_round_trip(layer, moving_clips(), tmp_path)
    reloaded = loaded.layers[-1]
    assert isinstance(reloaded.layers[0], keras.layers.RandomRotation)
    assert reloaded.crop == (12, 12) and reloaded.seed == 3


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            dict(layers=keras.layers.RandomFlip()),
            TypeError,
            "`layers` should be a list",
        ),
        (dict(layers=[keras.layers.Dense(2)]), TypeError, "RandomRotation"),
        (dict(translation=(0.1, 0.2, 0.3)), ValueError, "`translation`"),
        (dict(crop=(3,)), ValueError, "`crop`"),
        (dict(flip=True), TypeError, "`flip` should be None or one of"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        SequenceAugmentation(**kwargs)


def test_rank_four_input_is_refused():
    with pytest.raises(ValueError, match="frames"):
        SequenceAugmentation(rotation=0.1)(np.zeros((2, 8, 8, 1), "float32"))


def test_geometric_layers_share_one_warp_unless_they_sample_differently():
    from keras_seqfix.layers import _plan

    flip = keras.layers.RandomFlip("horizontal")
    rot = keras.layers.RandomRotation(0.1)
    zoom = keras.layers.RandomZoom(0.1)
    crop = keras.layers.RandomCrop(8, 8)
    contrast = keras.layers.RandomContrast(0.2)
    nearest = keras.layers.RandomTranslation(0.1, 0.1, interpolation="nearest")
    plan = _plan.build_plan([flip, rot, zoom, crop, contrast, nearest])
    assert [step[0] for step in plan] == ["warp", "pixel", "warp"]
    assert plan[0][1] == [flip, rot, zoom] and plan[0][2] is crop
    plan = _plan.build_plan([rot, nearest])  # different sampling: two warps
    assert [step[0] for step in plan] == ["warp", "warp"]
    assert [step[0] for step in _plan.build_plan([flip])] == ["flip"]
