"""SequenceAugmentation: one random image transformation per sequence, all frames."""

import keras
from keras import ops

from keras_seqfix._backend.dtypes import augmentation_dtypes
from keras_seqfix._backend.private_api import (
    transformation_parameters,
    with_transformation_parameters,
)
from keras_seqfix._validation import (
    Integral,
    Interval,
    NumberOrPair,
    Options,
    Real,
    check_layer_kwargs,
    validate_params,
)
from keras_seqfix.layers import _affine, _plan
from keras_seqfix.layers._numeric_inputs import NumericInputsMixin


def _factor(low, high, closed="both"):
    """A Keras factor: a number in [low, high] or a pair of them; `None` is off."""
    return [None, NumberOrPair(Interval(Real, low, high, closed=closed))]


# One declared place for the constructor's constraints (see `_validation`). The
# factor ranges are those of the Keras layers behind the shortcuts, checked here
# so the error names our argument rather than Keras's `factor`.
_CONSTRAINTS = {
    "seed": [None, Interval(Integral, None, None)],
    "flip": [None, Options(str, _plan.FLIP_MODES)],
    "rotation": _factor(None, None),  # any finite fraction of a turn
    "zoom": _factor(-1, 1, closed="right"),
    "translation": _factor(-1, 1),
    "shear": _factor(0, 1),
    "crop": [
        None,
        NumberOrPair(Interval(Integral, 1, None, closed="left"), scalar=False),
    ],
    "contrast": _factor(0, 1),
    "brightness": _factor(-1, 1),
    "fill_mode": [Options(str, {"reflect", "wrap", "constant", "nearest"})],
    "interpolation": [Options(str, {"nearest", "bilinear"})],
    "fill_value": [Interval(Real, None, None)],
    "value_range": [NumberOrPair(Interval(Real, None, None), scalar=False)],
}
_EXAMPLES = {
    "seed": 0,
    "flip": "horizontal",
    "rotation": 0.1,
    "zoom": 0.2,
    "translation": 0.1,
    "shear": 0.1,
    "crop": (32, 32),
    "contrast": 0.2,
    "brightness": 0.2,
    "fill_mode": "reflect",
    "interpolation": "bilinear",
    "fill_value": 0.0,
    "value_range": (0, 255),
}


def _plain(factor):
    """A checked factor as Python floats (NumPy scalars are valid input too)."""
    if factor is None:
        return None
    if isinstance(factor, list | tuple):
        return tuple(float(f) for f in factor)
    return float(factor)


def _check_value_range(value_range):
    if not value_range[0] < value_range[1]:
        raise ValueError(
            "`value_range` should be a pair (low, high) with low < high. Received: "
            f"value_range={value_range!r}. Pass e.g. value_range=(0, 255) for "
            "8-bit pixels or (0, 1) for scaled ones."
        )


@keras.saving.register_keras_serializable(package="keras_seqfix")
class SequenceAugmentation(NumericInputsMixin, keras.layers.Layer):
    """Augment image sequences with one random transformation per sequence.

    `keras.layers.TimeDistributed(keras.layers.RandomRotation(...))` and the per-frame
    `ImageDataGenerator` loop draw a new transformation for every frame, which makes
    the content jump from frame to frame and destroys the motion a recurrent layer
    has to learn. This layer draws one transformation per sequence, through Keras's
    own layers' `get_random_transformation`, and applies it to every frame; sequences
    in a batch get independent draws.

    How it is fast: every Keras geometric layer is one full warp of every pixel.
    Consecutive geometric layers (flip, rotation, zoom, translation, shear, ending
    optionally in a crop) are composed into one affine matrix per sequence and the
    frames, folded into the batch axis (a free reshape), are warped once by
    `keras.ops.image.affine_transform` with the matrix repeated per frame. Folding
    into the batch beats stacking frames along channels, which needs two transposes
    (two more passes over the data) for the same warp. Composing also samples once
    instead of once per layer, so the result is sharper; geometric layers whose
    `interpolation`, `fill_mode` or `fill_value` differ are not composed, so each
    keeps Keras's semantics. Photometric layers (`RandomContrast`, `RandomBrightness`)
    run elementwise with one factor per sequence broadcast over the frames.

    A crop (`crop=(height, width)` or a `keras.layers.RandomCrop`) is drawn per
    sequence (Keras's `RandomCrop` uses one location for the whole batch). At
    inference it is a center crop of the same size, so shapes match between training
    and inference; everything else is the identity at inference.

    Args:
        layers (list of keras.layers.Layer or None): list of Keras image augmentation
            layers applied in order, among `RandomFlip`, `RandomRotation`, `RandomZoom`,
            `RandomTranslation`, `RandomShear`, `RandomCrop`, `RandomContrast`,
            `RandomBrightness`. Their own seeds are ignored: this layer's `seed` drives
            every draw. Defaults to `None` (no layers).
        seed (int or None): integer seed for reproducible draws. Defaults to `None`.
        flip ('"horizontal" | "vertical" | "horizontal_and_vertical" | None'): shortcut
            for `RandomFlip(mode)`: `"horizontal"`, `"vertical"` or
            `"horizontal_and_vertical"`. Defaults to `None` (off).
        rotation (float, tuple of float or None): shortcut for
            `RandomRotation(rotation)`, a fraction of a full turn or a `(low, high)`
            pair. Defaults to `None`.
        zoom (float, tuple of float or None): shortcut for `RandomZoom(zoom)` (aspect
            kept). Defaults to `None`.
        translation (float, tuple of float or None): shortcut for `RandomTranslation`: a
            fraction for both axes or `(height_factor, width_factor)`. Defaults to
            `None`.
        shear (float, tuple of float or None): shortcut for `RandomShear`: a fraction
            for both axes or `(x_factor, y_factor)`. Defaults to `None`.
        crop (tuple of int or None): `(height, width)` of a per-sequence random crop.
            Defaults to `None`.
        contrast (float, tuple of float or None): shortcut for
            `RandomContrast(contrast)`. Defaults to `None`.
        brightness (float, tuple of float or None): shortcut for
            `RandomBrightness(brightness)`. Defaults to `None`.
        fill_mode ('"reflect" | "wrap" | "constant" | "nearest"'): fill mode of the
            geometric shortcuts. Defaults to `"reflect"`.
        interpolation ('"bilinear" | "nearest"'): interpolation of the geometric
            shortcuts. Defaults to `"bilinear"`.
        fill_value (float): fill value when `fill_mode="constant"`. Defaults to `0.0`.
        value_range (tuple of float): pixel range for the contrast and brightness
            shortcuts. Defaults to `(0, 255)`.
        **kwargs (Any): base layer keyword arguments, such as `name` and `dtype`.

    Shortcuts are appended after `layers`, in the order flip, rotation, zoom,
    translation, shear, crop, contrast, brightness.

    Raises:
        ValueError: for a factor outside the range of the Keras layer behind its
            shortcut (`contrast` in `[0, 1]`, `brightness` and `translation` in
            `[-1, 1]`, `zoom` in `(-1, 1]`, `shear` in `[0, 1]`), NaN or infinity,
            an unknown `flip`, `fill_mode` or `interpolation`, or a `crop` or
            `value_range` that is not a pair.
        TypeError: for a non-numeric factor, a `layers` entry that is not a
            supported Keras layer, or an unknown keyword argument (the message
            lists the valid ones).

    Input shape:
        `(batch, frames, height, width, channels)`; `frames` may be `None`.

    Output shape:
        Same as the input, with `(height, width)` replaced by the crop size if any.

    Examples:
        >>> import numpy as np
        >>> import keras_seqfix as ksf
        >>> aug = ksf.layers.SequenceAugmentation(rotation=0.1, zoom=0.2, seed=0)
        >>> clip = np.repeat(np.random.rand(2, 1, 16, 16, 1), 4, axis=1)  # still frames
        >>> out = np.asarray(aug(clip, training=True))
        >>> out.shape, bool(np.allclose(out[:, 0], out[:, 3]))  # same transform per clip
        ((2, 4, 16, 16, 1), True)
    """

    def __init__(
        self,
        layers=None,
        *,
        seed=None,
        flip=None,
        rotation=None,
        zoom=None,
        translation=None,
        shear=None,
        crop=None,
        contrast=None,
        brightness=None,
        fill_mode="reflect",
        interpolation="bilinear",
        fill_value=0.0,
        value_range=(0, 255),
        **kwargs,
    ):
        validate_params(
            _CONSTRAINTS,
            {
                "seed": seed,
                "flip": flip,
                "rotation": rotation,
                "zoom": zoom,
                "translation": translation,
                "shear": shear,
                "crop": crop,
                "contrast": contrast,
                "brightness": brightness,
                "fill_mode": fill_mode,
                "interpolation": interpolation,
                "fill_value": fill_value,
                "value_range": value_range,
            },
            examples=_EXAMPLES,
        )
        _check_value_range(value_range)
        check_layer_kwargs(self, kwargs)
        if layers is not None and not isinstance(layers, (list, tuple)):
            raise TypeError(
                "`layers` should be a list of Keras image augmentation layers. "
                f"Received: layers={layers!r}. Pass e.g. "
                "layers=[keras.layers.RandomRotation(0.1)]."
            )
        # Augmentation keeps the input's dtype under mixed precision policies
        # (see keras_seqfix._backend.dtypes): no autocast of the inputs.
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.layers = list(layers) if layers is not None else None
        self.seed = None if seed is None else int(seed)
        self.flip = flip
        self.rotation = _plain(rotation)
        self.zoom = _plain(zoom)
        self.translation = _plain(translation)
        self.shear = _plain(shear)
        self.crop = tuple(int(c) for c in crop) if crop is not None else None
        self.contrast = _plain(contrast)
        self.brightness = _plain(brightness)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value
        self.value_range = tuple(value_range)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self._all_layers = [*(self.layers or []), *self._shortcut_layers()]
        for layer in self._all_layers:
            _plan.check_layer(layer)
        self._steps = _plan.build_plan(self._all_layers)
        self.supports_masking = False

    def _shortcut_layers(self):
        return _plan.shortcut_layers(
            flip=self.flip,
            rotation=self.rotation,
            zoom=self.zoom,
            translation=self.translation,
            shear=self.shear,
            crop=self.crop,
            contrast=self.contrast,
            brightness=self.brightness,
            geometry={
                "fill_mode": self.fill_mode,
                "interpolation": self.interpolation,
                "fill_value": self.fill_value,
            },
            value_range=self.value_range,
        )

    def build(self, input_shape):
        if len(input_shape) != 5 or None in tuple(input_shape[2:]):
            raise ValueError(
                "`inputs` of `SequenceAugmentation` should have shape (batch, frames, height, "
                "width, channels) with known height, width and channels. Received: "
                f"input_shape={tuple(input_shape)}. Add a frames axis to single "
                "images, or use keras.layers.Random* layers directly."
            )
        self._out_hw = self._output_hw(input_shape[2], input_shape[3])

    def _output_hw(self, height, width):
        for step in self._steps:
            crop = step[1] if step[0] == "crop" else None
            crop = step[2] if step[0] == "warp" else crop
            if crop is not None:
                if crop.height > height or crop.width > width:
                    raise ValueError(
                        "The crop size should fit in the frames. Received: crop="
                        f"({crop.height}, {crop.width}) for frames of "
                        f"({height}, {width}). Use a smaller crop."
                    )
                height, width = crop.height, crop.width
        return height, width

    def compute_output_shape(self, input_shape):
        height, width = self._output_hw(input_shape[2], input_shape[3])
        return (input_shape[0], input_shape[1], height, width, input_shape[4])

    def compute_output_spec(self, inputs, training=True):
        _, output = augmentation_dtypes(inputs, self.compute_dtype)
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), output)

    def call(self, inputs, training=True):
        work, output = augmentation_dtypes(inputs, self.compute_dtype)
        x = ops.cast(inputs, work)
        if not training:
            return ops.cast(self._center_crops(x), output)
        height, width, channels = x.shape[2], x.shape[3], x.shape[4]
        batch, frames = ops.shape(x)[0], ops.shape(x)[1]
        for step in self._steps:
            kind = step[0]
            sample = x[:, 0]  # one frame per sequence: the draws have batch `batch`
            if kind == "pixel":
                layer = step[1]
                t = layer.get_random_transformation(
                    sample, training=True, seed=self.seed_generator
                )
                t = {k: ops.expand_dims(v, 1) for k, v in t.items()}
                x = ops.cast(x, layer.compute_dtype)  # the dtype of its draws
                x = layer.transform_images(x, t, training=True)
            elif kind == "flip":
                layer = step[1]
                t = layer.get_random_transformation(
                    sample, training=True, seed=self.seed_generator
                )
                (flips,) = transformation_parameters(layer, t)  # undocumented key
                t = with_transformation_parameters(
                    layer, t, (ops.expand_dims(flips, 1),)
                )
                x = layer.transform_images(x, t, training=True)
            else:
                layers, crop = (step[1], step[2]) if kind == "warp" else ([], step[1])
                sampling = step[3] if kind == "warp" else _plan.CROP_SAMPLING
                matrices = [
                    _affine.layer_matrix(
                        lay, sample, self.seed_generator, height, width
                    )
                    for lay in layers
                ]
                if crop is not None:
                    matrices.append(self._crop_offsets(batch, height, width, crop))
                matrix = _affine.compose(matrices) if len(matrices) > 1 else matrices[0]
                # One matrix per sequence, repeated for each of its frames.
                # A fresh tensor (ops.copy): the torch backend's affine_transform
                # writes into the matrix it is given, which a broadcast view of a
                # batch of one would share between frames.
                matrix = ops.copy(
                    ops.reshape(
                        ops.broadcast_to(matrix[:, None, :], (batch, frames, 8)),
                        (-1, 8),
                    )
                )
                folded = ops.reshape(x, (-1, height, width, channels))
                folded = ops.image.affine_transform(
                    folded,
                    matrix,
                    interpolation=sampling[0],
                    fill_mode=sampling[1],
                    fill_value=sampling[2],
                    data_format="channels_last",
                )
                if crop is not None:
                    height, width = crop.height, crop.width
                    folded = folded[:, :height, :width, :]
                x = ops.reshape(folded, (batch, frames, height, width, channels))
            x = ops.cast(x, work)
        return ops.cast(x, output)

    def _crop_offsets(self, batch, height, width, crop):
        """Per-sequence random top-left corner of the crop, as an offset matrix."""
        rows = keras.random.randint(
            (batch,), 0, height - crop.height + 1, seed=self.seed_generator
        )
        cols = keras.random.randint(
            (batch,), 0, width - crop.width + 1, seed=self.seed_generator
        )
        return _affine.offset_matrix(rows, cols)

    def _center_crops(self, x):
        height, width = x.shape[2], x.shape[3]
        out_h, out_w = self._output_hw(height, width)
        if (out_h, out_w) == (height, width):
            return x
        top, left = (height - out_h) // 2, (width - out_w) // 2
        return x[:, :, top : top + out_h, left : left + out_w, :]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "layers": None
                if self.layers is None
                else [keras.saving.serialize_keras_object(lay) for lay in self.layers],
                "seed": self.seed,
                "flip": self.flip,
                "rotation": self.rotation,
                "zoom": self.zoom,
                "translation": self.translation,
                "shear": self.shear,
                "crop": self.crop,
                "contrast": self.contrast,
                "brightness": self.brightness,
                "fill_mode": self.fill_mode,
                "interpolation": self.interpolation,
                "fill_value": self.fill_value,
                "value_range": self.value_range,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("layers") is not None:
            config["layers"] = [
                keras.saving.deserialize_keras_object(lay) for lay in config["layers"]
            ]
        return cls(**config)
