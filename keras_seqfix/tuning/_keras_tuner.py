"""keras-tuner is an optional dependency: import it here, or say how to install it."""

import importlib

INSTALL_HINT = 'pip install "keras-seqfix[tune]"'


def require_keras_tuner():
    """Return the `keras_tuner` module, or raise an `ImportError` naming the extra."""
    try:
        return importlib.import_module("keras_tuner")
    except ImportError as exc:
        raise ImportError(
            "keras_seqfix.tuning needs keras-tuner, which is not installed. "
            f"Install the `tune` extra: {INSTALL_HINT} (or `pip install "
            "keras-tuner`)."
        ) from exc
