"""Keras layers: sequence-consistent augmentation and mask-aware pooling."""

from keras_seqfix.layers.sequence_augmentation import SequenceAugmentation
from keras_seqfix.layers.temporal_augmentation import TemporalAugmentation
from keras_seqfix.layers.time_series_augmentation import TimeSeriesAugmentation

__all__ = [
    "SequenceAugmentation",
    "TemporalAugmentation",
    "TimeSeriesAugmentation",
]
