"""Per-sequence gathers, interpolation and smooth random curves along the time axis.

Written with `keras.ops` only. Keras has no per-sample time resampling op, so these
are written here by hand: a flat `take` with per-sequence offsets does the gather on
every backend, and linear interpolation is two gathers and a blend.
"""

from keras import ops


def gather_time(x, indices):
    """`out[b, t] = x[b, indices[b, t]]` for `x` of shape `(batch, time, ...)`.

    `indices` is an integer tensor of shape `(batch, length)` with values in
    `[0, time)`. Returns `(batch, length, ...)`.
    """
    shape = ops.shape(x)
    batch, time = shape[0], shape[1]
    rest = tuple(x.shape[2:])
    offsets = ops.reshape(ops.arange(batch, dtype="int32") * time, (-1, 1))
    flat_index = ops.reshape(ops.cast(indices, "int32") + offsets, (-1,))
    flat = ops.reshape(x, (-1, *rest)) if rest else ops.reshape(x, (-1,))
    out = ops.take(flat, flat_index, axis=0)
    return ops.reshape(out, (batch, -1, *rest))


def interpolate_time(x, positions):
    """Linear interpolation of `x` `(batch, time, features)` at float `positions`.

    `positions` has shape `(batch, length)`, clipped to `[0, time - 1]`.
    """
    time = ops.cast(ops.shape(x)[1], "float32")
    positions = ops.clip(ops.cast(positions, "float32"), 0.0, time - 1.0)
    low = ops.floor(positions)
    high = ops.minimum(low + 1.0, time - 1.0)
    weight = ops.expand_dims(positions - low, -1)
    x_low = gather_time(x, ops.cast(low, "int32"))
    x_high = gather_time(x, ops.cast(high, "int32"))
    return x_low * (1.0 - weight) + x_high * weight


def smooth_curve(knots, u):
    """Catmull-Rom cubic through `knots` `(batch, K, F)`, evaluated at `u` in [0, 1].

    `u` has shape `(batch, length)`; the knots sit at `u = 0, 1/(K-1), ..., 1`.
    Returns `(batch, length, F)`. Um et al. (2017) use a cubic spline through random
    knots; Catmull-Rom is the local, C1-smooth cubic that needs no linear solve.
    """
    num_knots = knots.shape[1]
    features = knots.shape[2]
    scaled = ops.clip(u, 0.0, 1.0) * (num_knots - 1)
    segment = ops.minimum(ops.floor(scaled), num_knots - 2)
    frac = ops.expand_dims(scaled - segment, -1)
    segment = ops.cast(segment, "int32")

    def knot(offset):
        index = ops.clip(segment + offset, 0, num_knots - 1)
        index = ops.broadcast_to(
            ops.expand_dims(index, -1), (*ops.shape(index), features)
        )
        return ops.take_along_axis(knots, index, axis=1)

    p0, p1, p2, p3 = knot(-1), knot(0), knot(1), knot(2)
    return 0.5 * (
        2.0 * p1
        + (p2 - p0) * frac
        + (2.0 * p0 - 5.0 * p1 + 4.0 * p2 - p3) * frac**2
        + (3.0 * p1 - p0 - 3.0 * p2 + p3) * frac**3
    )


def valid_span(x):
    """First and last non-padded step of each sequence, and the step mask.

    A step is padding when all its features are exactly zero. Returns
    `(first, last, mask)` with `first`, `last` float `(batch, 1)` and `mask` float
    `(batch, time, 1)`. A sequence that is all padding gets `first = last = 0`.
    """
    mask = ops.any(ops.not_equal(x, 0), axis=-1)
    steps = ops.cast(ops.arange(ops.shape(x)[1]), "float32")[None, :]
    big = 1e9
    first = ops.min(ops.where(mask, steps, big), axis=1, keepdims=True)
    last = ops.max(ops.where(mask, steps, -1.0), axis=1, keepdims=True)
    empty = ops.less(last, 0.0)
    first = ops.where(empty, 0.0, first)
    last = ops.where(empty, 0.0, last)
    return first, last, ops.expand_dims(ops.cast(mask, x.dtype), -1)
