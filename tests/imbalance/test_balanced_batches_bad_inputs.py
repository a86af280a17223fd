"""Bad arguments to `BalancedBatches`: refused, named, `x` and `y` unchanged."""

import math

import numpy as np
import pytest

from keras_seqfix.imbalance import BalancedBatches, class_weights
from tests.bad_inputs import assert_refused

NAN = math.nan
X = np.random.default_rng(0).normal(size=(12, 5, 2)).astype("float32")
Y = np.array([0] * 6 + [1] * 3 + [2] * 3)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(batch_size="32"), TypeError, "batch_size"),
        (dict(batch_size=8.0), TypeError, "batch_size"),
        (dict(strategy="smote"), ValueError, "strategy"),
        (dict(strategy=None), TypeError, "strategy"),
        (dict(shuffle="yes"), TypeError, "shuffle"),
        (dict(random_state="seed"), TypeError, "random_state"),
        (dict(random_state=-1), ValueError, "random_state"),
        (dict(workers=-1), ValueError, "workers"),
        (dict(workers="4"), TypeError, "workers"),
        (dict(use_multiprocessing="no"), TypeError, "use_multiprocessing"),
        (dict(max_queue_size=0), ValueError, "max_queue_size"),
        (dict(batchsize=8), TypeError, "batchsize"),
    ],
)
def test_balanced_batches_arguments(kwargs, error, name):
    x, y = X.copy(), Y.copy()
    message = assert_refused(
        lambda: BalancedBatches(x, y, **kwargs), error, name, arrays=(x, y)
    )
    assert "Received" in message or "Valid arguments" in message


def test_unknown_keyword_guesses_the_intended_one():
    message = assert_refused(
        lambda: BalancedBatches(X, Y, batchsize=8), TypeError, "batchsize"
    )
    assert "Did you mean `batch_size`" in message


def test_valid_arguments_still_work():
    batches = BalancedBatches(
        X, Y, batch_size=np.int64(6), random_state=np.random.RandomState(0), workers=1
    )
    assert len(batches) == 3 and batches[0][0].shape == (6, 5, 2)


def test_class_weights_unknown_keyword_lists_the_valid_ones():
    y = Y.copy()
    message = assert_refused(
        lambda: class_weights(y, classes=[0, 1, 2]), TypeError, "classes", arrays=(y,)
    )
    assert "Valid arguments:" in message and "num_classes" in message
