"""Keras layers: sequence-consistent augmentation and mask-aware pooling."""

from keras_seqfix.layers.sequence_augmentation import SequenceAugmentation

__all__ = [
    "SequenceAugmentation",
]
