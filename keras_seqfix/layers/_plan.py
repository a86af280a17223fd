"""Turn a list of Keras image augmentation layers into a fast per-sequence plan.

A plan is a list of steps run on a `(batch, frames, H, W, C)` tensor:

- `("warp", layers, crop, sampling)`: consecutive geometric layers (flip, rotation,
  zoom, translation, shear) that sample alike, optionally ended by a crop. Their
  matrices are composed into one per sequence and the frames are warped once.
- `("flip", layer)`: a lone `RandomFlip`, done with a flip and a select (no warp).
- `("crop", crop)`: a lone crop, done as an integer-offset warp then a static slice.
- `("pixel", layer)`: an elementwise (photometric) layer, `RandomContrast` or
  `RandomBrightness`, run by the layer's own `transform_images` on the 5-D tensor with
  one factor per sequence broadcast over the frames.
"""

import keras

from keras_seqfix.layers import _affine

PHOTOMETRIC = (keras.layers.RandomContrast, keras.layers.RandomBrightness)
SUPPORTED = (*_affine.GEOMETRIC, keras.layers.RandomCrop, *PHOTOMETRIC)
# Integer crop offsets are exact under nearest sampling and it is the cheapest.
CROP_SAMPLING = ("nearest", "constant", 0.0)
FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


def check_layer(layer):
    """Raise a `TypeError`/`ValueError` unless `layer` can be applied per sequence."""
    if not isinstance(layer, SUPPORTED):
        names = ", ".join(f"keras.layers.{cls.__name__}" for cls in SUPPORTED)
        raise TypeError(
            "`layers` should hold Keras image augmentation layers among "
            f"{names}. Received: {layer!r}. For other per-image layers, apply them "
            "to single images before stacking frames, or wrap them in "
            "`keras.layers.TimeDistributed` if a draw per frame is what you want."
        )
    data_format = getattr(layer, "data_format", "channels_last")
    if data_format != "channels_last":
        raise ValueError(
            "`layers` should use data_format='channels_last' (input "
            f"(batch, frames, H, W, C)). Received: {layer.name} with "
            f"data_format={data_format!r}. Create the layer with "
            "data_format='channels_last'."
        )


def build_plan(layers):
    """Group `layers` (already checked) into plan steps, preserving their order."""
    plan, group, sampling = [], [], None

    def close(crop=None):
        nonlocal group, sampling
        if group and all(isinstance(lay, keras.layers.RandomFlip) for lay in group):
            plan.extend(("flip", lay) for lay in group)
            if crop is not None:
                plan.append(("crop", crop))
        elif group:
            plan.append(("warp", list(group), crop, sampling))
        elif crop is not None:
            plan.append(("crop", crop))
        group, sampling = [], None

    for layer in layers:
        if isinstance(layer, _affine.GEOMETRIC):
            info = _affine.warp_info(layer)
            if info is not None and sampling is not None and info != sampling:
                close()
            if info is not None:
                sampling = info
            group.append(layer)
        elif isinstance(layer, keras.layers.RandomCrop):
            close(crop=layer)
        else:
            close()
            plan.append(("pixel", layer))
    close()
    return plan


def shortcut_layers(
    *,
    flip,
    rotation,
    zoom,
    translation,
    shear,
    crop,
    contrast,
    brightness,
    geometry,
    value_range,
):
    """Keras layers for `SequenceAugmentation`'s keyword shortcuts, in their order."""
    geo = geometry
    made = []
    if flip is not None:
        if flip not in FLIP_MODES:
            raise ValueError(
                f"`flip` should be one of {FLIP_MODES} or None. Received: flip={flip!r}"
            )
        made.append(keras.layers.RandomFlip(flip))
    if rotation is not None:
        made.append(keras.layers.RandomRotation(rotation, **geo))
    if zoom is not None:
        made.append(keras.layers.RandomZoom(zoom, **geo))
    if translation is not None:
        h, w = _pair(translation, "translation")
        made.append(keras.layers.RandomTranslation(h, w, **geo))
    if shear is not None:
        x, y = _pair(shear, "shear")
        made.append(keras.layers.RandomShear(x, y, **geo))
    if crop is not None:
        if len(crop) != 2:
            raise ValueError(
                f"`crop` should be (height, width). Received: crop={crop!r}"
            )
        made.append(keras.layers.RandomCrop(*crop))
    if contrast is not None:
        made.append(keras.layers.RandomContrast(contrast, value_range=value_range))
    if brightness is not None:
        made.append(keras.layers.RandomBrightness(brightness, value_range=value_range))
    return made


def _pair(value, name):
    if isinstance(value, (int, float)):
        return value, value
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return tuple(value)
    raise ValueError(
        f"`{name}` should be a number or a pair of numbers. Received: {name}={value!r}"
    )
