"""Argument and input checks of `SequenceResampler`, run before any resampling.

scikit-learn's `validate_data` does the array checks (empty input, complex data,
1-D input, 0 features, feature names); what it lacks for sequences is added here:
the sampler given as a class, generators, `mask_value`, non-finite values for
samplers that compute with `X`, and for samplers that interpolate, integer
(token) sequences and padded sequences of different lengths; each with an error
that names the argument, what was expected, what was received and the fix.
"""

import collections.abc
import numbers

import numpy as np
from scipy import sparse

from keras_seqfix.imbalance._arrays import distinct_lengths, is_integer

_ALTERNATIVES = (
    "Fix: use SequenceResampler(RandomOverSampler()) (repeats whole sequences), "
    "ksf.BalancedBatches(x, y) (balanced batches, no copy) or "
    "model.fit(..., class_weight=ksf.class_weights(y))."
)


def check_sampler(sampler):
    """Raise a `TypeError` unless `sampler` is `None` or a sampler instance."""
    if sampler is None:
        return
    if isinstance(sampler, type):
        name = sampler.__name__
        raise TypeError(
            "`sampler` should be an imbalanced-learn sampler instance. Received the "
            f"class {name} itself. Fix: create one, "
            f"SequenceResampler({name}()), with its settings in the parentheses."
        )
    if not callable(getattr(sampler, "fit_resample", None)):
        raise TypeError(
            "`sampler` should be an imbalanced-learn sampler (an object with "
            f"`fit_resample`), e.g. SMOTE(). Received: {sampler!r}"
        )


def check_mask_value(mask_value):
    """Raise unless `mask_value` is `None` or a real, non-NaN number."""
    if mask_value is None:
        return
    if not isinstance(mask_value, numbers.Real):
        raise TypeError(
            "`mask_value` should be a number (the value of every entry of a padding "
            "step, as for keras.layers.Masking) or None. Received: "
            f"mask_value={mask_value!r} of type {type(mask_value).__name__}. Fix: "
            "mask_value=0.0 for zero padding, or None to turn the padding check off."
        )
    if np.isnan(mask_value):
        raise ValueError(
            "`mask_value` should not be NaN: NaN equals nothing, so no step would "
            f"ever count as padding. Received: mask_value={mask_value!r}. Fix: pad "
            "with a number (e.g. 0.0) and pass it, or pass None."
        )


def check_random_state(random_state):
    """Raise a `TypeError` unless `random_state` can seed an imbalanced-learn sampler."""
    if random_state is None or isinstance(random_state, np.random.RandomState):
        return
    if isinstance(random_state, numbers.Integral) and not isinstance(
        random_state, bool
    ):
        return
    raise TypeError(
        "`random_state` should be None, an int or a numpy.random.RandomState "
        f"(what sklearn.utils.check_random_state accepts). Received: "
        f"random_state={random_state!r}. Fix: random_state=0 for a reproducible draw."
    )


def check_not_iterator(value, name):
    """Raise a `TypeError` for generators and other one-pass iterators."""
    if sparse.issparse(value):
        return
    if isinstance(value, collections.abc.Iterator) or not hasattr(value, "__len__"):
        raise TypeError(
            f"`{name}` should be an array (or a list of arrays) that can be read "
            f"more than once. Received: an object of type {type(value).__name__}. "
            f"Fix: materialise it first, e.g. `{name} = np.stack(list({name}))`; for "
            "data that does not fit in memory use ksf.BalancedBatches with a loader."
        )


def check_labels_given(y):
    """Raise a `ValueError` for `y=None` (samplers balance classes: they need labels)."""
    if y is None:
        raise ValueError(
            "`y` should hold the class labels, one per sample: SequenceResampler "
            "requires y to be passed, but the target y is None. Received: "
            "y=None. Fix: fit_resample(x, y)."
        )


def labels_as_array(y):
    """`y` as an ndarray; object arrays of whole numbers become int64."""
    y = np.asarray(y)
    if y.dtype == object and y.size:
        flat = y.ravel()
        if all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in flat
        ):
            return y.astype(np.int64)
    return y


def check_finite(array, items, sampler):
    """Raise a `ValueError` for NaN or inf in `X` for a sampler that computes with it."""
    if sparse.issparse(array):
        coo = array.tocoo()
        values, rows = [coo.data], coo.row
    else:
        values, rows = (items, None) if items is not None else ([array], None)
    nan = inf = 0
    first = None
    for i, value in enumerate(values):
        if value.dtype.kind != "f" or np.isfinite(np.sum(value, dtype=np.float64)):
            continue  # one cheap pass for the common, finite case
        is_nan, finite = np.isnan(value), np.isfinite(value)
        nan += int(is_nan.sum())
        inf += int((~finite & ~is_nan).sum())
        if first is None and not finite.all():
            if items is not None:
                first = i
            elif rows is not None:
                first = int(rows[~finite].min())
            else:
                first = int(
                    np.flatnonzero(~finite.reshape(len(value), -1).all(axis=1))[0]
                )
    if first is None:
        return
    name = type(sampler).__name__
    raise ValueError(
        f"`X` should hold finite values for {name}, which computes distances "
        f"between samples. Received {nan} NaN and {inf} inf value(s), first in "
        f"sample {first}. Fix: impute or drop those samples, e.g. "
        "`keep = np.isfinite(X).reshape(len(X), -1).all(axis=1)`; "
        "RandomOverSampler, RandomUnderSampler and ksf.BalancedBatches accept "
        "non-finite values."
    )


def check_synthesis_input(sampler, array, items, mask_value):
    """Refuse integer, ragged or unequally padded `X` for a synthesising sampler."""
    name = type(sampler).__name__
    if is_integer(items if items is not None else array):
        dtype = (array if items is None else items[0]).dtype
        raise TypeError(
            f"{name} synthesises new samples by interpolating between "
            "neighbours, which is meaningless for integer sequences such as "
            f"token ids (received `X` of dtype {dtype}). {_ALTERNATIVES} If the "
            "integers are measurements, not ids, cast them first: "
            "X.astype('float32')."
        )
    if items is not None:
        raise ValueError(
            f"{name} cannot interpolate between sequences of different lengths "
            f"(received {len({len(item) for item in items})} distinct lengths in "
            f"a list `X`). {_ALTERNATIVES} Or crop/resample every sequence to "
            "one length first."
        )
    if sparse.issparse(array):
        return
    lengths = distinct_lengths(array, mask_value)
    if len(lengths) > 1:
        raise ValueError(
            f"{name} would interpolate padding with data: `X` holds padded "
            f"sequences of {len(lengths)} different lengths "
            f"({lengths[:5]}{'...' if len(lengths) > 5 else ''}; padding steps "
            f"are all equal to mask_value={mask_value!r}). "
            f"{_ALTERNATIVES} If those steps are real data, pass "
            "mask_value=None."
        )
