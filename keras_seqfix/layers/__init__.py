"""Keras layers: sequence-consistent augmentation and mask-aware pooling."""
