"""`AttentionPooling`: a learned, mask-aware weighted average over time."""

import keras
from keras import ops

from keras_seqfix._validation import (
    Integral,
    Interval,
    check_layer_kwargs,
    validate_params,
)

# One declared place for the constructor's constraints (see `_validation`).
_CONSTRAINTS = {"units": [None, Interval(Integral, 1, None, closed="left")]}


def _check_mask(inputs, mask):
    """Refuse a mask that is not `(batch, time)` for these inputs."""
    expected = tuple(inputs.shape[:2])
    received = tuple(mask.shape)
    same = len(received) == 2 and all(
        a is None or b is None or a == b
        for a, b in zip(expected, received, strict=True)
    )
    if not same:
        raise ValueError(
            "`mask` should have shape (batch, time) = "
            f"{expected} to match the inputs {tuple(inputs.shape)}. Received: "
            f"mask of shape {received}. Pass the mask of these sequences, one "
            "boolean per step (True for real steps, False for padding), e.g. "
            "`mask = x_ids != 0` for token ids padded with 0."
        )


@keras.saving.register_keras_serializable(package="keras_seqfix")
class AttentionPooling(keras.layers.Layer):
    """Pools `(batch, time, dim)` to `(batch, dim)` with learned attention weights.

    Each step gets a score `v . tanh(W h_t + b)` (additive attention, Bahdanau et
    al. 2015; Yang et al. 2016 for classification); a softmax over time turns the
    scores into weights, and the output is the weighted sum of the steps. Masked
    steps (padding) get zero weight, so padding never changes the output. Use it
    instead of the last state of a `return_sequences=True` recurrent layer, where
    the signal may sit anywhere in a long sequence.

    Args:
        units (int or None): size of the hidden scoring layer. `None` uses the input's
            last dimension. Defaults to `None`.
        **kwargs (Any): base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        3D tensor `(batch, time, dim)`, with an optional boolean mask
        `(batch, time)`.

    Output shape:
        2D tensor `(batch, dim)`. The layer consumes the mask.

    Raises:
        ValueError: if `units` is below 1, or at call time if the mask is not
            `(batch, time)` for the inputs.
        TypeError: if `units` is not an integer or `None`, or for an unknown
            keyword argument (the message lists the valid ones).

    Examples:
        >>> import numpy as np
        >>> import keras
        >>> from keras_seqfix.layers import AttentionPooling
        >>> x = np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")
        >>> tuple(AttentionPooling()(x).shape)
        (2, 4)
        >>> mask = np.array([[True] * 5, [True] * 3 + [False] * 2])
        >>> out = AttentionPooling(units=3)
        >>> full = out(x[1:, :3])
        >>> padded = out(x[1:], mask=mask[1:])
        >>> to_np = keras.ops.convert_to_numpy
        >>> bool(np.allclose(to_np(full), to_np(padded), atol=1e-6))
        True
    """

    def __init__(self, units=None, **kwargs):
        validate_params(_CONSTRAINTS, {"units": units}, examples={"units": 64})
        check_layer_kwargs(self, kwargs)
        super().__init__(**kwargs)
        self.units = None if units is None else int(units)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                "`inputs` of `AttentionPooling` should be 3D (batch, time, dim). "
                f"Received: input_shape={input_shape}"
            )
        dim = input_shape[-1]
        units = self.units or dim
        self.kernel = self.add_weight(
            name="kernel", shape=(dim, units), initializer="glorot_uniform"
        )
        self.bias = self.add_weight(name="bias", shape=(units,), initializer="zeros")
        self.score_vector = self.add_weight(
            name="score_vector", shape=(units, 1), initializer="glorot_uniform"
        )

    def call(self, inputs, mask=None):
        if mask is not None:
            _check_mask(inputs, mask)
        hidden = ops.tanh(ops.matmul(inputs, self.kernel) + self.bias)
        # The softmax in float32: under mixed precision -1e9 is -inf in float16,
        # and a fully masked row (an empty message) would give NaN.
        scores = ops.cast(
            ops.squeeze(ops.matmul(hidden, self.score_vector), axis=-1), "float32"
        )
        if mask is not None:
            mask = ops.cast(mask, "bool")
            # A large negative score gives masked steps exactly zero weight after
            # the softmax; a fully masked row falls back to zeros below.
            scores = ops.where(mask, scores, -1e9)
        weights = ops.softmax(scores, axis=-1)
        if mask is not None:
            weights = weights * ops.cast(mask, weights.dtype)
        weights = ops.cast(weights, inputs.dtype)
        return ops.sum(inputs * ops.expand_dims(weights, -1), axis=1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config
