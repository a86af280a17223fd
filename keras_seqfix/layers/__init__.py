"""Keras layers: sequence-consistent augmentation, mask-aware pooling and MiniRocket
features."""

from keras_seqfix.layers.attention_pooling import AttentionPooling
from keras_seqfix.layers.minirocket_features import MiniRocketFeatures
from keras_seqfix.layers.sequence_augmentation import SequenceAugmentation
from keras_seqfix.layers.temporal_augmentation import TemporalAugmentation
from keras_seqfix.layers.time_series_augmentation import TimeSeriesAugmentation

__all__ = [
    "AttentionPooling",
    "MiniRocketFeatures",
    "SequenceAugmentation",
    "TemporalAugmentation",
    "TimeSeriesAugmentation",
]
