"""`MiniRocketFeatures`: the MiniRocket transform (Dempster et al. 2021) as a layer."""

import keras
import numpy as np
from keras import ops

from keras_seqfix._validation import (
    Integral,
    Interval,
    check_finite_array,
    check_layer_kwargs,
    validate_params,
)
from keras_seqfix.layers import _minirocket_plan as plan

# One declared place for the constructor's constraints (see `_validation`).
_CONSTRAINTS = {
    "num_features": [Interval(Integral, plan.NUM_KERNELS, None, closed="left")],
    "max_dilations_per_kernel": [Interval(Integral, 1, None, closed="left")],
    "reference_length": [None, Interval(Integral, 1, None, closed="left")],
    "seed": [None, Interval(Integral, 0, None, closed="left")],
}


@keras.saving.register_keras_serializable(package="keras_seqfix")
class MiniRocketFeatures(keras.layers.Layer):
    """MiniRocket features of a series: `(batch, time, channels) -> (batch, features)`.

    MiniRocket (Dempster, Schmidt and Webb, KDD 2021) convolves the series with
    84 fixed kernels of length 9 (weights -1 and 2) at dilations spread up to
    the series length, and pools each output into the proportion of steps
    above a bias (PPV). The biases come from quantiles of the kernel outputs on
    training series: call `adapt(x_train)` once before using the layer. For
    several channels each kernel reads a random combination of up to 9 of
    them. A linear classifier on these features reaches the accuracy of the
    best deep models on most UCR sets in seconds (see `build_rocket_classifier`).

    The layer has no trainable weights; its fitted state (biases and channel
    combinations) is saved with the model. The transform is written with
    `keras.ops`, so it runs on every backend and on a GPU.

    Padding: with a Keras mask (from `build_rocket_classifier`'s padding mask,
    or `keras.layers.Masking`), masked steps are set to zero and left out of
    the averages, so a padded series gives the features of the series alone
    (up to the zero padding the convolution itself uses at both ends).
    `adapt` takes the same mask through `mask=`.

    Args:
        num_features (int): number of features; rounded down to a multiple of 84.
            Defaults to `10_000` (9,996 features).
        max_dilations_per_kernel (int): at most this many dilations. Defaults to
            `32`, as in the paper.
        reference_length (int or None): the series length the dilations are chosen for.
            `None` takes the input's static length, or the longest real series
            given to `adapt` when the length is `None`. Set by `adapt`.
            Defaults to `None`.
        seed (int or None): seed for the random series and channel draws of `adapt`; the
            same seed and data give the same biases. Defaults to `None`.
        **kwargs (Any): base layer keyword arguments, such as `name`.

    Input shape:
        3D tensor `(batch, time, channels)`, `time` may be `None`; an optional
        boolean mask `(batch, time)`.

    Output shape:
        2D tensor `(batch, 84 * (num_features // 84))`, float32. The layer
        consumes the mask.

    Raises:
        ValueError: for an argument out of range, or when the layer is called
            before `adapt`.
        TypeError: for a non-integer argument, or an unknown keyword argument
            (the message lists the valid ones).

    Examples:
        >>> import keras
        >>> import numpy as np
        >>> from keras_seqfix.layers import MiniRocketFeatures
        >>> x = np.random.default_rng(0).normal(size=(8, 40, 2)).astype("float32")
        >>> layer = MiniRocketFeatures(num_features=840, seed=0)
        >>> layer.adapt(x)
        >>> features = keras.ops.convert_to_numpy(layer(x))
        >>> features.shape
        (8, 840)
        >>> float(features.min()) >= 0.0 and float(features.max()) <= 1.0
        True
    """

    def __init__(
        self,
        num_features=10_000,
        max_dilations_per_kernel=32,
        reference_length=None,
        seed=None,
        **kwargs,
    ):
        validate_params(
            _CONSTRAINTS,
            {
                "num_features": num_features,
                "max_dilations_per_kernel": max_dilations_per_kernel,
                "reference_length": reference_length,
                "seed": seed,
            },
            examples={"num_features": 10_000, "max_dilations_per_kernel": 32},
        )
        check_layer_kwargs(self, kwargs)
        super().__init__(**kwargs)
        self.num_features = int(num_features)
        self.max_dilations_per_kernel = int(max_dilations_per_kernel)
        self.reference_length = (
            None if reference_length is None else int(reference_length)
        )
        self.seed = None if seed is None else int(seed)
        self.supports_masking = True
        self.trainable = False
        self._adapted = False

    @property
    def output_dim(self):
        """The number of features: `84 * (num_features // 84)`."""
        return plan.NUM_KERNELS * (self.num_features // plan.NUM_KERNELS)

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                "`inputs` of `MiniRocketFeatures` should be 3D (batch, time, channels) "
                "with a known number of channels; a univariate series is "
                f"(batch, time, 1) (`x[..., None]`). Received: input_shape={input_shape}"
            )
        channels = int(input_shape[-1])
        if self.reference_length is None and input_shape[1] is not None:
            self.reference_length = int(input_shape[1])
        self.biases = self.add_weight(
            name="biases",
            shape=(self.output_dim,),
            initializer="zeros",
            trainable=False,
        )
        self.channel_masks = self.add_weight(
            name="channel_masks",
            shape=(self.max_dilations_per_kernel, plan.NUM_KERNELS, channels),
            initializer="zeros",
            trainable=False,
        )

    def adapt(self, data, mask=None):
        """Fit the biases (and the channel combinations) on training series.

        Args:
            data (np.ndarray): training series, an array `(n, time, channels)`; padded
                steps are those `mask` marks False.
            mask (np.ndarray or None): optional boolean `(n, time)`, True on real steps
                (one contiguous run per series). Defaults to all steps.

        Raises:
            ValueError: if `data` is not a finite 3D array that matches the
                layer, or `mask` does not match `data`.
        """
        data = check_finite_array(
            "data",
            data,
            fix="MiniRocket's biases would be NaN: impute or drop those series "
            "first (padding should be zeros).",
        ).astype("float32")
        if data.ndim != 3 or len(data) == 0:
            raise ValueError(
                "`data` should be a non-empty array of series (n, time, channels). "
                f"Received: shape {data.shape}"
            )
        valid = np.ones(data.shape[:2], bool) if mask is None else np.asarray(mask)
        if valid.shape != data.shape[:2]:
            raise ValueError(
                f"`mask` should have shape (n, time) = {data.shape[:2]}. "
                f"Received: shape {valid.shape}"
            )
        valid = valid.astype(bool)
        if not self.built:
            self.build((None, *data.shape[1:]))
        channels = self.channel_masks.shape[-1]
        if data.shape[-1] != channels:
            raise ValueError(
                f"`data` should have {channels} channels, as the layer was built "
                f"with. Received: shape {data.shape}"
            )
        data = data * valid[..., None]
        if self.reference_length is None:
            self.reference_length = int(max(valid.sum(axis=1).max(), 1))
        rng = np.random.default_rng(self.seed)
        dilations, counts = self._dilations()
        masks = plan.draw_channel_masks(
            rng, len(dilations), channels, self.max_dilations_per_kernel
        )
        biases = plan.fit_biases(data, valid, dilations, counts, masks, rng)
        self.channel_masks.assign(masks)
        self.biases.assign(biases)
        self._adapted = True

    def load_own_variables(self, store):
        super().load_own_variables(store)
        self._adapted = True

    def _dilations(self):
        return plan.fit_dilations(
            self.reference_length, self.num_features, self.max_dilations_per_kernel
        )

    def call(self, inputs, mask=None):
        if not self._adapted:
            raise ValueError(
                "`MiniRocketFeatures` has no biases yet: call `layer.adapt(x_train)` "
                "with training series before using it (build_rocket_classifier "
                "does this from `adapt_data`)."
            )
        x = ops.cast(inputs, "float32")
        batch, time = ops.shape(x)[0], ops.shape(x)[1]
        if mask is not None:
            valid = ops.cast(mask, "float32")
            x = x * ops.expand_dims(valid, -1)
        dilations, counts = self._dilations()
        # The whole plan is read in a few ops before the loop, which then holds
        # only what differs by dilation: a traced graph (TensorFlow's predict)
        # stays small, so a first `predict` does not spend a second tracing.
        # (dilations, 9, channels, 84): kernel j reads only its channels.
        kernels = ops.convert_to_tensor(plan.KERNEL_WEIGHTS)[None, :, None, :] * (
            ops.expand_dims(
                ops.transpose(self.channel_masks[: len(dilations)], (0, 2, 1)), 1
            )
        )
        ends = np.cumsum(plan.NUM_KERNELS * np.asarray(counts)).tolist()
        starts = [0, *ends[:-1]]
        biases = ops.convert_to_tensor(self.biases)
        static = mask is None and inputs.shape[1] is not None
        if mask is None and not static:
            valid = ops.ones((batch, time), "float32")
        features = []
        for i, (dilation, count) in enumerate(zip(dilations, counts, strict=True)):
            outputs = ops.conv(
                x, kernels[i], strides=1, padding="same", dilation_rate=int(dilation)
            )
            # An all-padding series averages over nothing: its features are 0.
            if static:
                # Which steps each kernel averages over is known before the call.
                step_weights = _static_step_weights(
                    inputs.shape[1], i, 4 * int(dilation)
                )
                steps = np.maximum(step_weights.sum(axis=-2), 1.0)
            else:
                step_weights = ops.expand_dims(
                    ops.transpose(
                        _step_weights(valid, i, 4 * int(dilation)), (0, 2, 1)
                    ),
                    -1,
                )
                steps = ops.maximum(ops.sum(step_weights, axis=-2), 1.0)
            # Time last, so the comparison and the average over steps run along
            # contiguous memory: (batch, 84, count, time) @ (batch, 84, time, 1).
            outputs = ops.transpose(outputs, (0, 2, 1))
            above = ops.cast(
                ops.expand_dims(outputs, 2)
                > ops.reshape(
                    biases[starts[i] : ends[i]],
                    (plan.NUM_KERNELS, int(count), 1),
                ),
                "float32",
            )
            ppv = ops.squeeze(ops.matmul(above, step_weights), -1) / steps
            features.append(ops.reshape(ppv, (-1, plan.NUM_KERNELS * int(count))))
        return ops.concatenate(features, axis=-1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_features": self.num_features,
                "max_dilations_per_kernel": self.max_dilations_per_kernel,
                "reference_length": self.reference_length,
                "seed": self.seed,
            }
        )
        return config


def _step_weights(valid, dilation_index, padding):
    """`(batch, time, 84)`: which steps each kernel's PPV averages over.

    As in the reference, half of the kernels (alternating with the dilation)
    average over the whole series and the other half over the steps whose
    receptive field lies inside it (`padding` steps in from each end). A series
    too short for an interior keeps its whole length.
    """
    padded = ops.pad(valid, [[0, 0], [padding, padding]])
    interior = valid * padded[:, : -2 * padding] * padded[:, 2 * padding :]
    has_interior = ops.sum(interior, axis=1, keepdims=True) > 0
    interior = ops.where(has_interior, interior, valid)
    parity = (dilation_index % 2 + np.arange(plan.NUM_KERNELS)) % 2
    use_interior = ops.convert_to_tensor(parity.astype("float32"))
    return (
        ops.expand_dims(valid, -1) * (1.0 - use_interior)
        + ops.expand_dims(interior, -1) * use_interior
    )


def _static_step_weights(time, dilation_index, padding):
    """`_step_weights` of a series without padding, in NumPy: `(84, time, 1)`.

    Computed while tracing, so it is not a tensor op: the graph holds one
    constant per dilation in place of the ops that build it from the mask.
    """
    steps = np.arange(time)
    interior = ((steps >= padding) & (steps < time - padding)).astype("float32")
    if not interior.any():
        interior = np.ones(time, "float32")
    parity = (dilation_index % 2 + np.arange(plan.NUM_KERNELS)) % 2
    weights = np.where(parity[:, None] == 1, interior[None], 1.0)
    return weights[..., None].astype("float32")
