"""Bad inputs to `class_weights` and `sample_weights`: refused, named, `y` unchanged."""

import math

import numpy as np
import pytest

from keras_seqfix.imbalance import class_weights, sample_weights
from tests.bad_inputs import assert_refused

NAN, INF = math.nan, math.inf
Y = np.array([0] * 6 + [1] * 3 + [2] * 2)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(method="focal"), ValueError, "method"),
        (dict(method=None), TypeError, "method"),
        (dict(method="effective_number", beta=1.0), ValueError, "beta"),
        (dict(method="effective_number", beta=-0.1), ValueError, "beta"),
        (dict(method="effective_number", beta=NAN), ValueError, "beta"),
        (dict(method="effective_number", beta="0.99"), TypeError, "beta"),
        (dict(num_classes=1), ValueError, "num_classes"),
        (dict(num_classes=0), ValueError, "num_classes"),
        (dict(num_classes=3.0), TypeError, "num_classes"),
        (dict(num_classes="3"), TypeError, "num_classes"),
        (dict(num_classes=2), ValueError, "y"),  # class id 2 does not fit
        (dict(labels="onehot"), ValueError, "labels"),
        (dict(labels=None), TypeError, "labels"),
        (dict(normalize="mean"), ValueError, "normalize"),
        (dict(normalize=1), TypeError, "normalize"),
    ],
)
def test_class_weights_arguments(kwargs, error, name):
    y = Y.copy()
    assert_refused(lambda: class_weights(y, **kwargs), error, name, arrays=(y,))


@pytest.mark.parametrize(
    ("y", "error"),
    [
        pytest.param(np.array([], "int64"), ValueError, id="empty-int"),
        pytest.param(np.array([]), ValueError, id="empty-float"),
        pytest.param(np.zeros((0, 3)), ValueError, id="empty-one-hot"),
        pytest.param(np.array([0, 1, NAN]), ValueError, id="nan"),
        pytest.param(np.array([0, 1, -1]), ValueError, id="negative"),
        pytest.param(np.array([0, 1, 1.5]), ValueError, id="fractional"),
        pytest.param(np.array([1, 1, 1]), ValueError, id="one-class"),
        pytest.param(np.array(["a", "b"]), TypeError, id="strings"),
    ],
)
def test_class_weights_bad_labels(y, error):
    message = assert_refused(lambda: class_weights(y), error, "y", arrays=(y,))
    assert "Received" in message


@pytest.mark.parametrize(
    ("weights", "error"),
    [
        pytest.param({0: 1.0, 1: -2.0, 2: 1.0}, ValueError, id="negative"),
        pytest.param({0: 1.0, 1: NAN, 2: 1.0}, ValueError, id="nan"),
        pytest.param({0: 1.0, 1: INF, 2: 1.0}, ValueError, id="inf"),
        pytest.param({0: 1.0, 1: "2", 2: 1.0}, TypeError, id="string-weight"),
        pytest.param({0: 1.0, 1: None, 2: 1.0}, TypeError, id="none-weight"),
        pytest.param({0: 1.0, 1: 2.0}, ValueError, id="missing-class"),
        pytest.param([1.0, 2.0, 3.0], TypeError, id="list"),
        pytest.param("focal", ValueError, id="unknown-method"),
    ],
)
def test_sample_weights_bad_class_weight(weights, error):
    y = Y.copy()
    name = "method" if weights == "focal" else "class_weight"
    assert_refused(lambda: sample_weights(y, weights), error, name, arrays=(y,))


def test_sample_weights_negative_weight_is_named_with_its_class():
    message = assert_refused(
        lambda: sample_weights(Y, {0: 1.0, 1: -2.0, 2: 1.0}),
        ValueError,
        "class_weight",
    )
    assert "class_weight[1]=-2.0" in message


@pytest.mark.parametrize(
    ("y", "kwargs", "error", "name"),
    [
        pytest.param(np.array([], "int64"), {}, ValueError, "y", id="empty"),
        pytest.param(Y, {"labels": "dense"}, ValueError, "labels", id="labels"),
    ],
)
def test_sample_weights_bad_labels(y, kwargs, error, name):
    assert_refused(
        lambda: sample_weights(y, {0: 1.0, 1: 1.0, 2: 1.0}, **kwargs),
        error,
        name,
        arrays=(y,),
    )


def test_valid_weights_still_work():
    assert sample_weights(Y, {0: 0, 1: np.float32(2.0), 2: 1}).tolist()[6] == 2.0
    assert set(class_weights(Y, num_classes=np.int64(3))) == {0, 1, 2}
