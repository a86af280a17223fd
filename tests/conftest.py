"""Shared pytest set-up: quiet TensorFlow, seed every test, clear Keras per module,
and skip tests marked for other Keras backends.

The suite runs under every Keras backend (`KERAS_BACKEND=tensorflow|jax|torch`).
A test that needs one backend's own machinery (`tf.data`, `tf.distribute`) says so
with `@pytest.mark.backend("tensorflow")` and is skipped, with the reason, on the
others.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402


def pytest_report_header(config):
    return f"keras {keras.__version__}, backend {keras.backend.backend()}"


def pytest_collection_modifyitems(config, items):
    backend = keras.backend.backend()
    for item in items:
        marker = item.get_closest_marker("backend")
        if marker is not None and backend not in marker.args:
            needed = " or ".join(marker.args)
            item.add_marker(
                pytest.mark.skip(
                    reason=f"needs the {needed} backend; this is {backend}"
                )
            )


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
