"""Argument checks and pieces shared by the builders (recurrent stack, compile)."""

import numbers

import keras

from keras_seqfix._validation import (
    Integral,
    Interval,
    Options,
    Real,
    check_int,
    check_param,
)
from keras_seqfix.models._checked_model import CheckedModel

_LABELS = ("sparse", "one_hot")
_CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
_POOLINGS = ("last", "attention")


# One declared place for the arguments every builder shares (see `_validation`).
CONSTRAINTS = {
    "num_classes": [Interval(Integral, 2, None, closed="left")],
    "labels": [Options(str, _LABELS)],
    "cell": [Options(str, _CELLS)],
    "pooling": [Options(str, _POOLINGS)],
    "rate": [Interval(Real, 0, 1, closed="left")],
    "penalty": [Interval(Real, 0, None, closed="left")],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "dimension": [Interval(Integral, 1, None, closed="left")],
}
_BINARY_HINT = (
    "The output is a softmax over the classes: for a yes/no (binary) task pass "
    "num_classes=2 with labels 0 and 1."
)


def check_rate(name, value):
    """A dropout rate in [0, 1) as a float."""
    return float(check_param(name, value, CONSTRAINTS["rate"], example=0.3))


def check_nonnegative(name, value):
    """A penalty (`l1`, `l2`) >= 0 as a float."""
    return float(check_param(name, value, CONSTRAINTS["penalty"], example=1e-4))


def check_learning_rate(value):
    return float(
        check_param("learning_rate", value, CONSTRAINTS["learning_rate"], example=1e-3)
    )


def check_shape(name, shape, names, *, optional_first=True):
    """`shape` as a tuple of dimensions (ints >= 1; the first may be None).

    `names` labels each dimension in the message: `input_shape[1] (height)`.
    """
    for i, (dim, label) in enumerate(zip(shape, names, strict=True)):
        if dim is None and i == 0 and optional_first:
            continue
        check_param(f"{name}[{i}] ({label})", dim, CONSTRAINTS["dimension"], example=16)
    return tuple(None if d is None else int(d) for d in shape)


def check_head(num_classes, labels):
    """Validate the softmax head's arguments, which every builder shares."""
    check_int("num_classes", num_classes, minimum=2, hint=_BINARY_HINT)
    check_param("labels", labels, CONSTRAINTS["labels"], example="sparse")


def check_common(num_classes, labels, cell, pooling, units):
    """Validate the arguments both recurrent builders share; return `units`."""
    check_head(num_classes, labels)
    check_param("cell", cell, CONSTRAINTS["cell"], example="lstm")
    check_param("pooling", pooling, CONSTRAINTS["pooling"], example="last")
    stack = (units,) if isinstance(units, numbers.Integral) else units
    if not isinstance(stack, tuple | list) or not stack:
        raise TypeError(
            "`units` should be a positive integer or a non-empty list of them "
            f"(one per stacked recurrent layer). Received: units={units!r}"
        )
    return tuple(check_int("units", u, minimum=1) for u in stack)


def regularizer(l1, l2):
    l1 = check_nonnegative("l1", l1)
    l2 = check_nonnegative("l2", l2)
    return keras.regularizers.L1L2(l1=l1, l2=l2) if (l1 or l2) else None


def recurrent_stack(
    x,
    *,
    units,
    cell,
    bidirectional,
    pooling,
    dropout,
    recurrent_dropout,
    kernel_regularizer,
    mask=None,
):
    """Stacked (bidirectional) LSTM/GRU, then last-state or attention pooling."""
    from keras_seqfix.layers.attention_pooling import AttentionPooling

    for i, size in enumerate(units):
        last = i == len(units) - 1
        layer = _CELLS[cell](
            size,
            return_sequences=not last or pooling == "attention",
            recurrent_dropout=recurrent_dropout,
            kernel_regularizer=kernel_regularizer,
            name=f"{cell}_{i}",
        )
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{cell}_{i}")
        x = layer(x, mask=mask) if (i == 0 and mask is not None) else layer(x)
        if dropout and not last:
            x = keras.layers.Dropout(dropout)(x)
    if pooling == "attention":
        x = AttentionPooling(name="attention_pooling")(x)
    return x


def classifier_head(x, num_classes, *, dropout, kernel_regularizer):
    if dropout:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    # float32 under mixed precision policies: a float16 softmax saturates and
    # the loss would see probabilities of exactly 0 or 1.
    return keras.layers.Dense(
        num_classes,
        activation="softmax",
        kernel_regularizer=kernel_regularizer,
        dtype="float32",
        name="predictions",
    )(x)


def loss_and_metrics(labels):
    """The loss and accuracy metric that match the label format."""
    if labels == "sparse":
        return keras.losses.SparseCategoricalCrossentropy(), [
            keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        ]
    return keras.losses.CategoricalCrossentropy(), [
        keras.metrics.CategoricalAccuracy(name="accuracy")
    ]


def finish(inputs, outputs, *, name, labels, learning_rate, compile):
    """Wrap in a `CheckedModel` and compile with the matching loss.

    A subclass, not a plain `keras.Model`, because only `fit` and `evaluate` see
    the labels it checks (the reasons: `_checked_model`'s docstring).
    """
    learning_rate = check_learning_rate(learning_rate)
    model = CheckedModel(inputs, outputs, name=name)
    if compile:
        loss, metrics = loss_and_metrics(labels)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
            loss=loss,
            metrics=metrics,
        )
    return model


def check_flags(*, name, optional=(), **flags):
    """Validate a builder's `name` (a string) and its on/off arguments (bools).

    Args:
        name: the model's name.
        optional: the flags that may also be `None` (decided from the data).
        **flags: `{argument: value}` of the bool arguments.
    """
    check_param(
        "name",
        name,
        [str],
        example="my_model",
        hint="Pass a string without '/', e.g. name='my_model'.",
    )
    if "/" in name:
        raise ValueError(
            "`name` should not contain '/' (Keras uses it to separate scopes). "
            f"Received: name={name!r}. Pass e.g. name={name.replace('/', '_')!r}."
        )
    for flag, value in flags.items():
        allowed = [bool, Options(Integral, {0, 1})]  # 0 and 1 read as False, True
        if flag in optional:
            allowed.append(None)
        check_param(flag, value, allowed, hint=f"Pass {flag}=True or {flag}=False.")


def check_alphas(alphas):
    """`alphas` as a tuple of positive finite floats (the ridge grid)."""
    if isinstance(alphas, str) or not hasattr(alphas, "__len__"):
        raise TypeError(
            "`alphas` should be a non-empty list of positive floats (the ridge "
            f"regularisation grid). Received: alphas={alphas!r} "
            f"({type(alphas).__name__}). Pass e.g. alphas=(0.1, 1.0, 10.0)."
        )
    if len(alphas) == 0:
        raise ValueError(
            "`alphas` should be a non-empty list of positive floats. Received: "
            "alphas=(). Pass e.g. alphas=(0.1, 1.0, 10.0)."
        )
    positive = Interval(Real, 0, None, closed="neither")
    for i, alpha in enumerate(alphas):
        check_param(f"alphas[{i}]", alpha, [positive], example=1.0)
    return tuple(float(a) for a in alphas)
