"""Small registered layers the builders use instead of `Lambda` (safe_mode loading).

Keras has no layer that derives a padding mask from numeric input without also
hiding interior all-zero steps (`keras.layers.Masking` masks every all-zero step),
nor one that zeroes masked steps for layers that ignore masks (`Conv1D`); these
two fill the gap with `keras.ops` only.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_seqfix")
class PaddingMask(keras.layers.Layer):
    """Boolean `(batch, time)` mask of the steps that are not padding.

    Padding is a run of all-zero steps at the start (`pad_sequences` default,
    `padding="pre"`) or at the end (`padding="post"`) of a series. All-zero steps
    between real steps are kept: a series may legitimately pass through 0.

    Input shape:
        `(batch, time, features)`.

    Output shape:
        `(batch, time)`, boolean.
    """

    def call(self, inputs):
        nonzero = ops.cast(ops.any(ops.not_equal(inputs, 0), axis=-1), "int32")
        seen_before = ops.cumsum(nonzero, axis=1) > 0
        seen_after = ops.flip(ops.cumsum(ops.flip(nonzero, axis=1), axis=1), axis=1) > 0
        return ops.logical_and(seen_before, seen_after)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:2])

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs.shape[:2], dtype="bool")


@keras.saving.register_keras_serializable(package="keras_seqfix")
class ApplyMask(keras.layers.Layer):
    """Zeroes the masked steps of `x`: `ApplyMask()([x, mask])`.

    Input shape:
        `[(batch, time, ...), (batch, time)]`.

    Output shape:
        Same as `x`.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Accepts a masked `x` without a warning; the mask is the second input.
        self.supports_masking = True

    def compute_mask(self, inputs, previous_mask=None):
        return None

    def call(self, inputs):
        x, mask = inputs
        mask = ops.cast(mask, x.dtype)
        while len(mask.shape) < len(x.shape):
            mask = ops.expand_dims(mask, -1)
        return x * mask

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])
