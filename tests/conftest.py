"""Shared pytest set-up: quiet TensorFlow, seed every test, clear Keras per module."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    """Give every test the same seeds, whatever ran before it."""
    keras.utils.set_random_seed(1234)


@pytest.fixture(autouse=True, scope="module")
def _clear_keras_session():
    """Free the models a test module built once it is done.

    Per module rather than per test: `clear_session` costs about a second on a busy
    machine, and tests never depend on layer-name counters.
    """
    yield
    keras.backend.clear_session()
