"""Shared assertions of the bad-input batteries (`tests/*/test_*bad_inputs.py`).

A bad input must be refused with the right exception type, a message that names
the argument, and nothing of the user's changed: arrays bit-identical, and for
functions that take a model, its weights and optimizer variables bit-identical.
"""

import re

import keras
import numpy as np
import pytest


def _bytes(value):
    array = np.asarray(keras.ops.convert_to_numpy(value))
    return array.dtype.str, array.shape, array.tobytes()


def model_state(model):
    """Bytes of every model and optimizer variable (NaN-safe comparison)."""
    if model is None:
        return None
    variables = list(model.variables)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        variables += list(optimizer.variables)
    return [(v.path, _bytes(v)) for v in variables]


def assert_refused(call, error, name, *, arrays=(), model=None, match=None):
    """`call()` raises `error` naming `` `name` ``, leaving `arrays`/`model` as they were.

    Returns:
        The message, for further checks.
    """
    before = [(a, a.copy()) for a in arrays]
    state = model_state(model)
    with pytest.raises(error) as info:
        call()
    assert type(info.value) is error or error is Exception, (
        f"expected exactly {error.__name__}, got {type(info.value).__name__}"
    )
    message = str(info.value)
    assert f"`{name}`" in message or f"'{name}'" in message, (
        f"the message does not name `{name}`: {message}"
    )
    if match is not None:
        assert re.search(match, message), f"{match!r} not in: {message}"
    for array, copy in before:
        assert array.dtype == copy.dtype and array.shape == copy.shape
        assert array.tobytes() == copy.tobytes(), "the call changed the user's array"
    if model is not None:
        assert model_state(model) == state, "the call changed the model's state"
    return message
