"""Training callbacks: early-stopping presets, LR range finder, gradient norms."""

from keras_seqfix.callbacks.early_stopping import early_stopping
from keras_seqfix.callbacks.find_lr import find_lr
from keras_seqfix.callbacks.gradient_norm_monitor import GradientNormMonitor
from keras_seqfix.callbacks.lr_finder_result import LRFinderResult
from keras_seqfix.callbacks.lr_range_finder import LRRangeFinder

__all__ = [
    "GradientNormMonitor",
    "LRFinderResult",
    "LRRangeFinder",
    "early_stopping",
    "find_lr",
]
