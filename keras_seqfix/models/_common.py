"""Argument checks and pieces shared by the builders (recurrent stack, compile)."""

import numbers

import keras

from keras_seqfix._validation import check_int  # noqa: F401 (shared by builders)
from keras_seqfix.models._checked_model import CheckedModel

_LABELS = ("sparse", "one_hot")
_CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
_POOLINGS = ("last", "attention")


def check_rate(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"`{name}` should be a float in [0, 1). Received: {name}={value!r}"
        )
    if not 0.0 <= value < 1.0:
        raise ValueError(
            f"`{name}` should be a float in [0, 1). Received: {name}={value!r}"
        )
    return float(value)


def check_nonnegative(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` should be a float >= 0. Received: {name}={value!r}")
    if value < 0:
        raise ValueError(f"`{name}` should be a float >= 0. Received: {name}={value!r}")
    return float(value)


def check_learning_rate(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"`learning_rate` should be a positive float. Received: learning_rate={value!r}"
        )
    if not value > 0:
        raise ValueError(
            "`learning_rate` should be a positive float, e.g. 1e-3. "
            f"Received: learning_rate={value!r}"
        )
    return float(value)


def check_head(num_classes, labels):
    """Validate the softmax head's arguments, which every builder shares."""
    check_int(
        "num_classes",
        num_classes,
        minimum=2,
        hint="The output is a softmax over the classes: for a yes/no (binary) "
        "task pass num_classes=2 with labels 0 and 1.",
    )
    if labels not in _LABELS:
        raise ValueError(
            f"`labels` should be 'sparse' (integer class ids) or 'one_hot'. "
            f"Received: labels={labels!r}"
        )


def check_common(num_classes, labels, cell, pooling, units):
    """Validate the arguments both recurrent builders share; return `units`."""
    check_head(num_classes, labels)
    if cell not in _CELLS:
        raise ValueError(f"`cell` should be 'lstm' or 'gru'. Received: cell={cell!r}")
    if pooling not in _POOLINGS:
        raise ValueError(
            f"`pooling` should be 'last' or 'attention'. Received: pooling={pooling!r}"
        )
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
    """Wrap in a `CheckedModel` and compile with the matching loss."""
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
