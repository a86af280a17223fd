"""Class imbalance for sequences: resampling, balanced batches, class weights."""

from keras_seqfix.imbalance.balanced_batches import BalancedBatches
from keras_seqfix.imbalance.class_weights import class_weights, sample_weights
from keras_seqfix.imbalance.sequence_resampler import SequenceResampler

__all__ = [
    "BalancedBatches",
    "SequenceResampler",
    "class_weights",
    "sample_weights",
]
