"""Training callbacks: early-stopping presets, LR range finder, gradient norms,
the training monitor."""

from keras_seqfix.callbacks.early_stopping import early_stopping
from keras_seqfix.callbacks.find_lr import find_lr
from keras_seqfix.callbacks.gradient_norm_monitor import GradientNormMonitor
from keras_seqfix.callbacks.lr_finder_result import LRFinderResult
from keras_seqfix.callbacks.lr_range_finder import LRRangeFinder

# Last: the monitor lives in `keras_seqfix.diagnosis` (also importable from there).
from keras_seqfix.diagnosis.training_monitor import TrainingMonitor  # noqa: E402

__all__ = [
    "GradientNormMonitor",
    "LRFinderResult",
    "LRRangeFinder",
    "TrainingMonitor",
    "early_stopping",
    "find_lr",
]
