"""Snapshot and bit-exact restore of a model's and its optimizer's state.

Used by `find_lr` and `diagnose` so that a probe never changes a user's model:
weights, non-trainable state (BatchNormalization statistics, dropout seeds),
metric state and every optimizer variable (iteration count, learning rate,
moments) are copied to NumPy before and assigned back afterwards.

The code only uses `keras.Variable.assign` and `keras.ops.convert_to_numpy`, so
it is the same on every backend.
"""

import contextlib
import dataclasses

import keras
import numpy as np


@dataclasses.dataclass
class ModelState:
    """NumPy copies of a model's variables, paired with the variables themselves.

    Attributes:
        model_values: list of `(variable, value)` for `model.variables` (trainable
            and non-trainable weights, seed generator states) and the metric
            variables.
        optimizer_values: list of `(variable, value)` for `optimizer.variables`
            (iterations, learning rate, moments); empty without an optimizer.
    """

    model_values: list
    optimizer_values: list

    def __len__(self):
        return len(self.model_values) + len(self.optimizer_values)


def variable_to_numpy(variable):
    """A NumPy copy of a variable's value, on every backend.

    Through `convert_to_tensor`: under `tf.distribute` `variable.value` is a
    mirrored variable that NumPy cannot read directly; its tensor is the value.
    """
    value = keras.ops.convert_to_tensor(variable)
    return np.array(keras.ops.convert_to_numpy(value), copy=True)


def _copy(variable):
    return (variable, variable_to_numpy(variable))


def _unique(variables):
    seen, out = set(), []
    for variable in variables:
        if id(variable) not in seen:
            seen.add(id(variable))
            out.append(variable)
    return out


def strategy_scope(model):
    """The scope the model's variables live in: on TensorFlow its distribution
    strategy's (so variables made for it are mirrored across replicas like the
    model's own under `tf.distribute`), elsewhere no scope at all."""
    if keras.backend.backend() == "tensorflow":
        return model.distribute_strategy.scope()
    return contextlib.nullcontext()


def snapshot_state(model):
    """Copy every variable of `model` and of its optimizer to NumPy.

    If the model has an optimizer that is not built yet, it is built first on
    `model.trainable_variables` (which is the state it would start `fit` with),
    so that its moments and iteration count are part of the snapshot.

    Args:
        model: a built `keras.Model`.

    Returns:
        A `ModelState` to give to `restore_state`.

    Raises:
        ValueError: if `model` is not built (it has no variables yet).

    Examples:
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> model.compile(optimizer="adam", loss="mse")
        >>> state = snapshot_state(model)
        >>> before = model.get_weights()[0].copy()
        >>> _ = model.layers[0].kernel.assign(np.zeros((3, 2)))
        >>> restore_state(model, state)
        >>> bool(np.array_equal(model.get_weights()[0], before))
        True
    """
    if not getattr(model, "built", False) or not model.variables:
        raise ValueError(
            "`model` should be built before its state can be saved. Received: an "
            "unbuilt model. Call the model once on a batch (`model(x[:1])`) or "
            "give it a `keras.Input` first."
        )
    model_vars = _unique(list(model.variables) + list(model.metrics_variables))
    optimizer = getattr(model, "optimizer", None)
    optimizer_vars = []
    if optimizer is not None:
        if not optimizer.built:
            with strategy_scope(model):  # mirrored under tf.distribute
                optimizer.build(model.trainable_variables)
        optimizer_vars = _unique(optimizer.variables)
    return ModelState(
        model_values=[_copy(v) for v in model_vars],
        optimizer_values=[_copy(v) for v in optimizer_vars],
    )


def restore_state(model, state):
    """Assign the values of a `snapshot_state` back, bit for bit.

    Args:
        model: the model the snapshot was taken from.
        state: a `ModelState` from `snapshot_state(model)`.

    Raises:
        TypeError: if `state` is not a `ModelState`.
    """
    if not isinstance(state, ModelState):
        raise TypeError(
            "`state` should be the result of `snapshot_state(model)`. "
            f"Received: state of type {type(state).__name__}."
        )
    for variable, value in state.model_values + state.optimizer_values:
        variable.assign(value)


@contextlib.contextmanager
def preserved_state(model):
    """Context manager: snapshot `model` on enter, restore it on exit.

    The restore runs in a `finally` clause, so the model and its optimizer are
    back to their exact state also when the block raises, produces NaN or is
    interrupted with Ctrl-C (`KeyboardInterrupt`).

    Args:
        model: a built `keras.Model`.

    Yields:
        The `ModelState` taken on enter.

    Examples:
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> before = [w.copy() for w in model.get_weights()]
        >>> with preserved_state(model):
        ...     _ = model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=2, verbose=0)
        >>> all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
        True
        >>> int(model.optimizer.iterations.numpy())
        0
    """
    state = snapshot_state(model)
    try:
        yield state
    finally:
        restore_state(model, state)
