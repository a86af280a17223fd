"""TemporalAugmentation: random temporal crop, shift, stride and frame dropout."""

import keras
from keras import ops

from keras_seqfix._backend.dtypes import augmentation_dtypes
from keras_seqfix._validation import (
    Integral,
    Interval,
    Options,
    Real,
    check_layer_kwargs,
    validate_params,
)
from keras_seqfix.layers import _time_ops

FILLS = ("previous", "zeros")

_COUNT = Interval(Integral, 0, None, closed="left")
_CONSTRAINTS = {
    "crop_length": [None, Interval(Integral, 1, None, closed="left")],
    "max_shift": [_COUNT],
    "frame_dropout": [Interval(Real, 0, 1, closed="left")],
    "stride_jitter": [_COUNT],
    "fill": [Options(str, FILLS)],
    "seed": [None, Interval(Integral, None, None)],
    "sequence_rank": [None, Interval(Integral, 1, None, closed="left")],
}


@keras.saving.register_keras_serializable(package="keras_seqfix")
class TemporalAugmentation(keras.layers.Layer):
    """Augment sequences along time: random crop, shift, stride and frame dropout.

    Works on any `(batch, time, ...)` input (clips, time series, embeddings). Each
    sequence gets its own draw; the content of the frames is never changed, only
    which frames appear where. In order:

    1. Crop (`crop_length`): a window of `crop_length` steps at a random start
       (temporal jitter). With `stride_jitter=k` the window reads every `s`-th step,
       `s` drawn from `1, ..., 1 + k` per sequence (playback speed). Inputs with
       fewer steps than `crop_length` raise a `ValueError` when the number of
       steps is known at call time; when it is only known at run time
       (variable-length elements in a `tf.data` map), steps past the end repeat
       the last step.
    2. Shift (`max_shift`): the sequence moves by `k` steps, `k` drawn from
       `[-max_shift, max_shift]`; the steps shifted in repeat the first or last step.
    3. Frame dropout (`frame_dropout`): each output step is dropped with this
       probability. `fill="previous"` (default) repeats the last kept step, like a
       stalled camera, and the first step is always kept; `fill="zeros"` zeroes the
       dropped steps. No Keras mask is produced: a zero step behind `Masking` would
       be skipped, otherwise it is seen as a black frame.

    At inference (`training=False`) the layer is the identity, except that
    `crop_length` takes the central window so that shapes match training. Apply it
    before padding variable-length sequences, since it treats padded steps as
    steps: in a `tf.data` map over single sequences, pass `sequence_rank` (2 for
    `(time, features)`) so that each element is read as one sequence, not as a
    batch.

    One sequence without its batch axis is augmented as a batch of one and
    returned without it: always with `sequence_rank`, and otherwise when its rank
    is one less than the rank the layer was built with (e.g. inside a model).

    Args:
        crop_length (int or None): length of the random window, or `None` for no crop.
            Defaults to `None`.
        max_shift (int): largest shift in steps. Defaults to `0`.
        frame_dropout (float): probability of dropping each step. Defaults to `0.0`.
        stride_jitter (int): largest extra stride of the crop window; needs
            `crop_length`. Defaults to `0`.
        fill ('"previous" | "zeros"'): how dropped steps are filled, `"previous"` or
            `"zeros"`. Defaults to `"previous"`.
        seed (int or None): integer seed for reproducible draws. Defaults to `None`.
        sequence_rank (int or None): rank of one sequence without the batch axis (1 for
            `(time,)` token ids, 2 for `(time, features)` series, 4 for
            `(frames, height, width, channels)` clips). Inputs of this rank are
            one sequence, inputs of one more a batch, any other rank an error.
            `None` reads every input as `(batch, time, ...)`, except one of rank
            one less than the layer was built with. Defaults to `None`.
        **kwargs (Any): base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        `(batch, time, ...)`, or `(time, ...)` for one sequence (see
        `sequence_rank`); `time` may be `None`.

    Output shape:
        `(batch, crop_length, ...)` with a crop, else the input shape (without
        the batch axis for one sequence).

    Raises:
        ValueError: for bad arguments, an input of rank below 2 that is not one
            sequence, an input rank that does not match `sequence_rank`, or
            inputs with fewer steps than `crop_length`.

    Examples:
        >>> import numpy as np
        >>> import keras_seqfix as ksf
        >>> steps = np.arange(10, dtype="float32").reshape(1, 10, 1)
        >>> aug = ksf.layers.TemporalAugmentation(crop_length=4, seed=0)
        >>> np.asarray(aug(steps, training=False))[0, :, 0]  # central window
        array([3., 4., 5., 6.], dtype=float32)
        >>> out = np.asarray(aug(steps, training=True))[0, :, 0]
        >>> bool(np.all(np.diff(out) == 1))  # a contiguous window at a random start
        True
        >>> one = ksf.layers.TemporalAugmentation(crop_length=4, sequence_rank=2)
        >>> tuple(one(np.zeros((10, 2), "float32")).shape)  # one (time, features)
        (4, 2)
    """

    def __init__(
        self,
        *,
        crop_length=None,
        max_shift=0,
        frame_dropout=0.0,
        stride_jitter=0,
        fill="previous",
        seed=None,
        sequence_rank=None,
        **kwargs,
    ):
        check_layer_kwargs(self, kwargs)  # lists the valid names
        # Augmentation keeps the input's dtype under mixed precision policies
        # (see keras_seqfix._backend.dtypes): no autocast of the inputs.
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        validate_params(
            _CONSTRAINTS,
            {
                "crop_length": crop_length,
                "max_shift": max_shift,
                "frame_dropout": frame_dropout,
                "stride_jitter": stride_jitter,
                "fill": fill,
                "seed": seed,
                "sequence_rank": sequence_rank,
            },
            examples={"crop_length": 16, "max_shift": 2, "stride_jitter": 1},
        )
        if stride_jitter and crop_length is None:
            raise ValueError(
                "`stride_jitter` needs `crop_length` (the window the stride reads). "
                f"Received: stride_jitter={stride_jitter!r}, crop_length=None. "
                "Pass e.g. crop_length=16."
            )
        self.crop_length = None if crop_length is None else int(crop_length)
        self.max_shift = int(max_shift)
        self.frame_dropout = float(frame_dropout)
        self.stride_jitter = int(stride_jitter)
        self.fill = fill
        self.seed = None if seed is None else int(seed)
        self.sequence_rank = None if sequence_rank is None else int(sequence_rank)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self._built_rank = None

    def build(self, input_shape):
        if self.sequence_rank is None and len(input_shape) >= 2:
            self._built_rank = len(input_shape)
        super().build(input_shape)

    def _one_sequence(self, shape):
        """Whether `shape` is one sequence (no batch axis); checks rank and steps."""
        shape = tuple(shape)
        rank = len(shape)
        if self.sequence_rank is not None:
            if rank not in (self.sequence_rank, self.sequence_rank + 1):
                raise ValueError(
                    f"With sequence_rank={self.sequence_rank}, the input should "
                    f"have rank {self.sequence_rank} (one sequence) or "
                    f"{self.sequence_rank + 1} (a batch of them). Received: input "
                    f"of shape {shape}. Fix: pass the rank of one sequence as "
                    "`sequence_rank`, or None for batches only."
                )
            one = rank == self.sequence_rank
        elif self._built_rank is not None and rank == self._built_rank - 1:
            one = True
        elif rank < 2:
            raise ValueError(
                "`inputs` of `TemporalAugmentation` should have shape (batch, time, ...), "
                f"rank 2 or more. Received: input of shape {shape}. Fix: add the "
                "batch axis (x[None]), or for one sequence pass its rank as "
                f"sequence_rank={max(rank, 1)}."
            )
        else:
            one = False
        steps = shape[0] if one else shape[1]
        crop = self.crop_length
        if crop is not None and steps is not None and steps < crop:
            hint = ""
            if self.sequence_rank is None and not one:
                hint = (
                    f" If the input is one sequence, pass sequence_rank={rank} so "
                    "that its first axis is time."
                )
            raise ValueError(
                "`crop_length` should be at most the number of steps. Received: "
                f"crop_length={crop} for an input of shape {shape}, read as "
                f"{'(time, ...)' if one else '(batch, time, ...)'}: {steps} steps."
                f" Fix: crop_length={steps} or less, or pad the sequences to {crop}"
                f" steps first (keras.utils.pad_sequences(x, maxlen={crop}, "
                f"padding='post')).{hint}"
            )
        return one

    def compute_output_shape(self, input_shape):
        one = self._one_sequence(input_shape)
        if self.crop_length is None:
            return tuple(input_shape)
        if one:
            return (self.crop_length, *input_shape[1:])
        return (input_shape[0], self.crop_length, *input_shape[2:])

    def compute_output_spec(self, inputs, training=True):
        dtype = keras.backend.standardize_dtype(inputs.dtype)
        if keras.backend.is_float_dtype(dtype):  # token ids stay integers
            dtype = augmentation_dtypes(inputs, self.compute_dtype)[1]
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype)

    def call(self, inputs, training=True):
        x = ops.convert_to_tensor(inputs)
        if keras.backend.is_float_dtype(x.dtype):  # token ids stay integers
            x = ops.cast(x, augmentation_dtypes(x, self.compute_dtype)[1])
        if self._one_sequence(x.shape):
            return ops.squeeze(self._augment(ops.expand_dims(x, 0), training), 0)
        return self._augment(x, training)

    def _augment(self, x, training):
        batch, time = ops.shape(x)[0], ops.shape(x)[1]
        last = ops.cast(time, "float32") - 1.0
        if not training:
            if self.crop_length is None:
                return x
            start = ops.maximum(ops.floor((last + 1.0 - self.crop_length) / 2.0), 0.0)
            steps = ops.cast(ops.arange(self.crop_length), "float32")
            index = ops.minimum(start + steps, last)[None, :]
            index = ops.broadcast_to(index, (batch, self.crop_length))
            return _time_ops.gather_time(x, ops.cast(index, "int32"))

        length = self.crop_length if self.crop_length is not None else time
        steps = ops.cast(ops.arange(length), "float32")[None, :]
        index = ops.broadcast_to(steps, (batch, length))
        if self.crop_length is not None:
            stride = ops.floor(
                keras.random.uniform(
                    (batch, 1), 1.0, 2.0 + self.stride_jitter, seed=self.seed_generator
                )
            )
            span = stride * (self.crop_length - 1) + 1.0
            room = ops.maximum(last + 1.0 - span, 0.0)
            start = ops.floor(
                keras.random.uniform((batch, 1), seed=self.seed_generator)
                * (room + 1.0)
            )
            index = start + stride * index
        if self.max_shift:
            shift = ops.floor(
                keras.random.uniform(
                    (batch, 1),
                    -self.max_shift,
                    self.max_shift + 1.0,
                    seed=self.seed_generator,
                )
            )
            index = index - shift
        index = ops.cast(ops.clip(index, 0.0, last), "int32")
        if not self.frame_dropout:
            return _time_ops.gather_time(x, index)

        keep = ops.greater_equal(
            keras.random.uniform(ops.shape(index), seed=self.seed_generator),
            self.frame_dropout,
        )
        if self.fill == "zeros":
            out = _time_ops.gather_time(x, index)
            keep = ops.reshape(ops.cast(keep, out.dtype), (batch, length))
            return out * ops.reshape(keep, (batch, length) + (1,) * (len(x.shape) - 2))
        # "previous": position of the last kept step at or before each step, a
        # running maximum written as a masked max over a lower-triangular (t, s).
        keep = ops.logical_or(keep, ops.equal(steps, 0.0))
        kept_at = ops.where(keep, steps, 0.0)
        before = ops.less_equal(steps[0][None, :], steps[0][:, None])  # (t, s)
        source = ops.max(ops.where(before[None], kept_at[:, None, :], 0.0), axis=-1)
        index = ops.take_along_axis(index, ops.cast(source, "int32"), axis=1)
        return _time_ops.gather_time(x, index)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "crop_length": self.crop_length,
                "max_shift": self.max_shift,
                "frame_dropout": self.frame_dropout,
                "stride_jitter": self.stride_jitter,
                "fill": self.fill,
                "seed": self.seed,
                "sequence_rank": self.sequence_rank,
            }
        )
        return config
