"""TimeSeriesAugmentation: jitter, scaling, magnitude warp, time warp, window slice."""

import keras
from keras import ops

from keras_seqfix._backend.dtypes import augmentation_dtypes
from keras_seqfix._validation import (
    Integral,
    Interval,
    Real,
    check_layer_kwargs,
    validate_params,
)
from keras_seqfix.layers import _time_ops
from keras_seqfix.layers._numeric_inputs import NumericInputsMixin

_STD = [Interval(Real, 0, None, closed="left")]  # a finite standard deviation >= 0
# One declared place for the constructor's constraints (see `_validation`).
_CONSTRAINTS = {
    "jitter": _STD,
    "scaling": _STD,
    "magnitude_warp": _STD,
    "time_warp": _STD,
    "window_slice": [None, Interval(Real, 0, 1, closed="right")],
    "knots": [Interval(Integral, 1, None, closed="left")],
    "seed": [None, Interval(Integral, None, None)],
}


@keras.saving.register_keras_serializable(package="keras_seqfix")
class TimeSeriesAugmentation(NumericInputsMixin, keras.layers.Layer):
    """Augment numeric series with the transforms that keep their class.

    The transforms of Um et al. (2017, "Data augmentation of wearable sensor data
    for Parkinson's disease monitoring using convolutional neural networks") and of
    the survey by Iwana and Uchida (2021, "An empirical survey of data augmentation
    for time series classification with neural networks"). Each is off by default
    and drawn independently per sequence; enabled ones run in this order:

    - `window_slice=r`: a random window of `r` of the steps, stretched back to the
      full length by linear interpolation (Le Guennec et al. 2016).
    - `time_warp=s`: time runs at a smoothly varying speed, a random curve through
      `knots` points drawn from `N(1, s)`; the series is resampled accordingly.
    - `magnitude_warp=s`: each feature is multiplied by a smooth random curve through
      `knots` points drawn from `N(1, s)`.
    - `scaling=s`: each feature is multiplied by one factor drawn from `N(1, s)`.
    - `jitter=s`: Gaussian noise of standard deviation `s` is added.

    Padded steps are left alone: a step whose features are all exactly zero is
    padding. The noise and the factors are not applied to it, and the time warps
    resample only the span between each sequence's first and last non-padded step,
    so pre- and post-padding both keep their place. The identity at inference.

    Args:
        jitter (float): noise standard deviation, in the units of the data. Defaults to
            `0.0` (off).
        scaling (float): standard deviation of the per-feature factor. Defaults to
            `0.0`.
        magnitude_warp (float): standard deviation of the knots of the magnitude curve.
            Defaults to `0.0`.
        time_warp (float): standard deviation of the knots of the speed curve. Defaults
            to `0.0`.
        window_slice (float or None): fraction of the steps kept by the window, in
            `(0, 1]`, or `None` for off. Defaults to `None`.
        knots (int): number of inner knots of the random curves. Defaults to `4`.
        seed (int or None): integer seed for reproducible draws. Defaults to `None`.
        **kwargs (Any): base layer keyword arguments, such as `name` and `dtype`.

    Raises:
        ValueError: for a NaN, infinite or negative standard deviation, a
            `window_slice` outside `(0, 1]` or `knots` below 1.
        TypeError: for a non-numeric argument or an unknown keyword argument
            (the message lists the valid ones).

    Input shape:
        `(batch, time, features)`; `time` may be `None`.

    Output shape:
        Same as the input.

    Examples:
        >>> import numpy as np
        >>> import keras_seqfix as ksf
        >>> x = np.sin(np.linspace(0, 6, 50, dtype="float32")).reshape(1, 50, 1)
        >>> x = np.concatenate([x, np.zeros((1, 10, 1), "float32")], axis=1)  # padded
        >>> aug = ksf.layers.TimeSeriesAugmentation(jitter=0.05, time_warp=0.2, seed=0)
        >>> out = np.asarray(aug(x, training=True))
        >>> out.shape, bool(np.all(out[0, 50:] == 0))  # padding left alone
        ((1, 60, 1), True)
    """

    def __init__(
        self,
        *,
        jitter=0.0,
        scaling=0.0,
        magnitude_warp=0.0,
        time_warp=0.0,
        window_slice=None,
        knots=4,
        seed=None,
        **kwargs,
    ):
        validate_params(
            _CONSTRAINTS,
            {
                "jitter": jitter,
                "scaling": scaling,
                "magnitude_warp": magnitude_warp,
                "time_warp": time_warp,
                "window_slice": window_slice,
                "knots": knots,
                "seed": seed,
            },
            examples={
                "jitter": 0.05,
                "scaling": 0.1,
                "magnitude_warp": 0.2,
                "time_warp": 0.2,
                "window_slice": 0.9,
                "knots": 4,
                "seed": 0,
            },
        )
        check_layer_kwargs(self, kwargs)
        # Augmentation keeps the input's dtype under mixed precision policies
        # (see keras_seqfix._backend.dtypes): no autocast of the inputs.
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.jitter = float(jitter)
        self.scaling = float(scaling)
        self.magnitude_warp = float(magnitude_warp)
        self.time_warp = float(time_warp)
        self.window_slice = None if window_slice is None else float(window_slice)
        self.knots = int(knots)
        self.seed = None if seed is None else int(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                "`inputs` of `TimeSeriesAugmentation` should have shape (batch, time, "
                f"features). Received: input_shape={tuple(input_shape)}. Add a "
                "features axis of size 1 to univariate series."
            )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def compute_output_spec(self, inputs, training=True):
        _, output = augmentation_dtypes(inputs, self.compute_dtype)
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), output)

    def _normal(self, shape, stddev, mean=0.0):
        return keras.random.normal(
            shape, mean=mean, stddev=stddev, seed=self.seed_generator
        )

    def call(self, inputs, training=True):
        work, output = augmentation_dtypes(inputs, self.compute_dtype)
        x = ops.cast(inputs, work)
        if not training:
            return ops.cast(x, output)
        batch, time = ops.shape(x)[0], ops.shape(x)[1]
        features = x.shape[-1]
        first, last, mask = _time_ops.valid_span(x)
        steps = ops.cast(ops.arange(time), "float32")[None, :]
        span = ops.maximum(last - first, 1.0)
        u = ops.clip((steps - first) / span, 0.0, 1.0)  # (batch, time), 0..1 in span
        in_span = ops.expand_dims(ops.logical_and(steps >= first, steps <= last), -1)

        # The resampling position of each step: `first + offset + new_u * width`,
        # where window slicing picks `offset, width` and time warping bends `u`.
        offset, width, new_u = 0.0, span, u
        if self.window_slice is not None and self.window_slice < 1.0:
            width = self.window_slice * span
            offset = keras.random.uniform((batch, 1), seed=self.seed_generator) * (
                span - width
            )
        if self.time_warp:
            # A positive speed curve, integrated and rescaled to cover the span.
            knots = self._normal((batch, self.knots + 2, 1), self.time_warp, 1.0)
            speed = ops.maximum(_time_ops.smooth_curve(knots, u)[..., 0], 0.05)
            clock = ops.cumsum(ops.where(in_span[..., 0], speed, 0.0), axis=1)
            clock = clock - ops.min(
                ops.where(in_span[..., 0], clock, 1e9), axis=1, keepdims=True
            )
            new_u = clock / ops.maximum(ops.max(clock, axis=1, keepdims=True), 1e-6)
        if self.time_warp or (self.window_slice is not None and self.window_slice < 1):
            resampled = _time_ops.interpolate_time(x, first + offset + new_u * width)
            x = ops.where(in_span, resampled, x)
        if self.magnitude_warp:
            knots = self._normal(
                (batch, self.knots + 2, features), self.magnitude_warp, 1.0
            )
            curve = _time_ops.smooth_curve(knots, u)
            x = x * ops.where(mask > 0, curve, 1.0)
        if self.scaling:
            factor = self._normal((batch, 1, features), self.scaling, 1.0)
            x = x * ops.where(mask > 0, factor, 1.0)
        if self.jitter:
            x = x + self._normal(ops.shape(x), self.jitter) * mask
        return ops.cast(x, output)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "jitter": self.jitter,
                "scaling": self.scaling,
                "magnitude_warp": self.magnitude_warp,
                "time_warp": self.time_warp,
                "window_slice": self.window_slice,
                "knots": self.knots,
                "seed": self.seed,
            }
        )
        return config
