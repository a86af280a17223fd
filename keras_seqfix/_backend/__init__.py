"""The few backend-specific pieces (gradients, state snapshot and restore).

Shared by `keras_seqfix.callbacks` and `keras_seqfix.diagnosis`; not public API.
"""
