"""SequenceResampler: imbalanced-learn samplers for arrays of any rank."""

import numpy as np
from sklearn.base import BaseEstimator

from keras_seqfix.imbalance._arrays import (
    as_samples,
    distinct_lengths,
    is_integer,
    pad_items,
    sampler_kind,
)
from keras_seqfix.imbalance._validation import (
    check_same_length,
    class_counts,
    class_ids,
)

_ALTERNATIVES = (
    "Fix: use SequenceResampler(RandomOverSampler()) (repeats whole sequences), "
    "ksf.BalancedBatches(x, y) (balanced batches, no copy) or "
    "model.fit(..., class_weight=ksf.class_weights(y))."
)


class SequenceResampler(BaseEstimator):
    """Resample sequences of any rank with an imbalanced-learn sampler.

    imbalanced-learn samplers accept 2-D arrays only ("Found array with dim 3").
    `SequenceResampler` wraps any of them so that `fit_resample(X, y)` takes `X`
    of shape `(n, ...)` (token ids `(n, time)`, series `(n, time, features)`,
    clips `(n, frames, H, W, C)`) or a list of variable-length arrays, and returns
    the same rank:

    - Samplers that select samples (RandomOverSampler, RandomUnderSampler,
      NearMiss, TomekLinks, EditedNearestNeighbours, ...) work by index: the
      result is `X[sample_indices_]`, so every kept sample is the original,
      untouched. RandomOverSampler and RandomUnderSampler never read `X`, so they
      get an `(n, 1)` stand-in instead of the flattened data.
    - Samplers that synthesise samples (SMOTE, ADASYN, BorderlineSMOTE, SVMSMOTE,
      ...) run on `X` flattened to `(n, -1)` and the result is reshaped back. They
      refuse integer token sequences (interpolated token ids are meaningless) and
      padded sequences of different lengths (interpolation would mix padding and
      data).

    One-hot `y` in gives one-hot `y` out. It follows the imbalanced-learn sampler
    contract (`fit_resample`, `get_params`), so it works as a step of an
    `imblearn.pipeline.Pipeline`. Resample only the training split, never
    validation or test data.

    Args:
        sampler: an imbalanced-learn sampler, e.g. `SMOTE(random_state=0)`; its
            `sampling_strategy`, `random_state` and other settings apply.
            Defaults to `RandomOverSampler()`.
        mask_value: the value of padding steps in `X` (`(n, time, features...)`
            arrays; a step is padding when all its values equal it, as in
            `keras.layers.Masking`). Synthesising samplers refuse sequences of
            different padded lengths. `None` turns the check off. Defaults to
            `0.0`.

    Attributes:
        sampler_: the fitted clone of `sampler`.
        sample_indices_: for selecting samplers, the index in `X` of each
            returned sample.

    Examples:
        >>> import numpy as np
        >>> from imblearn.over_sampling import SMOTE, RandomOverSampler
        >>> x = np.random.default_rng(0).normal(size=(30, 8, 2)).astype("float32")
        >>> y = np.array([0] * 24 + [1] * 6)
        >>> resampler = SequenceResampler(RandomOverSampler(random_state=0))
        >>> x_res, y_res = resampler.fit_resample(x, y)
        >>> x_res.shape, np.bincount(y_res).tolist()
        ((48, 8, 2), [24, 24])
        >>> bool(np.all(x_res == x[resampler.sample_indices_]))
        True
        >>> smote = SequenceResampler(SMOTE(k_neighbors=3, random_state=0))
        >>> smote.fit_resample(x, y)[0].shape
        (48, 8, 2)
    """

    _estimator_type = "sampler"

    def __init__(self, sampler=None, *, mask_value=0.0):
        self.sampler = sampler
        self.mask_value = mask_value

    def fit(self, X, y):
        """Run `fit_resample` and keep its fitted attributes.

        Args:
            X: samples `(n, ...)` or a list of arrays.
            y: labels `(n,)` or one-hot `(n, num_classes)`.

        Returns:
            `self`.
        """
        self.fit_resample(X, y)
        return self

    def fit_resample(self, X, y):
        """Resample `X` and `y`.

        Args:
            X: samples, an array of shape `(n, ...)` (any rank) or a list of
                arrays of shape `(time_i, ...)`.
            y: labels, integer ids `(n,)` or one-hot rows `(n, num_classes)`.

        Returns:
            `(X_resampled, y_resampled)`, `X_resampled` with the rank of `X` (a
            list for list input) and `y_resampled` in the format of `y`.

        Raises:
            ValueError: for mismatched lengths, a single class, NaN labels, a
                `sampling_strategy` that asks for impossible counts, or padded
                sequences of different lengths given to a synthesising sampler.
            TypeError: for string labels, or integer sequences given to a
                synthesising sampler.
        """
        from sklearn.base import clone

        sampler = self._resolve_sampler()
        check_same_length(X, y, x_name="X")
        array, items = as_samples(X)
        y_in = np.asarray(y)
        ids, one_hot = class_ids(y_in, name="y")
        if ids.ndim != 1:
            raise ValueError(
                "`y` should hold one label per sequence, shape (n,) or one-hot "
                f"(n, num_classes). Received shape {y_in.shape}. Per-timestep labels "
                "cannot be resampled; use ksf.sample_weights(y, ...) instead."
            )
        # Gaps in integer ids are harmless here; an empty one-hot column is not.
        counts = class_counts(
            ids,
            num_classes=y_in.shape[-1] if one_hot else None,
            allow_empty=not one_hot,
        )
        kind = sampler_kind(sampler)
        self._check_sampling_strategy(sampler, ids, counts)
        if kind == "synthesis":
            self._check_synthesis_input(sampler, array, items)
        if kind == "index":
            features = np.zeros((len(ids), 1), dtype=np.float32)
        elif items is not None:
            pad = 0.0 if self.mask_value is None else self.mask_value
            features = pad_items(items, pad).reshape(len(items), -1)
        else:
            features = array.reshape(len(array), -1)
        self.sampler_ = clone(sampler)
        try:
            x_flat, y_res = self.sampler_.fit_resample(features, ids)
        except ValueError as exc:
            raise self._explain(exc, counts) from exc
        indices = getattr(self.sampler_, "sample_indices_", None)
        if kind != "synthesis" and indices is not None:
            self.sample_indices_ = np.asarray(indices)
            if items is not None or isinstance(X, (list, tuple)):
                return [X[i] for i in self.sample_indices_], y_in[self.sample_indices_]
            return array[self.sample_indices_], y_in[self.sample_indices_]
        if items is not None or (kind is None and is_integer(array)):
            self._check_synthesis_input(sampler, array, items)
        x_res = np.asarray(x_flat).reshape((-1, *array.shape[1:]))
        x_res = x_res.astype(array.dtype, copy=False)
        if one_hot:
            y_out = np.eye(y_in.shape[-1], dtype=y_in.dtype)[y_res]
        else:
            y_out = np.asarray(y_res).astype(y_in.dtype).reshape((-1, *y_in.shape[1:]))
        if isinstance(X, (list, tuple)):
            return list(x_res), y_out
        return x_res, y_out

    def _resolve_sampler(self):
        if self.sampler is None:
            from imblearn.over_sampling import RandomOverSampler

            return RandomOverSampler()
        if not hasattr(self.sampler, "fit_resample"):
            raise TypeError(
                "`sampler` should be an imbalanced-learn sampler (an object with "
                f"`fit_resample`), e.g. SMOTE(). Received: {self.sampler!r}"
            )
        return self.sampler

    def _check_sampling_strategy(self, sampler, ids, counts):
        """Validate `sampling_strategy` with imbalanced-learn, with a clearer error."""
        sampling_type = getattr(sampler, "_sampling_type", None)
        strategy = getattr(sampler, "sampling_strategy", None)
        if sampling_type not in ("over-sampling", "under-sampling", "clean-sampling"):
            return
        from imblearn.utils import check_sampling_strategy

        try:
            check_sampling_strategy(strategy, ids, sampling_type)
        except ValueError as exc:
            present = {int(c): int(n) for c, n in enumerate(counts) if n}
            raise ValueError(
                f"`sampling_strategy` of {type(sampler).__name__} cannot be met. "
                f"Received: sampling_strategy={strategy!r} with class counts "
                f"{present}. {exc} Fix: over-samplers can only add samples "
                "(target counts >= current counts), under-samplers can only remove "
                "them (target counts <= current counts); 'auto' balances all classes."
            ) from exc

    def _check_synthesis_input(self, sampler, array, items):
        name = type(sampler).__name__
        if is_integer(items if items is not None else array):
            raise TypeError(
                f"{name} synthesises new samples by interpolating between "
                "neighbours, which is meaningless for integer sequences such as "
                f"token ids (received dtype {(array if items is None else items[0]).dtype}). "
                f"{_ALTERNATIVES} If the integers are measurements, not ids, cast "
                "them first: X.astype('float32')."
            )
        if items is not None:
            raise ValueError(
                f"{name} cannot interpolate between sequences of different lengths "
                f"(received {len({len(item) for item in items})} distinct lengths in "
                f"a list). {_ALTERNATIVES} Or crop/resample every sequence to one "
                "length first."
            )
        lengths = distinct_lengths(array, self.mask_value)
        if len(lengths) > 1:
            raise ValueError(
                f"{name} would interpolate padding with data: `X` holds padded "
                f"sequences of {len(lengths)} different lengths "
                f"({lengths[:5]}{'...' if len(lengths) > 5 else ''}; padding steps "
                f"are all equal to mask_value={self.mask_value!r}). "
                f"{_ALTERNATIVES} If those steps are real data, pass "
                "mask_value=None."
            )

    def _explain(self, exc, counts):
        message = str(exc)
        if "n_neighbors" not in message and "n_samples_fit" not in message:
            return exc
        present = {int(c): int(n) for c, n in enumerate(counts) if n}
        return ValueError(
            f"{type(self.sampler_).__name__} needs more samples per class than its "
            f"number of neighbours. Class counts: {present}. ({message}) Fix: "
            "lower `k_neighbors` / `n_neighbors` below the smallest class count, "
            "or use RandomOverSampler."
        )
