"""TemporalAugmentation moves whole steps: crops, shifts, strides and drops per sequence."""

import keras
import numpy as np
import pytest

from keras_seqfix.layers import TemporalAugmentation
from tests.helpers import assert_layer_round_trip


def step_ids(batch=6, time=12, features=2):
    """Each step holds its own index, so the output tells which step was read."""
    ids = np.arange(time, dtype="float32")[None, :, None]
    return np.tile(ids, (batch, 1, features))


def read(out):
    out = np.asarray(out)
    np.testing.assert_array_equal(out, np.repeat(out[..., :1], out.shape[-1], -1))
    return out[..., 0].astype(int)


def test_random_crop_is_a_contiguous_window_at_random_starts():
    out = read(TemporalAugmentation(crop_length=5, seed=0)(step_ids()))
    assert out.shape == (6, 5)
    np.testing.assert_array_equal(np.diff(out, axis=1), 1)
    assert out.min() >= 0 and out.max() <= 11
    assert len(set(out[:, 0])) > 1  # starts differ across the batch


def test_stride_jitter_reads_every_s_th_step():
    out = read(
        TemporalAugmentation(crop_length=4, stride_jitter=2, seed=1)(step_ids(32))
    )
    strides = np.diff(out, axis=1)
    assert all(len(set(row)) == 1 for row in strides)  # one stride per sequence
    assert set(strides[:, 0]) <= {1, 2, 3} and len(set(strides[:, 0])) > 1


def test_shift_repeats_edge_steps_and_keeps_order():
    out = read(TemporalAugmentation(max_shift=3, seed=2)(step_ids(16)))
    assert out.shape == (16, 12)
    assert np.all(np.diff(out, axis=1) >= 0)
    shifts = out[:, 6] - 6
    assert set(shifts) <= set(range(-3, 4)) and len(set(shifts)) > 1


@pytest.mark.parametrize("fill", ["previous", "zeros"])
def test_frame_dropout_fill(fill):
    x = step_ids(8) + 1.0  # no genuine zero step
    out = np.asarray(TemporalAugmentation(frame_dropout=0.4, fill=fill, seed=3)(x))
    ids = read(out)
    if fill == "previous":
        assert np.all(ids[:, 0] == 1)  # the first step is always kept
        assert np.all(np.diff(ids, axis=1) >= 0)  # a dropped step repeats the last kept
        dropped = np.mean(np.diff(ids, axis=1) == 0)
    else:
        dropped = np.mean(ids == 0)
        kept = ids != 0
        np.testing.assert_array_equal(
            ids[kept], (np.arange(12) + 1)[None].repeat(8, 0)[kept]
        )
    assert 0.2 < dropped < 0.6


def test_identity_and_central_crop_at_inference():
    x = step_ids()
    aug = TemporalAugmentation(max_shift=2, frame_dropout=0.5, seed=0)
    np.testing.assert_array_equal(np.asarray(aug(x, training=False)), x)
    crop = TemporalAugmentation(crop_length=4)
    np.testing.assert_array_equal(read(crop(x, training=False)), [[4, 5, 6, 7]] * 6)


@pytest.mark.parametrize("training", [True, False])
def test_a_crop_longer_than_the_sequences_is_refused(training):
    aug = TemporalAugmentation(crop_length=20, seed=0)
    with pytest.raises(ValueError, match=r"crop_length=20 .* 10 steps\. Fix"):
        aug(step_ids(time=10), training=training)
    inputs = keras.Input((10, 2))  # also when the model is built
    with pytest.raises(ValueError, match="crop_length=20"):
        TemporalAugmentation(crop_length=20)(inputs)


@pytest.mark.parametrize(
    "shape, kwargs, match",
    [
        ((10,), {}, r"\(batch, time, \.\.\.\).*Received: input of shape \(10,\)"),
        ((10,), dict(crop_length=4), "sequence_rank=1"),
        ((2, 3, 10, 2), dict(sequence_rank=2), r"rank 2 \(one sequence\) or 3"),
        ((10, 2), dict(crop_length=4), "pass sequence_rank=2"),  # the case
    ],
)
def test_inputs_of_the_wrong_rank_are_refused(shape, kwargs, match):
    with pytest.raises(ValueError, match=match):
        TemporalAugmentation(**kwargs)(np.zeros(shape, "float32"))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(crop_length=4, stride_jitter=1),
        dict(max_shift=2, frame_dropout=0.3),
        dict(frame_dropout=0.3, fill="zeros"),
    ],
)
def test_one_sequence_is_augmented_as_a_batch_of_one(kwargs, training):
    one = step_ids(batch=1, time=10)[0]  # (10, 2): time, features
    out = TemporalAugmentation(sequence_rank=2, seed=5, **kwargs)(
        one, training=training
    )
    as_batch = TemporalAugmentation(seed=5, **kwargs)(one[None], training=training)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(as_batch)[0])
    assert np.asarray(out).shape == (kwargs.get("crop_length", 10), 2)  # features kept
    config = TemporalAugmentation(sequence_rank=2, **kwargs).get_config()
    assert TemporalAugmentation.from_config(config).sequence_rank == 2


def test_a_layer_built_on_batches_reads_one_sequence_without_its_batch_axis():
    aug = TemporalAugmentation(crop_length=5, seed=0)
    inputs = keras.Input((12, 2))
    model = keras.Model(inputs, aug(inputs))
    assert tuple(model.output.shape) == (None, 5, 2)
    out = read(aug(step_ids(batch=1)[0]))  # (12, 2) after a build on rank 3
    assert out.shape == (5,)
    np.testing.assert_array_equal(np.diff(out), 1)
    tokens = TemporalAugmentation(crop_length=3, sequence_rank=1, seed=0)
    ids = np.arange(1, 9, dtype="int32")
    window = np.asarray(tokens(ids))
    assert window.shape == (3,) and window.dtype == np.int32
    np.testing.assert_array_equal(np.diff(window), 1)


def test_same_seed_same_output_and_image_clips_with_unknown_length():
    clips = np.random.default_rng(0).random((3, 9, 8, 8, 1)).astype("float32")
    kwargs = dict(crop_length=4, max_shift=1, frame_dropout=0.3, seed=4)
    a = np.asarray(TemporalAugmentation(**kwargs)(clips))
    b = np.asarray(TemporalAugmentation(**kwargs)(clips))
    np.testing.assert_array_equal(a, b)
    inputs = keras.Input((None, 8, 8, 1))
    model = keras.Model(inputs, TemporalAugmentation(**kwargs)(inputs))
    assert tuple(model.output.shape) == (None, 4, 8, 8, 1)
    out = np.asarray(model(clips, training=True))
    # every output frame is one of the clip's own frames, untouched
    for i in range(3):
        for t in range(4):
            assert any(np.array_equal(out[i, t], frame) for frame in clips[i])


@pytest.mark.backend("tensorflow")  # keras_seqfix layers run on tf.data only there
def test_tf_data_map():
    tf = pytest.importorskip("tensorflow")
    aug = TemporalAugmentation(crop_length=5, frame_dropout=0.2, seed=0)
    ds = tf.data.Dataset.from_tensor_slices(step_ids()).batch(3).map(aug)
    assert [tuple(b.shape) for b in ds] == [(3, 5, 2), (3, 5, 2)]


@pytest.mark.backend("tensorflow")
def test_tf_data_map_over_single_variable_length_sequences_before_padding():
    tf = pytest.importorskip("tensorflow")
    lengths = [12, 7, 3, 9]

    def sequences():
        for n in lengths:
            yield step_ids(batch=1, time=n)[0]  # (time, 2), time varies

    ds = tf.data.Dataset.from_generator(
        sequences, output_signature=tf.TensorSpec((None, 2), tf.float32)
    )
    aug = TemporalAugmentation(crop_length=5, sequence_rank=2, seed=0)
    out = [read(x) for x in ds.map(aug)]
    assert [x.shape for x in out] == [(5,)] * 4  # time cropped, features kept
    for n, steps in zip(lengths, out, strict=True):
        if n >= 5:
            np.testing.assert_array_equal(np.diff(steps), 1)
            assert 0 <= steps[0] <= n - 5
        else:  # unknown length when traced: past the end, the last step repeats
            np.testing.assert_array_equal(steps, [0, 1, 2, 2, 2])
    padded = ds.map(aug).padded_batch(2)
    assert [tuple(b.shape) for b in padded] == [(2, 5, 2), (2, 5, 2)]
    # The case: one (10, 2) element read as a batch is refused, not cropped.
    single = tf.data.Dataset.from_tensor_slices(step_ids(batch=2, time=10))
    with pytest.raises(ValueError, match="pass sequence_rank=2"):
        single.map(TemporalAugmentation(crop_length=4))


def test_config_and_keras_round_trip(tmp_path):
    layer = TemporalAugmentation(
        crop_length=5, max_shift=1, frame_dropout=0.1, stride_jitter=1, seed=2
    )
    assert_layer_round_trip(layer, step_ids(), tmp_path)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(crop_length=0), "`crop_length`"),
        (dict(max_shift=-1), "`max_shift`"),
        (dict(frame_dropout=1.0), "`frame_dropout`"),
        (dict(stride_jitter=2), "needs `crop_length`"),
        (dict(fill="mask"), "`fill`"),
        (dict(sequence_rank=0), "`sequence_rank`"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TemporalAugmentation(**kwargs)


def test_a_bool_sequence_rank_is_a_type_error():
    with pytest.raises(TypeError, match="`sequence_rank`"):
        TemporalAugmentation(sequence_rank=True)
