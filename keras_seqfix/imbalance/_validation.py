"""Label and length checks shared by the imbalance tools.

scikit-learn's `type_of_target` does the label classification; the checks here add
what it lacks for sequence data: one-hot and per-timestep labels, and error messages
that name the argument, what was received and the fix. Whether rows are one-hot is
read by `keras_seqfix._labels.is_one_hot`, shared with the models and `find_lr`.
"""

import numpy as np

from keras_seqfix._labels import is_one_hot

_LABEL_FORMATS = ("auto", "sparse", "one_hot")


def check_same_length(x, y, *, x_name="x", y_name="y"):
    """Raise a clear `ValueError` when `x` and `y` hold different numbers of samples."""
    n_x, n_y = len(x), len(y)
    if n_x != n_y:
        raise ValueError(
            f"`{x_name}` and `{y_name}` should hold the same number of samples. "
            f"Received: len({x_name})={n_x}, len({y_name})={n_y}. Fix: pass the "
            f"labels that belong to `{x_name}`, one per sample."
        )
    if n_x == 0:
        raise ValueError(f"`{x_name}` should hold at least one sample. Received: 0.")


def class_ids(y, *, labels="auto", name="y"):
    """Turn integer or one-hot labels into integer class ids.

    Args:
        y: labels, `(n,)` or `(n, 1)` integer ids, `(n, num_classes)` one-hot rows,
            or per-timestep `(n, timesteps)` ids / `(n, timesteps, num_classes)` rows.
        labels: `"auto"`, `"sparse"` (integer ids) or `"one_hot"`. With `"auto"`,
            a last axis of one-hot rows is read as one-hot.
        name: the argument name used in error messages.

    Returns:
        `(ids, one_hot)`: an int64 array of class ids with the one-hot axis
        removed, and whether `y` was one-hot.

    Raises:
        TypeError: for string or other non-numeric labels.
        ValueError: for NaN, negative or fractional labels.
    """
    if labels not in _LABEL_FORMATS:
        raise ValueError(
            f"`labels` should be one of {_LABEL_FORMATS}. Received: labels={labels!r}"
        )
    y = np.asarray(y)
    if y.dtype.kind in "USO":
        raise TypeError(
            f"`{name}` should hold integer class ids or one-hot rows. Received "
            f"labels of dtype {y.dtype} such as {y.ravel()[:3].tolist()}. Fix: "
            "encode them with sklearn.preprocessing.LabelEncoder: "
            f"`{name} = LabelEncoder().fit_transform({name})` (keep the encoder to "
            "decode predictions)."
        )
    if y.dtype.kind not in "biuf":
        raise TypeError(
            f"`{name}` should be a numeric array of class ids. Received dtype "
            f"{y.dtype}."
        )
    if y.dtype.kind == "f" and np.isnan(y).any():
        where = np.flatnonzero(np.isnan(y).reshape(len(y), -1).any(axis=1))
        raise ValueError(
            f"`{name}` should not contain NaN. Received {len(where)} sample(s) with "
            f"NaN labels, first at index {where[:5].tolist()}. Fix: drop them, "
            f"`keep = ~np.isnan({name}); x, {name} = x[keep], {name}[keep]`."
        )
    one_hot = labels == "one_hot" or (labels == "auto" and is_one_hot(y))
    if labels == "one_hot" and not is_one_hot(y):
        raise ValueError(
            f"`{name}` should hold one-hot rows (0/1, one 1 per row) since "
            f"labels='one_hot'. Received shape {y.shape}. Fix: pass "
            "labels='sparse' for integer class ids."
        )
    ids = np.argmax(y, axis=-1) if one_hot else y
    if not one_hot and ids.ndim == 2 and ids.shape[1] == 1:
        ids = ids[:, 0]
    if ids.dtype.kind == "f" and not np.all(ids == np.round(ids)):
        raise ValueError(
            f"`{name}` should hold whole-number class ids. Received fractional "
            f"values such as {ids[ids != np.round(ids)][:3].tolist()}. Fix: pass "
            "integer ids, or one-hot rows for soft labels' argmax."
        )
    ids = ids.astype(np.int64)
    if ids.size and ids.min() < 0:
        raise ValueError(
            f"`{name}` should hold class ids >= 0. Received {int(ids.min())}. Fix: "
            f"re-encode with sklearn.preprocessing.LabelEncoder."
        )
    return ids, one_hot


def class_counts(ids, *, num_classes=None, name="y", min_classes=2, allow_empty=False):
    """Count samples per class and refuse single-class or empty-class labels.

    Args:
        ids: integer class ids (any shape).
        num_classes: how many classes the model has. Defaults to `max(ids) + 1`.
        name: the argument name used in error messages.
        min_classes: how many distinct classes are required.
        allow_empty: whether ids between 0 and `num_classes - 1` may have no
            samples.

    Returns:
        int64 array of length `num_classes`: the number of samples of each class.
    """
    flat = np.asarray(ids).ravel()
    top = int(flat.max()) + 1
    if num_classes is None:
        num_classes = top
    elif top > num_classes:
        raise ValueError(
            f"`{name}` holds class id {top - 1}, which does not fit "
            f"num_classes={num_classes}. Fix: pass num_classes={top} or re-encode "
            "the labels."
        )
    counts = np.bincount(flat, minlength=num_classes)
    present = np.flatnonzero(counts)
    if len(present) < min_classes:
        raise ValueError(
            f"`{name}` should contain at least {min_classes} classes. Received "
            f"only class {present.tolist()} ({len(flat)} samples). Fix: check the "
            "split; a stratified split (sklearn.model_selection.train_test_split("
            "..., stratify=y)) keeps every class."
        )
    empty = np.flatnonzero(counts == 0)
    if len(empty) and not allow_empty:
        raise ValueError(
            f"Every class should have samples in `{name}`. Class(es) "
            f"{empty.tolist()} have none (counts {counts.tolist()}). Fix: use a "
            "stratified split so every class is present, or re-encode the labels "
            "to 0..k-1 with sklearn.preprocessing.LabelEncoder."
        )
    return counts
