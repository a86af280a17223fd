"""Array checks in the style of `keras_seqfix._validation`: finite numbers, token ids.

Both name the argument, count what is wrong and show where (the first rows), and
say how to fix it, instead of letting NaN spread into a model's weights or an id
fail deep inside an Embedding lookup.
"""

import numpy as np


def _format(value):
    text = f"{value:g}" if isinstance(value, float | np.floating) else str(value)
    return text.replace("inf", "infinity")


def _where(mask):
    rows = np.flatnonzero(mask.reshape(mask.shape[0], -1).any(axis=1))
    return rows[:5].tolist()


def check_finite_array(name, value, *, fix=None):
    """`value` as a NumPy array of finite numbers, or an error naming `name`.

    Raises:
        TypeError: if the values are not numbers (strings, objects).
        ValueError: if they hold NaN or infinity (the count, the first rows and
            `fix`, which defaults to how to find and drop them).
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"`{name}` should be a numeric array. Received: an object of type "
            f"{type(value).__name__} that NumPy cannot read as one ({exc})."
        ) from exc
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"`{name}` should be a numeric array. Received: dtype {array.dtype} "
            f"(type {type(value).__name__})."
        )
    if array.dtype.kind == "f":
        bad = ~np.isfinite(array)
        if bad.any():
            rows = _where(bad) if array.ndim else []
            fix = fix or (
                f"Find them with `np.argwhere(~np.isfinite({name}))` and fill or "
                "drop them (e.g. `np.nan_to_num`)."
            )
            raise ValueError(
                f"`{name}` should hold finite numbers. Received: {int(bad.sum())} "
                f"NaN/inf value(s) (first at rows {rows}). {fix}"
            )
    return array


def check_token_ids(name, value, *, vocab_size):
    """`value` as integer token ids in `[0, vocab_size)`, or an error naming `name`.

    Floats are accepted when they are whole numbers (`ids.astype("float32")`);
    fractional floats, NaN and ids outside the vocabulary are refused instead
    of being truncated or failing deep inside the Embedding lookup.
    """
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"`{name}` should hold integer token ids in [0, {vocab_size}). "
            f"Received: dtype {array.dtype}. Fix: map tokens to ids with "
            "`keras.layers.StringLookup` or `keras.layers.TextVectorization`."
        )
    if array.dtype.kind == "f":
        finite = np.isfinite(array)
        fractional = ~finite | (
            finite & (array != np.round(np.where(finite, array, 0)))
        )
        if fractional.any():
            examples = array[fractional][:3].tolist()
            raise ValueError(
                f"`{name}` should hold integer token ids in [0, {vocab_size}). "
                f"Received: {int(fractional.sum())} non-integral value(s) such as "
                f"{examples} (first at rows {_where(fractional)}); they would be "
                "truncated to another token. Fix: pass the integer ids themselves "
                "(floats are fine when they are whole numbers)."
            )
    if array.size:
        low, high = array.min(), array.max()
        if low < 0 or high >= vocab_size:
            outside = (array < 0) | (array >= vocab_size)
            if low < 0:
                fix = (
                    "Token ids cannot be negative: map them to ids in "
                    f"[1, {vocab_size}) (0 is padding)."
                )
            else:
                fix = (
                    f"Pass vocab_size={int(high) + 1} or larger, or map unknown "
                    f"tokens to a reserved id below {vocab_size} (0 is padding)."
                )
            raise ValueError(
                f"`{name}` should hold integer token ids in [0, {vocab_size}) "
                f"(vocab_size={vocab_size}). Received: ids from {_format(low)} to "
                f"{_format(high)}, {int(outside.sum())} outside (first at rows "
                f"{_where(outside)}). {fix}"
            )
    return array


def check_numeric_inputs(owner, inputs):
    """Refuse `inputs` of a layer that are strings.

    Called before the first cast would fail deep inside the backend ("Cast
    string to float is not supported"); the augmentation layers call it from
    `__call__` (`keras_seqfix.layers._numeric_inputs`), before Keras converts
    the inputs. NumPy string arrays (`<U1`) count as strings.
    """
    import keras

    kind = getattr(getattr(inputs, "dtype", None), "kind", None)
    try:
        dtype = keras.backend.standardize_dtype(inputs.dtype)
    except (AttributeError, ValueError):
        if kind not in ("U", "S"):  # NumPy's str and bytes dtypes
            return
        dtype = f"string ({inputs.dtype})"
    if dtype == "string" or dtype.startswith("str"):
        raise TypeError(
            f"`inputs` of `{owner}` should be numbers (a float or integer tensor). "
            f"Received: dtype {dtype}. Fix: convert the data to numbers first "
            "(e.g. `x.astype('float32')`)."
        )
