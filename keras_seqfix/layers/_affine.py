"""Affine matrices in Keras's 8-parameter form, and their composition.

`keras.ops.image.affine_transform` takes, per image, `[a0, a1, a2, b0, b1, b2, c0, c1]`
mapping an *output* pixel `(x, y)` to the *input* point
`((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)` with `k = c0 x + c1 y + 1`.
Keras's geometric layers each build such a matrix and warp once per layer. Applying
layer 1 then layer 2 reads `out2(p) = out1(T2 p) = in(T1 T2 p)`, so the whole chain is
one warp by the product `T1 @ T2 @ ...` (first layer leftmost). The matrices below are
the ones Keras's layers build (same centre, same sign conventions), rebuilt here from
the parameters their public `get_random_transformation` draws, because the builders on
the layers are private.
"""

import keras
from keras import ops

GEOMETRIC = (
    keras.layers.RandomFlip,
    keras.layers.RandomRotation,
    keras.layers.RandomZoom,
    keras.layers.RandomTranslation,
    keras.layers.RandomShear,
)


def to_3x3(matrix):
    """`(batch, 8)` Keras transform -> `(batch, 3, 3)` homogeneous matrix."""
    ones = ops.ones_like(matrix[:, :1])
    return ops.reshape(ops.concatenate([matrix, ones], axis=1), (-1, 3, 3))


def to_8(matrix):
    """`(batch, 3, 3)` homogeneous matrix -> `(batch, 8)` Keras transform."""
    flat = ops.reshape(matrix, (-1, 9))
    return flat[:, :8] / flat[:, 8:9]


def _rows(*columns):
    """Stack `(batch, 1)` columns into a `(batch, 8)` transform."""
    return ops.concatenate([ops.cast(c, "float32") for c in columns], axis=1)


def flip_matrix(flips, mode, height, width):
    """Keras `RandomFlip`: one boolean draw flips along every axis of `mode`."""
    flipped = ops.cast(ops.reshape(flips, (-1, 1)), "float32")
    zero = ops.zeros_like(flipped)
    sign_x = 1.0 - 2.0 * flipped if "horizontal" in mode else 1.0 - 0.0 * flipped
    sign_y = 1.0 - 2.0 * flipped if "vertical" in mode else 1.0 - 0.0 * flipped
    # x_in = (width - 1) - x_out when flipped: exact at integer pixel centres.
    shift_x = (1.0 - sign_x) / 2.0 * (float(width) - 1.0)
    shift_y = (1.0 - sign_y) / 2.0 * (float(height) - 1.0)
    return _rows(sign_x, zero, shift_x, zero, sign_y, shift_y, zero, zero)


def zoom_matrix(height_zoom, width_zoom, height, width):
    """Keras `RandomZoom._get_zoom_matrix`: zoom about the image centre."""
    zx = ops.cast(ops.reshape(width_zoom, (-1, 1)), "float32")
    zy = ops.cast(ops.reshape(height_zoom, (-1, 1)), "float32")
    zero = ops.zeros_like(zx)
    x_offset = (float(width) - 1.0) / 2.0 * (1.0 - zx)
    y_offset = (float(height) - 1.0) / 2.0 * (1.0 - zy)
    return _rows(zx, zero, x_offset, zero, zy, y_offset, zero, zero)


def translation_matrix(translations):
    """Keras `RandomTranslation._get_translation_matrix`; `(batch, 2)` as (dx, dy)."""
    dx = ops.cast(translations[:, 0:1], "float32")
    dy = ops.cast(translations[:, 1:2], "float32")
    one, zero = ops.ones_like(dx), ops.zeros_like(dx)
    return _rows(one, zero, -dx, zero, one, -dy, zero, zero)


def shear_matrix(shear_factor):
    """Keras `RandomShear._get_shear_matrix` (shear about the origin, as Keras does)."""
    sx = ops.cast(shear_factor[:, 0:1], "float32")
    sy = ops.cast(shear_factor[:, 1:2], "float32")
    one, zero = ops.ones_like(sx), ops.zeros_like(sx)
    return _rows(one, sx, zero, sy, one, zero, zero, zero)


def offset_matrix(row_start, col_start):
    """Integer crop offset: output pixel `(x, y)` reads input `(x + col, y + row)`."""
    dx = ops.cast(ops.reshape(col_start, (-1, 1)), "float32")
    dy = ops.cast(ops.reshape(row_start, (-1, 1)), "float32")
    one, zero = ops.ones_like(dx), ops.zeros_like(dx)
    return _rows(one, zero, dx, zero, one, dy, zero, zero)


def layer_matrix(layer, sample, seed, height, width):
    """Draw `layer`'s per-image parameters on `sample` and return its `(batch, 8)`.

    `sample` has shape `(batch, height, width, channels)`, one image per sequence:
    the draw goes through the layer's own `get_random_transformation`, so ranges and
    distributions are exactly Keras's.
    """
    from keras_seqfix._backend.private_api import transformation_parameters

    if not isinstance(layer, GEOMETRIC):
        raise TypeError(f"Not a geometric layer: {layer!r}")
    t = layer.get_random_transformation(sample, training=True, seed=seed)
    params = transformation_parameters(layer, t)  # its keys are not documented
    if isinstance(layer, keras.layers.RandomFlip):
        return flip_matrix(*params, layer.mode, height, width)
    if isinstance(layer, keras.layers.RandomRotation):
        return ops.cast(params[0], "float32")
    if isinstance(layer, keras.layers.RandomZoom):
        return zoom_matrix(*params, height, width)
    if isinstance(layer, keras.layers.RandomTranslation):
        return translation_matrix(*params)
    if isinstance(layer, keras.layers.RandomShear):
        return shear_matrix(*params)
    raise TypeError(f"Not a geometric layer: {layer!r}")


def compose(matrices):
    """Compose `(batch, 8)` transforms of layers applied in order into one."""
    total = to_3x3(matrices[0])
    for matrix in matrices[1:]:
        total = ops.matmul(total, to_3x3(matrix))
    return to_8(total)


def warp_info(layer):
    """How a layer samples: `(interpolation, fill_mode, fill_value)`.

    Consecutive layers that sample alike are composed into one warp; a layer that
    samples differently starts a new warp, so each keeps Keras's semantics.
    `RandomFlip` moves whole pixels and is exact under any sampling: `None`.
    """
    if isinstance(layer, keras.layers.RandomFlip):
        return None
    return (layer.interpolation, layer.fill_mode, float(layer.fill_value))
