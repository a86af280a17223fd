"""Bad arguments to `tune` and the hypermodels: refused before any trial, named."""

import math

import keras
import numpy as np
import pytest

pytest.importorskip("keras_tuner")

from keras_seqfix import tuning  # noqa: E402
from tests.bad_inputs import assert_refused  # noqa: E402

NAN = math.nan
X = np.random.default_rng(0).normal(size=(12, 10, 2)).astype("float32")
Y = np.arange(12) % 2


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(kind="transformer"), ValueError, "kind"),
        (dict(max_trials=0), ValueError, "max_trials"),
        (dict(max_trials="10"), TypeError, "max_trials"),
        (dict(time_budget=-5), ValueError, "time_budget"),
        (dict(seed="0"), TypeError, "seed"),
        (dict(seed=-1), ValueError, "seed"),
        (dict(cv_below=-1), ValueError, "cv_below"),
        (dict(cv_below="300"), TypeError, "cv_below"),
        (dict(refit="yes"), ValueError, "refit"),
        (dict(directory=3), TypeError, "directory"),
        (dict(callbacks="early"), TypeError, "callbacks"),
        (dict(callbacks=["early"]), TypeError, "callbacks"),
        (dict(fit_kwargs=[1]), TypeError, "fit_kwargs"),
        (dict(fit_kwargs={"verbose": 2}), ValueError, "fit_kwargs"),
    ],
)
def test_tune_arguments_are_declared(kwargs, error, name):
    x, y = X.copy(), Y.copy()
    message = assert_refused(
        lambda: tuning.tune(x, y, verbose=0, **kwargs), error, name, arrays=(x, y)
    )
    assert "Received" in message or "should not hold" in message


def test_tune_refuses_nan_in_x_before_any_trial():
    x = X.copy()
    x[3, 2, 1] = NAN
    assert_refused(lambda: tuning.tune(x, Y, verbose=0), ValueError, "x", arrays=(x,))


def test_tune_valid_callbacks_pass_the_check():
    # fit_kwargs is checked after the callbacks: reaching it means they passed.
    log = keras.callbacks.History()
    with pytest.raises(ValueError, match="`fit_kwargs`"):
        tuning.tune(X, Y, callbacks=[log], fit_kwargs={"callbacks": [log]})


_NEEDS = {
    "LSTMHyperModel": dict(input_shape=(10, 2)),
    "CNNLSTMHyperModel": dict(input_shape=(3, 8, 8, 1)),
    "RocketHyperModel": dict(input_shape=(10, 2), adapt_data=X),
}


@pytest.mark.parametrize("cls", sorted(_NEEDS))
@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(num_classes="2"), TypeError, "num_classes"),
        (dict(num_classes=1), ValueError, "num_classes"),
        (dict(num_classes=2, epochs=-1), ValueError, "epochs"),
        (dict(num_classes=2, labels="dense"), ValueError, "labels"),
        (dict(num_classes=2, tunable="yes"), TypeError, "tunable"),
        (dict(num_classes=2, name=3), TypeError, "name"),
        (dict(), TypeError, "num_classes"),
    ],
)
def test_hypermodel_arguments(cls, kwargs, error, name):
    assert_refused(lambda: getattr(tuning, cls)(**kwargs, **_NEEDS[cls]), error, name)
