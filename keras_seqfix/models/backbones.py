"""Per-frame backbones for `build_cnn_lstm`: built-in, `keras.applications`, user's.

ImageNet weights are never downloaded here: `backbone_weights="imagenet"` looks for
the file Keras caches under `$KERAS_HOME/models` (default `~/.keras/models`) and
raises an error that says how to get it when it is not there.
"""

import os
import re

import keras

BACKBONE_LAYER_NAME = "frame_backbone"


def small_cnn(frame_shape, *, name="small_cnn"):
    """A small convolutional frame encoder that trains from scratch.

    Three Conv2D (32/64/128 filters, 3x3) + BatchNormalization + ReLU blocks, the
    first two followed by 2x2 max pooling, and global average pooling: a
    `(height, width, channels)` frame becomes a 128-vector.
    """
    inputs = keras.Input(shape=frame_shape)
    x = inputs
    for i, filters in enumerate((32, 64, 128)):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization(momentum=0.9)(x)
        x = keras.layers.Activation("relu")(x)
        if i < 2:
            x = keras.layers.MaxPooling2D(2, padding="same")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, x, name=name)


def _application_names():
    return sorted(
        n for n in dir(keras.applications) if n[:1].isupper() and not n.startswith("_")
    )


def _weights_cache_dir():
    home = os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )
    return os.path.join(home, "models")


def _squash(text):
    return re.sub(r"[^a-z0-9]", "", text.lower())


def cached_imagenet_weights(name):
    """Path of the cached no-top ImageNet weights of application `name`, or None."""
    directory = _weights_cache_dir()
    if not os.path.isdir(directory):
        return None
    key = _squash(name)
    # Skip files of a longer application name that contains this one
    # (ResNet50 vs ResNet50V2).
    longer = [_squash(n) for n in _application_names() if key in _squash(n)]
    longer = [n for n in longer if n != key]
    for filename in sorted(os.listdir(directory)):
        squashed = _squash(filename)
        if (
            key in squashed
            and "notop" in squashed
            and not any(n in squashed for n in longer)
            and not _other_variant(filename)
        ):
            return os.path.join(directory, filename)
    return None


#: Width multipliers other than 1.0 in the cached MobileNet file names
#: (`..._v3_small_224_0.75_float_no_top_v2.h5`, `..._v2_..._0.35_224_no_top.h5`,
#: v1's `mobilenet_7_5_224_tf_no_top.h5`): `make_backbone` builds alpha 1.0.
_OTHER_ALPHA = re.compile(r"(?<![0-9.])(0\.35|0\.5|0\.75|1\.3|1\.4)(?![0-9])")
_OTHER_ALPHA_V1 = re.compile(r"mobilenet_(2_5|5_0|7_5)_")


def _other_variant(filename):
    """Whether a cached file holds a variant the builder does not build."""
    name = filename.lower()
    return (
        "minimalistic" in name
        or bool(_OTHER_ALPHA.search(name))
        or bool(_OTHER_ALPHA_V1.search(name))
    )


def _check_weights(backbone_weights):
    if backbone_weights is None or backbone_weights == "imagenet":
        return
    if not isinstance(backbone_weights, str | os.PathLike):
        raise TypeError(
            "`backbone_weights` should be None, 'imagenet' or a path to a weights "
            f"file. Received: backbone_weights={backbone_weights!r}"
        )
    if not os.path.exists(backbone_weights):
        raise ValueError(
            "`backbone_weights` should be None, 'imagenet' or the path of an "
            f"existing weights file. Received: backbone_weights={backbone_weights!r} "
            "(no such file)"
        )


def _check_frame_shape(backbone, frame_shape):
    """A user's backbone should take one frame of `frame_shape`."""
    try:
        shapes = backbone.inputs
    except (AttributeError, ValueError):
        return  # a Sequential without an Input: TimeDistributed builds it
    shapes = shapes if isinstance(shapes, list) else []
    if len(shapes) != 1:
        raise ValueError(
            "`backbone` should take one input, a frame (height, width, channels). "
            f"Received: a model with {len(shapes)} inputs."
        )
    expected = tuple(shapes[0].shape[1:])
    fits = len(expected) == len(frame_shape) and all(
        a is None or b is None or a == b
        for a, b in zip(expected, frame_shape, strict=True)
    )
    if not fits:
        raise ValueError(
            f"`backbone` takes frames of shape {expected}, but `input_shape` gives "
            f"frames of shape {tuple(frame_shape)}. Pass input_shape=(frames, "
            f"{', '.join(str(d) for d in expected)}) with frames resized to match, "
            "or a backbone built for these frames."
        )


def make_backbone(backbone, frame_shape, backbone_weights):
    """Return `(model, has_pretrained_weights)` for a per-frame backbone."""
    _check_weights(backbone_weights)
    if isinstance(backbone, keras.Model):
        if backbone_weights == "imagenet":
            raise ValueError(
                "`backbone_weights='imagenet'` needs `backbone` to be a "
                "keras.applications name; a keras.Model brings its own weights. "
                "Pass backbone_weights=None or a weights file path."
            )
        _check_frame_shape(backbone, frame_shape)
        # A copy: freezing or fine-tuning must not change the caller's model.
        model = keras.models.clone_model(backbone)
        model.set_weights(backbone.get_weights())
        if backbone_weights is not None:
            model.load_weights(os.fspath(backbone_weights))
        return model, True
    if not isinstance(backbone, str):
        raise TypeError(
            "`backbone` should be 'small_cnn', a keras.applications name such as "
            f"'EfficientNetB0', or a keras.Model. Received: backbone={backbone!r}"
        )
    if backbone == "small_cnn":
        if backbone_weights == "imagenet":
            raise ValueError(
                "`backbone_weights='imagenet'` is not available for "
                "backbone='small_cnn', which trains from scratch. Use a "
                "keras.applications name, or backbone_weights=None."
            )
        model = small_cnn(frame_shape)
        if backbone_weights is not None:
            model.load_weights(os.fspath(backbone_weights))
        return model, backbone_weights is not None
    names = _application_names()
    if backbone not in names:
        raise ValueError(
            "`backbone` should be 'small_cnn', a keras.applications model name or "
            f"a keras.Model. Received: backbone={backbone!r}. Available names: "
            f"{', '.join(names)}"
        )
    weights = backbone_weights
    if backbone_weights == "imagenet":
        # Checked here, before Keras would try to download the file.
        weights = cached_imagenet_weights(backbone)
        if weights is None:
            raise ValueError(
                f"`backbone_weights='imagenet'`: no cached ImageNet weights for "
                f"{backbone} in {_weights_cache_dir()}, and keras_seqfix never "
                "downloads. On a machine with network access run "
                f"`keras.applications.{backbone}(include_top=False, "
                "weights='imagenet')` once, which saves the file under "
                "~/.keras/models/; copy that file here (into that folder, or "
                "anywhere) and pass its path: backbone_weights='/path/to/file.h5'."
            )
    application = getattr(keras.applications, backbone)
    model = application(
        include_top=False,
        weights=None if weights is None else os.fspath(weights),
        input_shape=tuple(frame_shape),
        pooling="avg",
    )
    return model, weights is not None
