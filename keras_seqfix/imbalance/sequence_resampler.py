"""SequenceResampler: imbalanced-learn samplers for arrays of any rank."""

import numpy as np
from imblearn.base import BaseSampler
from imblearn.utils import check_sampling_strategy
from scipy import sparse
from sklearn.base import clone
from sklearn_compat.utils import get_tags
from sklearn_compat.utils.validation import validate_data

from keras_seqfix._backend.private_api import arrays_transformer, sampling_type
from keras_seqfix.imbalance import _resampler_checks as checks
from keras_seqfix.imbalance._arrays import (
    as_samples,
    is_integer,
    pad_items,
    sampler_kind,
)
from keras_seqfix.imbalance._validation import (
    check_same_length,
    class_counts,
    class_ids,
)

_FITTED = ("sample_indices_", "n_features_in_", "feature_names_in_")


class SequenceResampler(BaseSampler):
    """Resample sequences of any rank with an imbalanced-learn sampler.

    imbalanced-learn samplers accept 2-D arrays only ("Found array with dim 3").
    `SequenceResampler` wraps any of them so that `fit_resample(X, y)` takes `X`
    of shape `(n, ...)` (token ids `(n, time)`, series `(n, time, features)`,
    clips `(n, frames, H, W, C)`), a list of variable-length arrays, a sparse
    matrix or a DataFrame, and returns the same rank and type:

    - Samplers that select samples (RandomOverSampler, RandomUnderSampler,
      NearMiss, TomekLinks, EditedNearestNeighbours, ...) work by index: the
      result is `X[sample_indices_]`, so every kept sample is the original,
      untouched. RandomOverSampler and RandomUnderSampler never read `X`, so they
      get an `(n, 1)` stand-in instead of the flattened data (and accept NaN or
      strings in `X`).
    - Samplers that synthesise samples (SMOTE, ADASYN, BorderlineSMOTE, SVMSMOTE,
      ...) run on `X` flattened to `(n, -1)` and the result is reshaped back. They
      refuse integer token sequences (interpolated token ids are meaningless),
      padded sequences of different lengths (interpolation would mix padding and
      data) and NaN or inf values.

    One-hot `y` in gives one-hot `y` out; a list, Series or DataFrame `y` comes
    back as the same type. It is an imbalanced-learn sampler (`fit_resample`,
    `get_params`, `get_feature_names_out`, `sampling_strategy_`), so it works as a
    step of an `imblearn.pipeline.Pipeline`. Resample only the training split,
    never validation or test data.

    Args:
        sampler (imbalanced-learn sampler or None): an imbalanced-learn sampler
            instance, e.g. `SMOTE()`; its `sampling_strategy` and other settings apply.
            It is cloned in `fit_resample`, never changed. Defaults to `None`:
            `RandomOverSampler(random_state=random_state)`.
        mask_value (float): the value of padding steps in `X` (`(n, time, features...)`
            arrays; a step is padding when all its values equal it, as in
            `keras.layers.Masking`). Synthesising samplers refuse sequences of
            different padded lengths. `None` turns the check off. Defaults to
            `0.0`.
        random_state (int or np.random.RandomState or None): seeds the sampler: the
            default one, or the clone of `sampler` when it has a `random_state`
            parameter (`None` keeps the sampler's own). An int, a
            `numpy.random.RandomState` or `None`. Defaults to `None`.

    Attributes:
        sampler_ (imbalanced-learn sampler): the fitted clone of `sampler`.
        sampling_strategy_ (dict of int to int): the number of samples to draw per
            class, as the sampler computed it (class id -> count).
        sample_indices_ (np.ndarray): for selecting samplers, the index in `X` of each
            returned sample.
        n_features_in_ (int): `X.shape[1]` (the size of the second axis, as for
            scikit-learn estimators), for input with one shape per sample.
        feature_names_in_ (np.ndarray): the column names of a DataFrame `X`.

    Examples:
        >>> import numpy as np
        >>> from imblearn.over_sampling import SMOTE
        >>> x = np.random.default_rng(0).normal(size=(30, 8, 2)).astype("float32")
        >>> y = np.array([0] * 24 + [1] * 6)
        >>> resampler = SequenceResampler(random_state=0)  # RandomOverSampler
        >>> x_res, y_res = resampler.fit_resample(x, y)
        >>> x_res.shape, np.bincount(y_res).tolist()
        ((48, 8, 2), [24, 24])
        >>> bool(np.all(x_res == x[resampler.sample_indices_]))
        True
        >>> smote = SequenceResampler(SMOTE(k_neighbors=3), random_state=0)
        >>> smote.fit_resample(x, y)[0].shape
        (48, 8, 2)
    """

    _sampling_type = "bypass"  # the wrapped sampler applies its own strategy

    def __init__(self, sampler=None, *, mask_value=0.0, random_state=None):
        self.sampler = sampler
        self.mask_value = mask_value
        self.random_state = random_state

    def fit(self, X, y, **params):
        """Run `fit_resample` and keep its fitted attributes.

        Args:
            X (np.ndarray or list of np.ndarray): samples `(n, ...)` or a list of
                arrays.
            y (np.ndarray): labels `(n,)` or one-hot `(n, num_classes)`.
            **params (Any): passed to the sampler's `fit_resample`.

        Returns:
            (SequenceResampler): `self`.
        """
        self.fit_resample(X, y, **params)
        return self

    def fit_resample(self, X, y, **params):
        """Resample `X` and `y`.

        Every argument and input is checked before any work, and `X` and `y` are
        never modified.

        Args:
            X (np.ndarray, list of np.ndarray, sparse matrix or DataFrame): samples, an
                array of shape `(n, ...)` (any rank), a list of arrays of shape
                `(time_i, ...)`, a sparse matrix or a DataFrame.
            y (np.ndarray): labels, integer ids `(n,)` or one-hot rows
                `(n, num_classes)`.
            **params (Any): passed to the sampler's `fit_resample`.

        Returns:
            (tuple): `(X_resampled, y_resampled)`, `X_resampled` with the rank and type
                of `X` (a list for list input) and `y_resampled` in the format and type
                of `y`.

        Raises:
            ValueError: for mismatched lengths, empty input, complex data, a
                single class, NaN labels, a `sampling_strategy` that asks for
                impossible counts, or, for samplers that compute with `X`, NaN or
                inf values and padded sequences of different lengths.
            TypeError: for a sampler class instead of an instance, a generator,
                a non-numeric `mask_value`, string labels, or integer sequences
                given to a synthesising sampler.
        """
        sampler = self._make_sampler()
        checks.check_mask_value(self.mask_value)
        checks.check_not_iterator(X, "X")
        checks.check_labels_given(y)
        checks.check_not_iterator(y, "y")
        for name in _FITTED:
            self.__dict__.pop(name, None)
        kind = sampler_kind(sampler)
        array, items = self._check_X(X, kind, sampler)
        y_in = checks.labels_as_array(y)
        n_samples = len(items) if items is not None else array.shape[0]
        check_same_length(range(n_samples), y_in, x_name="X")
        ids, one_hot = class_ids(y_in, name="y")
        if ids.ndim != 1:
            raise ValueError(
                "`y` should hold one label per sequence, shape (n,) or one-hot "
                f"(n, num_classes). Received shape {y_in.shape}. Multi-label and "
                "per-timestep labels cannot be resampled; use "
                "ksf.sample_weights(y, ...) instead."
            )
        # Gaps in integer ids are harmless here; an empty one-hot column is not.
        counts = class_counts(
            ids,
            num_classes=y_in.shape[-1] if one_hot else None,
            allow_empty=not one_hot,
        )
        strategy = self._check_sampling_strategy(sampler, ids, counts)
        if kind in ("features", "synthesis"):
            checks.check_finite(array, items, sampler)
        if kind == "synthesis":
            checks.check_synthesis_input(sampler, array, items, self.mask_value)

        self.sampler_ = sampler
        x_res, y_res = self._fit_resample(array, items, ids, counts, kind, **params)
        self.sampling_strategy_ = getattr(self.sampler_, "sampling_strategy_", strategy)
        if hasattr(self, "sample_indices_"):
            y_out = y_in[self.sample_indices_]
        elif one_hot:
            y_out = np.eye(y_in.shape[-1], dtype=y_in.dtype)[y_res]
        else:
            y_out = np.asarray(y_res).astype(y_in.dtype).reshape((-1, *y_in.shape[1:]))
        as_list = isinstance(X, (list, tuple))
        if items is not None and not as_list:  # object array of sequences
            x_res = X[self.sample_indices_]
        # Lists keep their items (below); other types round-trip with imblearn's
        # ArraysTransformer (DataFrame columns and dtypes, Series names, lists).
        restore = arrays_transformer(np.empty(0) if as_list else X, y)
        x_out, y_out = restore.transform(x_res, y_out)
        if as_list and hasattr(self, "sample_indices_"):
            x_out = [X[i] for i in self.sample_indices_]
        elif as_list:
            x_out = list(x_res)
        return x_out, y_out

    def _fit_resample(self, array, items, ids, counts, kind, **params):
        """Run `sampler_` on the flattened samples; returns `(X_res, y_res)`."""
        if kind == "index":
            features = np.zeros((len(ids), 1), dtype=np.float32)
        elif items is not None:
            pad = 0.0 if self.mask_value is None else self.mask_value
            features = pad_items(items, pad).reshape(len(items), -1)
        elif sparse.issparse(array):
            features = array
        else:
            features = array.reshape(len(array), -1)
        try:
            x_flat, y_res = self.sampler_.fit_resample(features, ids, **params)
        except ValueError as exc:
            raise self._explain(exc, counts) from exc
        indices = getattr(self.sampler_, "sample_indices_", None)
        if kind != "synthesis" and indices is not None:
            self.sample_indices_ = np.asarray(indices)
            x_res = None if items is not None else array[self.sample_indices_]
            return x_res, y_res
        if items is not None or (kind is None and is_integer(array)):
            checks.check_synthesis_input(self.sampler_, array, items, self.mask_value)
        if sparse.issparse(x_flat):
            return x_flat.astype(array.dtype, copy=False), y_res
        x_res = np.asarray(x_flat).reshape((-1, *array.shape[1:]))
        return x_res.astype(array.dtype, copy=False), y_res

    def _make_sampler(self):
        """Check the arguments; return an unfitted, seeded clone of the sampler."""
        checks.check_sampler(self.sampler)
        checks.check_random_state(self.random_state)
        if self.sampler is None:
            return self._default_sampler()
        sampler = clone(self.sampler)
        if self.random_state is not None and "random_state" in sampler.get_params(
            deep=False
        ):
            sampler.set_params(random_state=self.random_state)
        return sampler

    def _default_sampler(self):
        from imblearn.over_sampling import RandomOverSampler

        return RandomOverSampler(random_state=self.random_state)

    def _check_X(self, X, kind, sampler):
        """`(array, items)`: validated `X` (ndarray or sparse), or a list of arrays."""
        if not sparse.issparse(X) and (
            isinstance(X, (list, tuple))
            or (isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1)
        ):
            stacked, items = as_samples(X)
            if items is not None:  # sequences of different lengths
                if not items:
                    raise ValueError(
                        "`X` should hold at least one sample. Received: 0."
                    )
                return None, items
            X = stacked
        # Samplers that compute with X get numbers; the others take anything.
        numeric = kind in ("features", "synthesis")
        try:
            array = validate_data(
                self,
                X=X,
                reset=True,
                accept_sparse=["csr", "csc"],
                allow_nd=True,
                dtype="numeric" if numeric else None,
                ensure_all_finite=False,
            )
        except (TypeError, ValueError) as exc:
            # scikit-learn's first line says what is wrong (the rest may be X).
            shape = getattr(X, "shape", None) or np.shape(X)
            raise type(exc)(
                f"`X` should be an array of shape (n, ...) with n >= 1 samples of "
                f"at least one value each. Received: {type(X).__name__} of shape "
                f"{shape}. {str(exc).splitlines()[0]}"
            ) from exc
        return array, None

    def _check_sampling_strategy(self, sampler, ids, counts):
        """Validate `sampling_strategy` with imbalanced-learn, with a clearer error."""
        kind = sampling_type(sampler)
        strategy = getattr(sampler, "sampling_strategy", None)
        if kind not in ("over-sampling", "under-sampling", "clean-sampling"):
            return strategy
        try:
            return check_sampling_strategy(strategy, ids, kind)
        except ValueError as exc:
            present = {int(c): int(n) for c, n in enumerate(counts) if n}
            raise ValueError(
                f"`sampling_strategy` of {type(sampler).__name__} cannot be met. "
                f"Received: sampling_strategy={strategy!r} with class counts "
                f"{present}. {exc} Fix: over-samplers can only add samples "
                "(target counts >= current counts), under-samplers can only remove "
                "them (target counts <= current counts); 'auto' balances all classes."
            ) from exc

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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        try:
            checks.check_sampler(self.sampler)
            sampler = self._default_sampler() if self.sampler is None else self.sampler
            inner = get_tags(sampler)
        except (TypeError, AttributeError):
            return tags
        kind = sampler_kind(sampler)
        for name in ("allow_nan", "string", "sparse", "dataframe"):
            setattr(tags.input_tags, name, getattr(inner.input_tags, name, False))
        if kind in ("features", "synthesis"):
            tags.input_tags.allow_nan = tags.input_tags.string = False
        sampler_tags = getattr(inner, "sampler_tags", None)
        tags.sampler_tags.sample_indices = kind != "synthesis" and bool(
            getattr(sampler_tags, "sample_indices", False)
        )
        return tags
