"""A functional model that checks its labels against its loss before training.

The builders return a `CheckedModel`: a plain functional `keras.Model` (same
layers, same `summary`, same `.keras` file plus this registered class name) whose
`fit`, `evaluate`, `train_on_batch` and `test_on_batch` first check that the labels
match the compiled loss, so that one-hot labels given to a sparse loss (or the
reverse), string labels, float or non-finite ids, ids out of range or one-hot rows
that are not probabilities raise an error naming the right `labels=` instead of a
shape error deep inside the loss (or silent training).

A model whose input feeds an `Embedding` (the token route) also checks its token
ids in `fit`, `evaluate`, `predict` and `*_on_batch`: fractional floats (which
Keras would truncate to another token) and ids outside `[0, vocab_size)` (which
fail deep inside the Embedding lookup, `indices[0,0] = 122 is not in [0, 50)`)
raise an error naming `x` and the fix. Only in-memory arrays are checked.

What is checked, cheaply:
- in-memory labels (`y`, `validation_data=(x, y)`): shape, dtype and values.
- a `tf.data.Dataset` (as `x` or `validation_data`): only the label part of its
  `element_spec` (rank, last dimension, dtype); it is never iterated, so values
  (ids out of range, float ids) are left to Keras.
- a `keras.utils.PyDataset`: the labels of its first batch, `x[0]`.
- Python generators are passed through unchecked.
"""

import keras
import numpy as np

from keras_seqfix._validation import check_token_ids

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


def _label_format(model):
    """'sparse', 'one_hot' or None (loss not one the builders compile)."""
    loss = getattr(model, "loss", None)
    if isinstance(loss, str):
        name = loss
    else:
        name = getattr(loss, "name", None) or getattr(loss, "__name__", None)
        name = name or type(loss).__name__
    name = str(name).lower().replace("_", "")
    if "sparsecategorical" in name:
        return "sparse"
    if "categoricalcrossentropy" in name or "categoricalfocal" in name:
        return "one_hot"
    return None


def _check_format(shape, kind, *, num_classes, labels, subject, source, received):
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
    _check_format(
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


def _spec_kind(dtype):
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


def _spec_shape(spec):
    """The dimensions of a TensorSpec-like as a tuple, or None if unknown."""
    try:
        return tuple(getattr(spec, "shape", None))
    except (TypeError, ValueError):  # no shape, or a shape of unknown rank
        return None


@keras.saving.register_keras_serializable(package="keras_seqfix")
class CheckedModel(keras.Model):
    """Functional model whose `fit`, `evaluate` and `*_on_batch` check labels."""

    def _vocab_size(self):
        """`input_dim` of the Embedding fed by the model's only input, or None."""
        if len(self.inputs) != 1:
            return None
        for layer in self.layers:
            if isinstance(layer, keras.layers.Embedding):
                try:
                    fed = layer.input is self.inputs[0]
                except (AttributeError, ValueError):
                    fed = False
                return int(layer.input_dim) if fed else None
        return None

    def _check_tokens(self, x, argument="x"):
        vocab_size = self._vocab_size()
        if vocab_size is None or not isinstance(x, np.ndarray | list):
            return
        check_token_ids(argument, x, vocab_size=vocab_size)

    def _check(self, y, x=None, validation_data=None):
        self._check_tokens(x)
        if isinstance(validation_data, tuple | list) and validation_data:
            self._check_tokens(validation_data[0], "validation_data")
        labels = _label_format(self)
        if labels is None:
            return
        kwargs = dict(num_classes=int(self.outputs[0].shape[-1]), labels=labels)
        if y is not None:
            check_labels(y, **kwargs)
        elif x is not None:
            self._check_data(x, "x", **kwargs)
        if isinstance(validation_data, tuple | list):
            if len(validation_data) >= 2:
                check_labels(validation_data[1], argument="validation_data", **kwargs)
        elif validation_data is not None:
            self._check_data(validation_data, "validation_data", **kwargs)

    def _check_data(self, data, argument, **kwargs):
        """Check a PyDataset's first batch or a tf.data.Dataset's element_spec."""
        if isinstance(data, keras.utils.PyDataset):
            try:
                batch = data[0]
            except Exception:  # empty or not indexable yet: Keras reports it
                return
            if isinstance(batch, tuple | list) and len(batch) in (2, 3):
                check_labels(batch[1], argument=argument, source="PyDataset", **kwargs)
            return
        spec = getattr(data, "element_spec", None)
        if not isinstance(spec, tuple) or len(spec) not in (2, 3):
            return  # generators, (x,)-only or dict datasets: unchecked
        x_shape, y_shape = _spec_shape(spec[0]), _spec_shape(spec[1])
        if y_shape is None:
            return
        if (
            x_shape is not None
            and len(self.inputs) == 1
            and len(x_shape) == len(self.inputs[0].shape) - 1
        ):
            return  # unbatched: Keras names the input shape itself
        _check_format(
            y_shape,
            _spec_kind(getattr(spec[1], "dtype", None)),
            subject=_SUBJECTS["tf.data"].format(arg=argument),
            source="tf.data",
            received=" (dtype string)",
            **kwargs,
        )

    def predict(self, x, *args, **kwargs):
        self._check_tokens(x)
        return super().predict(x, *args, **kwargs)

    def fit(self, x=None, y=None, *args, **kwargs):
        self._check(y, x, kwargs.get("validation_data"))
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        # `fit` validates through `evaluate(..., _use_cached_eval_dataset=True)`
        # every epoch; it checked `validation_data` already, once.
        if not kwargs.get("_use_cached_eval_dataset"):
            self._check(y, x)
        return super().evaluate(x, y, *args, **kwargs)

    def train_on_batch(self, x, y=None, *args, **kwargs):
        self._check(y, x)  # called per batch: O(batch) NumPy work, no dataset peeking
        return super().train_on_batch(x, y, *args, **kwargs)

    def test_on_batch(self, x, y=None, *args, **kwargs):
        self._check(y, x)
        return super().test_on_batch(x, y, *args, **kwargs)
