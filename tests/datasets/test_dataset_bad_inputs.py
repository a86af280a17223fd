"""Bad arguments to the dataset loaders: refused before any work, and named."""

import math

import pytest

from keras_seqfix.datasets import load_moving_digits, load_sms_spam, load_ucr
from tests.bad_inputs import assert_refused

NAN = math.nan


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(num_frames="8"), TypeError, "num_frames"),
        (dict(num_frames=4.5), TypeError, "num_frames"),
        (dict(num_frames=1), ValueError, "num_frames"),
        (dict(size="16"), TypeError, "size"),
        (dict(size=-16), ValueError, "size"),
        (dict(size=10), ValueError, "size"),  # too small for 8 frames
        (dict(directions="right"), TypeError, "directions"),
        (dict(directions=("right", "diagonal")), ValueError, "directions"),
        (dict(directions=()), ValueError, "directions"),
        (dict(clips_per_image="2"), TypeError, "clips_per_image"),
        (dict(clips_per_image=0), ValueError, "clips_per_image"),
        (dict(test_fraction="0.25"), TypeError, "test_fraction"),
        (dict(test_fraction=NAN), ValueError, "test_fraction"),
        (dict(test_fraction=1.0), ValueError, "test_fraction"),
        (dict(seed="0"), TypeError, "seed"),
        (dict(seed=-1), ValueError, "seed"),
        (dict(return_class_names="yes"), TypeError, "return_class_names"),
        (dict(frames=8), TypeError, "frames"),
    ],
)
def test_load_moving_digits_arguments(kwargs, error, name):
    message = assert_refused(lambda: load_moving_digits(**kwargs), error, name)
    assert "Received" in message or "Valid arguments" in message


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "name"),
    [
        (("gunpoint_v2",), {}, ValueError, "name"),
        ((None,), {}, TypeError, "name"),
        ((3,), {}, TypeError, "name"),
        (("GunPoint",), dict(padded="no"), TypeError, "padded"),
        (("GunPoint",), dict(return_class_names=1.5), TypeError, "return_class_names"),
        (("GunPoint",), dict(split="train"), TypeError, "split"),
        ((), {}, TypeError, "name"),
    ],
)
def test_load_ucr_arguments(args, kwargs, error, name):
    assert_refused(lambda: load_ucr(*args, **kwargs), error, name)


def test_load_ucr_guesses_a_misspelt_name():
    message = assert_refused(lambda: load_ucr("GunPont"), ValueError, "name")
    assert "Did you mean 'GunPoint'" in message


def test_load_sms_spam_takes_no_arguments():
    message = assert_refused(
        lambda: load_sms_spam("sms.csv"), TypeError, "load_sms_spam"
    )
    assert "'sms.csv'" in message
