"""Labels and losses, read in one place: the label format, the loss name, their match.

Three things every part of the package needs to agree on:
- what a label array is (`label_info`, `is_one_hot`): integer class ids
  ("sparse"), one-hot rows, multi-label 0/1 rows or something else;
- what a compiled loss is (`loss_name_and_logits`, `canonical_loss`, `label_format`):
  sparse or categorical crossentropy, binary crossentropy, a regression loss;
- whether labels fit the loss (`check_labels`, `check_label_shape`,
  `check_model_labels`): one-hot labels given to a sparse loss (or the reverse),
  string labels, float or non-finite ids, ids out of range and one-hot rows that
  are not probabilities raise an error naming the right `labels=`.

The builders' models (`keras_seqfix.models`), `find_lr` and the imbalance tools use
this module; it imports nothing of the package above it.
"""

import dataclasses

import keras
import numpy as np


@dataclasses.dataclass
class LabelInfo:
    """What a label array is: format, class ids, counts."""

    kind: str  # "sparse", "one_hot", "multi_label" or "other"
    ids: np.ndarray | None  # integer class id per sample (argmax for one-hot)
    num_classes: int  # distinct classes seen (or width of one-hot)
    finite: bool


def label_info(y):
    """Describe `y`: sparse integer ids, one-hot rows, multi-label rows or other.

    `(n,)` and `(n, 1)` whole numbers are sparse ids (binary 0/1 labels among
    them); rows of 0/1 with one 1 each are one-hot, with any other number of 1s
    multi-label. Per-timestep labels are read per sample, flattened.
    """
    y = np.asarray(y)
    finite = bool(np.isfinite(y).all()) if y.dtype.kind == "f" else True
    if y.dtype.kind not in "biuf":
        return LabelInfo("other", None, 0, finite)
    flat = y.reshape(len(y), -1) if y.ndim > 1 else y.reshape(-1, 1)
    if flat.shape[1] == 1:
        values = flat[:, 0]
        if values.dtype.kind in "iub" or (
            finite and values.dtype.kind == "f" and np.all(values == np.round(values))
        ):
            ids = values.astype(np.int64)
            return LabelInfo("sparse", ids, len(np.unique(ids)), finite)
        return LabelInfo("other", None, 0, finite)
    if finite and np.isin(flat, (0, 1)).all():
        row_sums = flat.sum(axis=1)
        ids = flat.argmax(axis=1).astype(np.int64)
        kind = "one_hot" if np.all(row_sums == 1) else "multi_label"
        return LabelInfo(kind, ids, flat.shape[1], finite)
    return LabelInfo("other", None, flat.shape[1], finite)


def is_one_hot(y):
    """Whether every row along the last axis of `y` is a 0/1 vector with one 1."""
    y = np.asarray(y)
    if y.ndim < 2 or y.shape[-1] < 2 or y.size == 0 or y.dtype.kind not in "biuf":
        return False
    values_ok = np.all((y == 0) | (y == 1))
    return bool(values_ok and np.all(y.sum(axis=-1) == 1))


def canonical_loss(name):
    """ "sparse_cce", "cce", "bce", "mse" or "other" for a loss name or class name."""
    key = str(name).lower().replace("_", "")
    if "sparsecategorical" in key:
        return "sparse_cce"
    if "categorical" in key:
        return "cce"
    if "binary" in key:
        return "bce"
    if key in ("mse", "meansquarederror", "mae", "meanabsoluteerror", "huber"):
        return "mse"
    return "other"


def loss_name_and_logits(loss):
    """`(canonical name, name as written, from_logits)` of a compiled `loss`.

    `loss` is what `model.loss` holds: a string, a `keras.losses.Loss`, a
    function, `None` ("unknown") or a dict/list of per-output losses ("unknown").
    """
    if loss is None:
        return "unknown", "None", False
    if isinstance(loss, str):
        return canonical_loss(loss), loss, False
    if isinstance(loss, dict | list | tuple):
        return "unknown", type(loss).__name__, False
    from_logits = False
    if hasattr(loss, "get_config"):
        try:
            from_logits = bool(loss.get_config().get("from_logits", False))
        except Exception:  # a custom loss without a usable config
            from_logits = False
    name = type(loss).__name__ if isinstance(loss, keras.losses.Loss) else None
    if name in (None, "LossFunctionWrapper"):
        name = getattr(loss, "name", None) or getattr(loss, "__name__", "custom")
    return canonical_loss(name), name, from_logits


def label_format(loss):
    """'sparse', 'one_hot' or None: the labels a categorical `loss` expects."""
    return {"sparse_cce": "sparse", "cce": "one_hot"}.get(loss_name_and_logits(loss)[0])


# How to fix a label of the other format, per source: (to ids, to one-hot rows).
_FIXES = {
    "array": (
        "Pass `np.argmax(y, axis=-1)`",
        "Pass `keras.utils.to_categorical(y, {k})`",
    ),
    "PyDataset": (
        "Return `np.argmax(y, axis=-1)` from `__getitem__`",
        "Return `keras.utils.to_categorical(y, {k})` from `__getitem__`",
    ),
    "tf.data": (
        "Map the labels to ids, `dataset.map(lambda x, y: (x, tf.argmax(y, axis=-1)))`",
        "Map the labels to one-hot rows, `dataset.map(lambda x, y: (x, "
        'tf.one_hot(tf.cast(y, "int32"), {k})))`',
    ),
}
_SUBJECTS = {
    "array": "`{arg}`",
    "PyDataset": "`y` in `{arg}[0]` (the first batch of a keras.utils.PyDataset)",
    "tf.data": "`y` in `{arg}` (the element_spec of a tf.data.Dataset)",
}


def check_label_shape(shape, kind, *, num_classes, labels, subject, source, received):
    """Check a label shape (`None` for unknown dimensions) and dtype kind."""
    k = num_classes
    to_ids, to_one_hot = (fix.format(k=k) for fix in _FIXES[source])
    if kind in "US":
        expected = (
            f"integer class ids 0..{k - 1} for labels='sparse'"
            if labels == "sparse"
            else f"one-hot rows of {k} columns for labels='one_hot'"
        )
        then = (
            ""
            if labels == "sparse"
            else f", then `keras.utils.to_categorical(ids, {k})`"
        )
        raise ValueError(
            f"{subject} should hold {expected}. Received: strings{received}. Encode "
            f"them to class ids 0..{k - 1} first, with "
            "`sklearn.preprocessing.LabelEncoder().fit_transform(y)` or a "
            "`keras.layers.StringLookup(num_oov_indices=0)` adapted on the training "
            f"labels{then}."
        )
    if not shape:  # a scalar, or an unbatched dataset: left to Keras
        return
    ndim, last = len(shape), shape[-1]
    if labels == "sparse":
        if ndim >= 2 and last == k and k > 1:
            raise ValueError(
                f"{subject} looks one-hot encoded (shape {shape}), but the model "
                "was built with labels='sparse', which expects integer class ids of "
                f"shape (n,). {to_ids}, or rebuild the model with labels='one_hot'."
            )
        if ndim >= 2 and last is not None and last != 1:
            raise ValueError(
                f"{subject} should hold one integer class id per sample for "
                f"labels='sparse', shape (n,). Received: shape {shape}."
            )
    elif labels == "one_hot":
        if ndim == 1 or (ndim >= 2 and last == 1 and k > 1):
            raise ValueError(
                f"{subject} looks like integer class ids (shape {shape}), but "
                "the model was built with labels='one_hot', which expects rows of "
                f"shape (n, {k}). {to_one_hot}, or rebuild the model with "
                "labels='sparse'."
            )
        if last is not None and last != k:
            raise ValueError(
                f"{subject} should have {k} columns for labels='one_hot'"
                f" and num_classes={k}. Received: shape {shape}."
            )


def _non_finite_error(y, subject, expected):
    bad = ~np.isfinite(y)
    return ValueError(
        f"{subject} holds non-finite values: {int(bad.sum())} of {y.size} are NaN "
        f"or inf (such as {y[bad][:3]}), but {expected}. Drop or fix those samples "
        "(`np.isfinite(y)` finds them)."
    )


def _check_sparse_values(y, *, num_classes, subject):
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)):
            raise _non_finite_error(
                y, subject, "labels='sparse' expects integer class ids"
            )
        fractional = y != np.round(y)
        if np.any(fractional):
            raise ValueError(
                f"{subject} should hold integer class ids for labels='sparse'. "
                f"Received: non-integer values such as {y[fractional][:3]}. "
                "For probabilities or one-hot rows use labels='one_hot'."
            )
    low, high = np.min(y), np.max(y)
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"{subject} should hold class ids in [0, {num_classes - 1}] for a "
            f"model built with num_classes={num_classes} and labels='sparse'. "
            f"Received: ids from {low} to {high}. Re-encode the labels "
            "(`sklearn.preprocessing.LabelEncoder`) or rebuild with the right "
            "num_classes."
        )


def _check_one_hot_values(y, *, num_classes, subject):
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise _non_finite_error(
            y, subject, "labels='one_hot' expects one-hot or probability rows"
        )
    rows = y.reshape(-1, num_classes)
    sums = rows.sum(axis=-1, dtype=np.float64)
    out_of_range = (rows.min(axis=-1) < 0) | (rows.max(axis=-1) > 1)
    bad = out_of_range | (np.abs(sums - 1.0) > 1e-3)
    if np.any(bad):
        i = int(np.argmax(bad))
        why = "values outside [0, 1]" if out_of_range[i] else f"sums to {sums[i]:.4g}"
        raise ValueError(
            f"{subject} should hold one-hot rows (or probabilities that sum to 1) "
            f"for labels='one_hot'. Received: row {i} = {rows[i]} ({why}; "
            f"{int(bad.sum())} of {len(rows)} rows are like this). Build the rows "
            f"with `keras.utils.to_categorical(ids, {num_classes})`; soft labels "
            "are fine when every value is in [0, 1] and each row sums to 1."
        )


def check_labels(y, *, num_classes, labels, argument="y", source="array"):
    """Raise a ValueError naming the right `labels=` when `y` does not fit it.

    `source` ("array" or "PyDataset") only changes how the message names `y`.
    """
    try:
        y = np.asarray(y)
    except Exception:  # tensors of other backends: leave them to Keras
        return
    if y.size == 0:
        return
    kind = y.dtype.kind
    if kind == "O":
        first = y.reshape(-1)[0]
        if not isinstance(first, str | bytes):
            return  # mixed Python objects: left to Keras
        kind = "U"
    subject = _SUBJECTS[source].format(arg=argument)
    received = f" such as {y.reshape(-1)[:3].tolist()}" if kind in "US" else ""
    check_label_shape(
        y.shape,
        kind,
        num_classes=num_classes,
        labels=labels,
        subject=subject,
        source=source,
        received=received,
    )
    if kind not in "iubf":  # complex, dates, ...: left to Keras
        return
    if labels == "sparse":
        _check_sparse_values(y, num_classes=num_classes, subject=subject)
    elif labels == "one_hot" and y.ndim >= 1:
        _check_one_hot_values(y, num_classes=num_classes, subject=subject)


def spec_kind(dtype):
    """NumPy dtype kind of a `tf.DType` (or anything with a dtype name)."""
    name = str(getattr(dtype, "name", dtype))
    if name == "string":
        return "U"
    if name == "bool":
        return "b"
    if name.startswith("uint"):
        return "u"
    if name.startswith("int"):
        return "i"
    if "float" in name or name == "half":
        return "f"
    return "O"  # unknown: only the shape is checked


def spec_shape(spec):
    """The dimensions of a TensorSpec-like as a tuple, or None if unknown."""
    try:
        return tuple(getattr(spec, "shape", None))
    except (TypeError, ValueError):  # no shape, or a shape of unknown rank
        return None


def check_label_spec(spec, *, num_classes, labels, argument):
    """Check the label part of a `tf.data` `element_spec` (rank, width, dtype)."""
    shape = spec_shape(spec)
    if shape is None:
        return
    check_label_shape(
        shape,
        spec_kind(getattr(spec, "dtype", None)),
        num_classes=num_classes,
        labels=labels,
        subject=_SUBJECTS["tf.data"].format(arg=argument),
        source="tf.data",
        received=" (dtype string)",
    )


def check_model_labels(model, y, argument="y"):
    """Check in-memory `y` against `model`'s compiled categorical loss.

    Only for a single `(batch, num_classes)` output, the case of one label per
    sample; per-timestep outputs, other losses and non-arrays are left to Keras.
    """
    labels = label_format(getattr(model, "loss", None))
    outputs = getattr(model, "outputs", None)
    if labels is None or not outputs or len(outputs) != 1:
        return
    array_like = hasattr(y, "__array__") and hasattr(y, "shape")
    if not (isinstance(y, list) or array_like) or len(outputs[0].shape) != 2:
        return
    num_classes = outputs[0].shape[-1]
    if num_classes:
        check_labels(y, num_classes=int(num_classes), labels=labels, argument=argument)
