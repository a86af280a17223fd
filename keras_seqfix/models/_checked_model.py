"""A functional model that checks its labels against its loss before `fit`.

The builders return a `CheckedModel`: a plain functional `keras.Model` (same
layers, same `summary`, same `.keras` file plus this registered class name) whose
`fit` and `evaluate` first check that in-memory labels match the compiled loss, so
that one-hot labels given to a sparse loss (or the reverse), float ids or ids out
of range raise an error naming the right `labels=` instead of a shape error deep
inside the loss. Datasets and generators are passed through unchecked.
"""

import keras
import numpy as np


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


def check_labels(y, *, num_classes, labels, argument="y"):
    """Raise a ValueError naming the right `labels=` when `y` does not fit it."""
    try:
        y = np.asarray(y)
    except Exception:  # tensors of other backends: leave them to Keras
        return
    if y.dtype == object or y.size == 0:
        return
    one_hot_like = y.ndim >= 2 and y.shape[-1] == num_classes and y.shape[-1] > 1
    if labels == "sparse":
        if one_hot_like:
            raise ValueError(
                f"`{argument}` looks one-hot encoded (shape {y.shape}), but the model "
                "was built with labels='sparse', which expects integer class ids of "
                "shape (n,). Pass `np.argmax(y, axis=-1)`, or rebuild the model with "
                "labels='one_hot'."
            )
        if y.ndim >= 2 and y.shape[-1] != 1:
            raise ValueError(
                f"`{argument}` should hold one integer class id per sample for "
                f"labels='sparse', shape (n,). Received: shape {y.shape}."
            )
        integer_dtype = np.issubdtype(y.dtype, np.integer) or y.dtype == np.bool_
        if not integer_dtype and (
            not np.all(np.isfinite(y)) or np.any(y != np.round(y))
        ):
            raise ValueError(
                f"`{argument}` should hold integer class ids for labels='sparse'. "
                f"Received: non-integer values such as {y[y != np.round(y)][:3]}. "
                "For probabilities or one-hot rows use labels='one_hot'."
            )
        low, high = np.min(y), np.max(y)
        if low < 0 or high >= num_classes:
            raise ValueError(
                f"`{argument}` should hold class ids in [0, {num_classes - 1}] for a "
                f"model built with num_classes={num_classes} and labels='sparse'. "
                f"Received: ids from {low} to {high}. Re-encode the labels "
                "(`sklearn.preprocessing.LabelEncoder`) or rebuild with the right "
                "num_classes."
            )
    elif labels == "one_hot":
        if y.ndim == 1 or (y.ndim >= 2 and y.shape[-1] == 1 and num_classes > 1):
            raise ValueError(
                f"`{argument}` looks like integer class ids (shape {y.shape}), but "
                "the model was built with labels='one_hot', which expects rows of "
                f"shape (n, {num_classes}). Pass "
                f"`keras.utils.to_categorical(y, {num_classes})`, or rebuild the "
                "model with labels='sparse'."
            )
        if y.shape[-1] != num_classes:
            raise ValueError(
                f"`{argument}` should have {num_classes} columns for labels='one_hot'"
                f" and num_classes={num_classes}. Received: shape {y.shape}."
            )


@keras.saving.register_keras_serializable(package="keras_seqfix")
class CheckedModel(keras.Model):
    """Functional model whose `fit`/`evaluate` check labels against the loss."""

    def _check(self, y, validation_data=None):
        labels = _label_format(self)
        if labels is None:
            return
        num_classes = int(self.outputs[0].shape[-1])
        if y is not None:
            check_labels(y, num_classes=num_classes, labels=labels)
        if isinstance(validation_data, tuple | list) and len(validation_data) >= 2:
            check_labels(
                validation_data[1],
                num_classes=num_classes,
                labels=labels,
                argument="validation_data",
            )

    def fit(self, x=None, y=None, *args, **kwargs):
        self._check(y, kwargs.get("validation_data"))
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        self._check(y)
        return super().evaluate(x, y, *args, **kwargs)
