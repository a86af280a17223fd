"""Test helpers that the test modules of every area reuse."""

import keras
import numpy as np


def assert_layer_round_trip(layer, inputs, tmp_path, *, training=False, atol=1e-6):
    """Check that `layer` survives `get_config` and a `.keras` save/load unchanged.

    Builds a one-layer functional model, saves it as `.keras`, loads it with
    `safe_mode=True` (no Lambda, no pickled code) and compares the outputs on
    `inputs` with `training=training`. Also rebuilds the layer from its config and
    checks the config is unchanged. Returns the reloaded model.
    """
    config = layer.get_config()
    rebuilt = layer.__class__.from_config(config)
    assert rebuilt.get_config() == config, "get_config/from_config is not a round trip"

    inputs = np.asarray(inputs)
    x = keras.Input(shape=inputs.shape[1:], dtype=str(inputs.dtype))
    model = keras.Model(x, layer(x))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    expected = keras.ops.convert_to_numpy(model(inputs, training=training))
    actual = keras.ops.convert_to_numpy(loaded(inputs, training=training))
    np.testing.assert_allclose(actual, expected, atol=atol)
    return loaded


def public_names(module):
    """Names a module declares public in `__all__`."""
    return list(getattr(module, "__all__", []))
