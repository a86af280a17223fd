"""The one label/loss parser that the models, find_lr and the imbalance tools share."""

import keras
import numpy as np
import pytest

from keras_seqfix import _labels
from keras_seqfix.imbalance import _validation as imbalance_validation
from keras_seqfix.models import _checked_model


@pytest.mark.parametrize(
    "y, kind, num_classes",
    [
        (np.array([0, 2, 1, 2]), "sparse", 3),
        (np.array([[0], [1], [1], [0]]), "sparse", 2),  # binary ids, (n, 1)
        (np.array([0.0, 1.0, 1.0, 0.0]), "sparse", 2),
        (np.eye(3)[[0, 1, 2, 1]], "one_hot", 3),
        (np.array([[1, 1, 0], [0, 1, 0]]), "multi_label", 3),
        (np.array([0.2, 0.7]), "other", 0),
        (np.array(["cat", "dog"]), "other", 0),
    ],
)
def test_label_info_reads_the_format(y, kind, num_classes):
    info = _labels.label_info(y)
    assert info.kind == kind
    assert info.num_classes == num_classes
    if kind in ("sparse", "one_hot"):
        np.testing.assert_array_equal(
            info.ids,
            np.argmax(y, -1) if y.ndim == 2 and y.shape[1] > 1 else np.ravel(y),
        )


def test_label_info_marks_non_finite_labels():
    assert not _labels.label_info(np.array([0.0, np.nan])).finite


@pytest.mark.parametrize(
    "loss, canonical, label_format, from_logits",
    [
        ("sparse_categorical_crossentropy", "sparse_cce", "sparse", False),
        (
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            "sparse_cce",
            "sparse",
            True,
        ),
        (keras.losses.sparse_categorical_crossentropy, "sparse_cce", "sparse", False),
        ("categorical_crossentropy", "cce", "one_hot", False),
        (keras.losses.CategoricalFocalCrossentropy(), "cce", "one_hot", False),
        ("binary_crossentropy", "bce", None, False),
        ("mse", "mse", None, False),
        (None, "unknown", None, False),
        ({"out": "mse"}, "unknown", None, False),
    ],
)
def test_loss_parsing(loss, canonical, label_format, from_logits):
    name, _, logits = _labels.loss_name_and_logits(loss)
    assert name == canonical
    assert logits is from_logits
    assert _labels.label_format(loss) == label_format


def test_one_parser_is_shared():
    # The models and the imbalance tools use these functions, not copies.
    assert _checked_model.check_labels is _labels.check_labels
    assert _checked_model.label_format is _labels.label_format
    assert imbalance_validation.is_one_hot is _labels.is_one_hot


@pytest.mark.parametrize(
    "y, labels, match",
    [
        (np.eye(3)[[0, 1, 2]], "sparse", "looks one-hot encoded.*labels='one_hot'"),
        (np.array([0, 1, 2]), "one_hot", "looks like integer class ids"),
        (np.array([0, 1, 3]), "sparse", r"class ids in \[0, 2\].*from 0 to 3"),
        (np.array([0.0, 1.5, 2.0]), "sparse", "non-integer values"),
        (np.array([0.0, np.nan, 2.0]), "sparse", "non-finite values: 1 of 3"),
        (np.array(["a", "b", "c"]), "sparse", "Received: strings.*LabelEncoder"),
        (np.array([[0.5, 0.6, 0.0]]), "one_hot", "sums to 1.1"),
    ],
)
def test_check_labels_names_the_fix(y, labels, match):
    with pytest.raises(ValueError, match=match):
        _labels.check_labels(y, num_classes=3, labels=labels)


@pytest.mark.parametrize(
    "y, labels",
    [
        (np.array([0, 1, 2, 1]), "sparse"),
        (np.eye(3)[[0, 2]], "one_hot"),
        (np.full((2, 3), 1 / 3), "one_hot"),
    ],
)
def test_check_labels_accepts_what_fits(y, labels):
    _labels.check_labels(y, num_classes=3, labels=labels)  # raises on a mismatch


def _model(loss, units=3, timesteps=None):
    shape = (4,) if timesteps is None else (timesteps, 4)
    inputs = keras.Input(shape)
    model = keras.Model(inputs, keras.layers.Dense(units)(inputs))
    model.compile(loss=loss)
    return model


def test_check_model_labels_reads_the_compiled_loss():
    with pytest.raises(ValueError, match="looks one-hot"):
        _labels.check_model_labels(_model("sparse_categorical_crossentropy"), np.eye(3))
    with pytest.raises(ValueError, match="looks like integer class ids"):
        _labels.check_model_labels(_model("categorical_crossentropy"), np.arange(3))


@pytest.mark.parametrize(
    "model, y",
    [
        (_model("mse"), np.eye(3)),  # not a categorical loss
        (
            _model("sparse_categorical_crossentropy", timesteps=5),
            np.zeros((2, 5)),
        ),  # a tagger
    ],
)
def test_check_model_labels_leaves_other_cases_to_keras(model, y):
    _labels.check_model_labels(model, y)  # would raise if it checked these
