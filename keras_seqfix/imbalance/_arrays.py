"""Array helpers for resampling sequences: kinds of samplers, flattening, padding."""

import numpy as np


def sampler_kind(sampler):
    """How a sampler treats `X`: `"index"`, `"features"`, `"synthesis"` or `None`.

    - `"index"`: selects samples without reading `X` (RandomOverSampler without
      shrinkage, RandomUnderSampler): a cheap `(n, 1)` stand-in is enough.
    - `"features"`: selects samples by looking at `X` (NearMiss, TomekLinks,
      EditedNearestNeighbours, ...): it needs flattened features.
    - `"synthesis"`: makes new samples (SMOTE, ADASYN, BorderlineSMOTE, SVMSMOTE,
      KMeansSMOTE, RandomOverSampler with `shrinkage`, ClusterCentroids).
    - `None`: unknown (for example a `FunctionSampler`); decided after it ran, by
      whether it exposes `sample_indices_`.
    """
    from imblearn.over_sampling import RandomOverSampler
    from imblearn.over_sampling.base import BaseOverSampler
    from imblearn.under_sampling import ClusterCentroids, RandomUnderSampler
    from imblearn.under_sampling.base import BaseCleaningSampler, BaseUnderSampler

    if isinstance(sampler, RandomOverSampler):
        return "index" if sampler.shrinkage is None else "synthesis"
    if isinstance(sampler, RandomUnderSampler):
        return "index"
    if isinstance(sampler, (BaseOverSampler, ClusterCentroids)):
        return "synthesis"
    if isinstance(sampler, (BaseUnderSampler, BaseCleaningSampler)):
        return "features"
    return None


def as_samples(X):
    """`(array, items)`: an ndarray for rectangular input, or a list of arrays."""
    if isinstance(X, np.ndarray) and X.dtype != object:
        return X, None
    if isinstance(X, (list, tuple)) or (isinstance(X, np.ndarray) and X.ndim == 1):
        items = [np.asarray(item) for item in X]
        shapes = {item.shape for item in items}
        if len(shapes) == 1 and items and items[0].dtype != object:
            return np.stack(items), None
        return None, items
    return np.asarray(X), None


def is_integer(array_or_items):
    """Whether samples are integer-typed (token ids, class ids, counts)."""
    if isinstance(array_or_items, list):
        return any(item.dtype.kind in "biu" for item in array_or_items)
    return array_or_items.dtype.kind in "biu"


def pad_items(items, value):
    """Post-pad a list of `(time, ...)` arrays to one `(n, max_time, ...)` array."""
    tails = {item.shape[1:] for item in items}
    if len(tails) != 1:
        raise ValueError(
            "Sequences in `X` should differ only in length (axis 0). Received "
            f"per-step shapes {sorted(tails)}. Fix: give every step the same shape."
        )
    max_len = max(item.shape[0] for item in items)
    dtype = np.result_type(*[item.dtype for item in items])
    out = np.full((len(items), max_len, *tails.pop()), value, dtype=dtype)
    for i, item in enumerate(items):
        out[i, : len(item)] = item
    return out


def distinct_lengths(X, mask_value):
    """Distinct true lengths of padded `(n, time, features...)` sequences.

    A step is padding when all its values equal `mask_value` (the Keras `Masking`
    convention); leading and trailing runs of padding steps are not counted.
    """
    if X.ndim < 3 or mask_value is None:
        return []
    axes = tuple(range(1, X.ndim - 1))
    # Only sequences whose first or last step is padding can be shorter: look at
    # those two steps first, so unpadded data costs O(n * features), not O(x.size).
    ends = np.all(np.equal(X[:, [0, -1]], mask_value), axis=axes[1:] + (X.ndim - 1,))
    padded = np.flatnonzero(ends.any(axis=1))
    if len(padded) == 0:
        return [X.shape[1]]
    X = X[padded] if len(padded) < len(X) else X
    steps = X.shape[1]
    valid = ~np.all(np.equal(X, mask_value), axis=tuple(range(2, X.ndim)))
    first = np.where(valid.any(axis=1), valid.argmax(axis=1), steps)
    last = steps - valid[:, ::-1].argmax(axis=1)
    lengths = {int(n) for n in np.where(valid.any(axis=1), last - first, 0)}
    if len(padded) < len(ends):  # some sequences have no padding at all
        lengths.add(steps)
    return sorted(lengths)
