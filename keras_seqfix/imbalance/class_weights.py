"""Class weights for `model.fit(class_weight=...)` and per-sample weights."""

import numbers

import numpy as np

from keras_seqfix._validation import (
    Integral,
    Interval,
    Options,
    Real,
    checked_signature,
    validate_params,
)
from keras_seqfix.imbalance._validation import class_counts, class_ids

_METHODS = ("balanced", "effective_number", "inverse_sqrt")
_LABELS = [Options(str, {"auto", "sparse", "one_hot"})]
# One declared place for the arguments of `class_weights` (see `_validation`).
_CONSTRAINTS = {
    "method": [Options(str, _METHODS)],
    "beta": [Interval(Real, 0, 1, closed="left")],
    "num_classes": [None, Interval(Integral, 2, None, closed="left")],
    "labels": _LABELS,
    "normalize": [None, Options(str, {"samples", "classes"})],
}
_EXAMPLES = {"method": "balanced", "beta": 0.999, "labels": "auto"}


def _check_not_empty(y):
    if np.size(y) == 0:
        raise ValueError(
            "`y` should hold at least one label. Received: an empty array of "
            f"shape {np.shape(y)}. Pass the training labels, one per sample."
        )


def _check_class_weight(class_weight):
    """A `{class_id: weight}` dict of finite, non-negative numbers."""
    for key, weight in class_weight.items():
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
            raise TypeError(
                "`class_weight` should map class ids to numbers. Received: "
                f"class_weight[{key!r}]={weight!r} ({type(weight).__name__}). "
                "Pass floats, e.g. class_weight = ksf.class_weights(y)."
            )
        if not (np.isfinite(weight) and weight >= 0):
            raise ValueError(
                "`class_weight` should map class ids to finite weights >= 0. "
                f"Received: class_weight[{key!r}]={weight!r}. A negative weight "
                "turns the loss around and NaN makes it NaN; pass e.g. "
                "class_weight = ksf.class_weights(y)."
            )


@checked_signature
def class_weights(
    y,
    *,
    method="balanced",
    beta=0.999,
    num_classes=None,
    labels="auto",
    normalize="samples",
):
    """Weights per class that make minority classes count in the loss.

    The result goes straight into `model.fit(..., class_weight=...)` (it belongs to
    `fit`, not `compile`). Methods:

    - `"balanced"`: `n_samples / (n_classes * n_c)`, computed by
      `sklearn.utils.class_weight.compute_class_weight`.
    - `"effective_number"`: `(1 - beta) / (1 - beta ** n_c)` (Cui et al., "Class-
      Balanced Loss Based on Effective Number of Samples", CVPR 2019). `beta -> 1`
      approaches `"balanced"`, `beta = 0` gives equal weights.
    - `"inverse_sqrt"`: `1 / sqrt(n_c)`, a tempered weighting for strong imbalance.

    Args:
        y (np.ndarray): integer class ids `(n,)`, one-hot rows `(n, num_classes)`, or
            per-timestep labels `(n, timesteps)` / `(n, timesteps, num_classes)`.
        method ('"balanced" | "effective_number" | "inverse_sqrt"'): `"balanced"`,
            `"effective_number"` or `"inverse_sqrt"`. Defaults to `"balanced"`.
        beta (float): the `"effective_number"` hyperparameter in `[0, 1)`. Defaults to
            `0.999`.
        num_classes (int or None): the number of classes of the model. Defaults to
            `max(y) + 1`; every class needs at least one sample.
        labels ('"auto" | "sparse" | "one_hot"'): `"auto"`, `"sparse"` or `"one_hot"`:
            how to read a 2-D `y`. Defaults to `"auto"` (rows that are one-hot are read
            as one-hot).
        normalize ('"samples" | "classes" | None'): `"samples"` scales the weights so
            that the mean weight per training sample is 1 (what `"balanced"` does, so
            the loss scale and the learning rate stay comparable); `"classes"` makes the
            mean weight per class 1 (Cui et al.); `None` returns the raw formula.
            Defaults to `"samples"`.

    Returns:
        (dict of int to float): `dict[int, float]` mapping every class id to its weight.

    Raises:
        ValueError: for an unknown `method`, `labels` or `normalize`, `beta`
            outside `[0, 1)`, `num_classes` below 2, an empty `y`, a single
            class, a class with no samples, or NaN labels.
        TypeError: for string labels (encode them with `LabelEncoder`), or an
            argument of the wrong type.

    Examples:
        >>> import numpy as np
        >>> y = np.array([0] * 90 + [1] * 10)
        >>> class_weights(y)
        {0: 0.5555555555555556, 1: 5.0}
        >>> w = class_weights(y, method="effective_number", beta=0.99)
        >>> round(w[1] / w[0], 2)
        6.23
    """
    validate_params(
        _CONSTRAINTS,
        {
            "method": method,
            "beta": beta,
            "num_classes": num_classes,
            "labels": labels,
            "normalize": normalize,
        },
        examples=_EXAMPLES,
        hints={
            "beta": "Cui et al. use 0.9, 0.99, 0.999 or 0.9999; beta -> 1 "
            "approaches 'balanced'."
        },
    )
    _check_not_empty(y)
    ids, _ = class_ids(y, labels=labels)
    counts = class_counts(ids, num_classes=num_classes)
    classes = np.arange(len(counts))
    if method == "balanced":
        from sklearn.utils.class_weight import compute_class_weight

        weights = compute_class_weight(
            class_weight="balanced", classes=classes, y=ids.ravel()
        )
        # sklearn's formula already has a mean weight per sample of 1.
    elif method == "effective_number":
        weights = (1.0 - beta) / (1.0 - np.power(beta, counts.astype(np.float64)))
    else:
        weights = 1.0 / np.sqrt(counts.astype(np.float64))
    if normalize == "samples":
        weights = weights * counts.sum() / np.dot(weights, counts)
    elif normalize == "classes":
        weights = weights * len(counts) / weights.sum()
    return {int(c): float(w) for c, w in zip(classes, weights, strict=True)}


@checked_signature
def sample_weights(y, class_weight, *, labels="auto"):
    """Per-sample (or per-timestep) weights from class weights.

    Use them where `class_weight` does not reach: custom training loops,
    `tf.data` pipelines, and per-timestep outputs, for which `model.fit` needs a
    `sample_weight` of shape `(n, timesteps)`.

    Args:
        y (np.ndarray): integer class ids `(n,)`, one-hot rows `(n, num_classes)`, or
            per-timestep labels `(n, timesteps)` / `(n, timesteps, num_classes)`.
        class_weight (dict or str): a dict `{class_id: weight}` (for example from
            `class_weights`), or a method name accepted by `class_weights`.
        labels ('"auto" | "sparse" | "one_hot"'): `"auto"`, `"sparse"` or `"one_hot"`:
            how to read a 2-D `y`. Pass `"sparse"` for per-timestep integer labels of
            shape `(n, timesteps)` whose rows could be mistaken for one-hot rows.
            Defaults to `"auto"`.

    Returns:
        (np.ndarray): float32 `np.ndarray` of shape `y.shape` without the one-hot axis.

    Raises:
        ValueError: if `class_weight` has no weight for a class present in `y`,
            or a weight that is negative, NaN or infinite; if `y` is empty.
        TypeError: if `class_weight` is neither a dict nor a method name, or
            holds a weight that is not a number.

    Examples:
        >>> import numpy as np
        >>> sample_weights(np.array([0, 1, 1, 0]), {0: 0.5, 1: 2.0})
        array([0.5, 2. , 2. , 0.5], dtype=float32)
        >>> sample_weights(np.array([[0, 2, 2]]), {0: 1.0, 1: 1.0, 2: 3.0}).shape
        (1, 3)
    """
    validate_params({"labels": _LABELS}, {"labels": labels})
    if isinstance(class_weight, str):
        class_weight = class_weights(y, method=class_weight, labels=labels)
    if not isinstance(class_weight, dict):
        raise TypeError(
            "`class_weight` should be a dict {class_id: weight} or a method name "
            f"such as 'balanced'. Received: {type(class_weight).__name__}"
        )
    _check_class_weight(class_weight)
    _check_not_empty(y)
    ids, _ = class_ids(y, labels=labels)
    present = np.unique(ids)
    missing = [int(c) for c in present if int(c) not in class_weight]
    if missing:
        raise ValueError(
            f"`class_weight` should have a weight for every class in `y`. Missing "
            f"class(es) {missing} (given keys {sorted(class_weight)}). Fix: "
            "class_weight = ksf.class_weights(y)."
        )
    table = np.zeros(int(present.max()) + 1, dtype=np.float32)
    for c in present:
        table[int(c)] = class_weight[int(c)]
    return table[ids]
