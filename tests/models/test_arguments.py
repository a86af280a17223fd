"""Every bad argument of the builders raises an error that names it."""

import keras
import numpy as np
import pytest

from keras_seqfix.models import build_cnn_lstm, build_lstm_classifier

NUMERIC = dict(input_shape=(10, 2), units=4)
VIDEO = dict(input_shape=(3, 8, 8, 1), units=4)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(num_classes=1, **NUMERIC), ValueError, "num_classes"),
        (dict(num_classes=2.0, **NUMERIC), TypeError, "num_classes"),
        (dict(num_classes=2, units=4), ValueError, "vocab_size"),
        (
            dict(num_classes=2, vocab_size=10, input_shape=(5, 1), units=4),
            ValueError,
            "input_shape",
        ),
        (dict(num_classes=2, input_shape=(10,), units=4), ValueError, "input_shape"),
        (
            dict(num_classes=2, input_shape=(10, 2, 3), units=4),
            ValueError,
            "input_shape",
        ),
        (dict(num_classes=2, input_shape=(10, 0), units=4), ValueError, "features"),
        (dict(num_classes=2, vocab_size=1, units=4), ValueError, "vocab_size"),
        (
            dict(
                num_classes=2,
                vocab_size=10,
                embedding_dim=4,
                embedding_matrix=np.zeros((9, 4)),
            ),
            ValueError,
            "embedding_matrix",
        ),
        (
            dict(
                num_classes=2,
                vocab_size=10,
                embedding_dim=4,
                embedding_matrix=np.zeros((10, 5)),
            ),
            ValueError,
            "embedding_matrix",
        ),
        (dict(num_classes=2, labels="onehot", **NUMERIC), ValueError, "labels"),
        (dict(num_classes=2, cell="rnn", **NUMERIC), ValueError, "cell"),
        (dict(num_classes=2, pooling="max", **NUMERIC), ValueError, "pooling"),
        (dict(num_classes=2, input_shape=(10, 2), units=0), ValueError, "units"),
        (dict(num_classes=2, input_shape=(10, 2), units=[]), TypeError, "units"),
        (dict(num_classes=2, dropout=1.0, **NUMERIC), ValueError, "dropout"),
        (
            dict(num_classes=2, recurrent_dropout=-0.1, **NUMERIC),
            ValueError,
            "recurrent_dropout",
        ),
        (dict(num_classes=2, l2=-1.0, **NUMERIC), ValueError, "l2"),
        (
            dict(num_classes=2, learning_rate=0.0, **NUMERIC),
            ValueError,
            "learning_rate",
        ),
        (
            dict(num_classes=2, normalization="minmax", **NUMERIC),
            ValueError,
            "normalization",
        ),
        (
            dict(num_classes=2, normalization="adapt", **NUMERIC),
            ValueError,
            "adapt_data",
        ),
        (
            dict(num_classes=2, adapt_data=np.zeros((3, 10, 5)), **NUMERIC),
            ValueError,
            "adapt_data",
        ),
        (
            dict(num_classes=2, vocab_size=10, conv_branch=True, units=4),
            ValueError,
            "conv_branch",
        ),
        (
            dict(num_classes=2, branch_dropout=1.0, **NUMERIC),
            ValueError,
            "branch_dropout",
        ),
        (
            dict(num_classes=2, vocab_size=10, branch_dropout=0.5, units=4),
            ValueError,
            "branch_dropout.*token route",
        ),
        (
            dict(num_classes=2, conv_branch=False, branch_dropout=0.5, **NUMERIC),
            ValueError,
            "branch_dropout.*conv_branch=False",
        ),
        (
            dict(num_classes=2, conv_branch=0, branch_dropout=0.5, **NUMERIC),
            ValueError,
            "branch_dropout.*conv_branch=0",
        ),
        # An argument of the other route is refused, not silently ignored.
        (
            dict(num_classes=2, embedding_matrix=np.zeros((10, 4)), **NUMERIC),
            ValueError,
            r"embedding_matrix.*vocab_size.*shape \(10, 4\)",
        ),
        (
            dict(num_classes=2, embedding_dim=3, **NUMERIC),
            ValueError,
            "embedding_dim.*ignored",
        ),
        (
            dict(num_classes=2, trainable_embedding=False, **NUMERIC),
            ValueError,
            "trainable_embedding.*ignored",
        ),
        (
            dict(num_classes=2, vocab_size=10, adapt_data=np.zeros((2, 3, 1))),
            ValueError,
            "adapt_data.*input_shape",
        ),
        (
            dict(num_classes=2, vocab_size=10, normalization="bogus"),
            ValueError,
            "normalization.*input_shape",
        ),
    ],
)
def test_build_lstm_classifier_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        build_lstm_classifier(**kwargs)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(num_classes=1, **VIDEO), ValueError, "num_classes"),
        (
            dict(num_classes=2, input_shape=(8, 8, 1), units=4),
            ValueError,
            "input_shape",
        ),
        (dict(num_classes=2, backbone="NoSuchNet", **VIDEO), ValueError, "backbone"),
        (dict(num_classes=2, backbone=3, **VIDEO), TypeError, "backbone"),
        (
            dict(num_classes=2, backbone_weights="imagenet", **VIDEO),
            ValueError,
            "backbone_weights",
        ),
        (
            dict(num_classes=2, backbone_weights="/no/such/file.h5", **VIDEO),
            ValueError,
            "backbone_weights",
        ),
        (
            dict(num_classes=2, backbone_weights=5, **VIDEO),
            TypeError,
            "backbone_weights",
        ),
        (dict(num_classes=2, augmentation="flip", **VIDEO), TypeError, "augmentation"),
        (dict(num_classes=2, labels="dense", **VIDEO), ValueError, "labels"),
        (dict(num_classes=2, dropout=2.0, **VIDEO), ValueError, "dropout"),
    ],
)
def test_build_cnn_lstm_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        build_cnn_lstm(**kwargs)


def test_errors_say_how_to_fix_the_common_mistakes():
    with pytest.raises(ValueError, match="binary.*num_classes=2 with labels 0 and 1"):
        build_lstm_classifier(1, input_shape=(10, 1), units=4)
    with pytest.raises(ValueError, match=r"input_shape=\(10, 1\).*x\[\.\.\., None\]"):
        build_lstm_classifier(2, input_shape=(10,), units=4)


def test_input_shape_may_be_an_array():
    model = build_lstm_classifier(2, input_shape=np.array([10, 2]), units=4)
    assert model.input_shape == (None, 10, 2)


def test_a_backbone_for_other_frames_is_refused_before_building():
    backbone = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(2, 3)])
    with pytest.raises(
        ValueError, match=r"backbone. takes frames of shape \(16, 16, 3\).*\(8, 8, 1\)"
    ):
        build_cnn_lstm(2, backbone=backbone, **VIDEO)
