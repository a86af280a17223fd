"""Hyper-parameter search with keras-tuner: `HyperModel`s for the builders, and `tune`.

keras-tuner is optional (`pip install "keras-seqfix[tune]"`): importing this
module does not import it; `tune` and the hypermodel classes do, and raise an
`ImportError` that names the extra when it is missing.
"""

from typing import TYPE_CHECKING

from keras_seqfix.tuning.tune import tune
from keras_seqfix.tuning.tune_result import TuneResult

if TYPE_CHECKING:  # for type checkers and the API docs; at run time: __getattr__
    from keras_seqfix.tuning.cnn_lstm_hypermodel import CNNLSTMHyperModel
    from keras_seqfix.tuning.lstm_hypermodel import LSTMHyperModel
    from keras_seqfix.tuning.rocket_hypermodel import RocketHyperModel

# Defined on first access: their base class comes from keras_tuner.
_HYPERMODELS = {
    "CNNLSTMHyperModel": "keras_seqfix.tuning.cnn_lstm_hypermodel",
    "LSTMHyperModel": "keras_seqfix.tuning.lstm_hypermodel",
    "RocketHyperModel": "keras_seqfix.tuning.rocket_hypermodel",
}

__all__ = [
    "CNNLSTMHyperModel",
    "LSTMHyperModel",
    "RocketHyperModel",
    "TuneResult",
    "tune",
]


def __getattr__(name):
    if name in _HYPERMODELS:
        import importlib

        from keras_seqfix.tuning._keras_tuner import require_keras_tuner

        require_keras_tuner()
        value = getattr(importlib.import_module(_HYPERMODELS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'keras_seqfix.tuning' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
