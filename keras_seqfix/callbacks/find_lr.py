"""`find_lr`: run the learning-rate range test and leave the model untouched."""

import collections.abc
import math
import numbers
import warnings

import keras
import numpy as np

from keras_seqfix._labels import check_model_labels
from keras_seqfix._validation import (
    Integral,
    Interval,
    check_finite_array,
    checked_signature,
    validate_params,
)
from keras_seqfix.callbacks.lr_range_finder import (
    RAMP_CONSTRAINTS,
    RAMP_EXAMPLES,
    LRRangeFinder,
    check_constant_learning_rate,
    resolve_divergence_factor,
)

# One declared place for `find_lr`'s own arguments; the ramp's are shared with
# `LRRangeFinder` (`RAMP_CONSTRAINTS`).
_CONSTRAINTS = {
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "verbose": [bool, Interval(Integral, 0, 2, closed="both")],
}


class _Progress(keras.callbacks.Callback):
    """A `keras.utils.Progbar` over the batches of the range test."""

    def __init__(self, finder):
        super().__init__()
        self.finder = finder

    def on_train_begin(self, logs=None):
        self.bar = keras.utils.Progbar(
            self.finder.num_steps, stateful_metrics=["lr", "smoothed_loss"]
        )

    @property
    def _current(self):
        # Batches, not points: one point covers `steps_per_execution` batches.
        return min(self.finder.batches_run, self.finder.num_steps)

    def on_train_batch_end(self, batch, logs=None):
        if self.finder.losses:
            values = [
                ("lr", self.finder.lrs[-1]),
                ("smoothed_loss", self.finder.losses[-1]),
            ]
            self.bar.update(self._current, values=values)

    def on_train_end(self, logs=None):
        # A bar that reached `num_steps` has printed its last line already.
        if self._current < self.finder.num_steps:
            self.bar.update(self._current, finalize=True)


def _is_dataset(x):
    return hasattr(x, "element_spec") and hasattr(x, "cardinality")


def _is_array(a):
    return isinstance(a, np.ndarray) or (
        hasattr(a, "__array__") and hasattr(a, "shape") and hasattr(a, "__len__")
    )


def _check_arrays(name, value):
    """Raise a `TypeError` unless `value` is an array or a list/dict of arrays."""
    leaves = keras.tree.flatten(value)
    if leaves and all(_is_array(a) for a in leaves):
        return
    if isinstance(value, collections.abc.Iterator):
        received = (
            "a Python generator or iterator. Generators are not supported: "
            "`find_lr` must be able to restart the data and restore the model"
        )
    else:
        inner = sorted({type(a).__name__ for a in leaves} - {type(value).__name__})
        received = f"an object of type {type(value).__name__}" + (
            f" holding {', '.join(inner)}" if inner else ""
        )
    raise TypeError(
        f"`{name}` should be NumPy array(s) (an array, or a list or dict of "
        "arrays), a `tf.data.Dataset` or a `keras.utils.PyDataset`. Received: "
        f"{received}. Wrap the data in a `keras.utils.PyDataset` or in "
        "`tf.data.Dataset.from_generator(...)`."
    )


def _first_batch(x, batch_size):
    if isinstance(x, keras.utils.PyDataset):
        return x[0][0]
    if _is_dataset(x):
        return next(iter(x.take(1)))[0]
    return keras.tree.map_structure(lambda a: a[:batch_size], x)


def _fit_arguments(x, y, sample_weight, batch_size, num_steps):
    """Arguments for `fit` that give at least `num_steps` full batches."""
    if isinstance(x, keras.utils.PyDataset) or _is_dataset(x):
        if y is not None or sample_weight is not None:
            raise ValueError(
                "`y` and `sample_weight` should be None when `x` is a tf.data "
                "Dataset or a keras.utils.PyDataset (they yield them). Received: "
                f"y of type {type(y).__name__}."
            )
        if isinstance(x, keras.utils.PyDataset):
            batches = x.num_batches
        else:
            batches = int(x.cardinality())
            batches = None if batches < 0 else batches
        if batches is None:  # infinite or unknown: one long epoch
            return {"x": x, "epochs": 1, "steps_per_epoch": num_steps, "shuffle": False}
        epochs = math.ceil(num_steps / max(batches, 1))
        return {"x": x, "epochs": epochs, "shuffle": False}
    _check_arrays("x", x)
    if y is None:
        raise ValueError(
            "`y` should be given when `x` is an array. Received: y=None. Pass "
            "`find_lr(model, x, y)`, or a dataset that yields `(x, y)`."
        )
    _check_arrays("y", y)
    if sample_weight is not None:
        _check_arrays("sample_weight", sample_weight)
    n = _check_lengths(x=x, y=y, sample_weight=sample_weight)
    for name, value in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        for leaf in keras.tree.flatten(value) if value is not None else ():
            if np.asarray(leaf).dtype.kind not in "USO":
                check_finite_array(
                    name,
                    leaf,
                    fix="The range test would diverge at once and suggest "
                    "nothing useful: fill or drop those samples first "
                    f"(`np.isfinite({name})` finds them).",
                )
    if sample_weight is not None and any(
        np.min(w) < 0 for w in keras.tree.flatten(sample_weight) if np.size(w)
    ):
        raise ValueError(
            "`sample_weight` should be non-negative. Received: weights down to "
            f"{min(np.min(w) for w in keras.tree.flatten(sample_weight))}. Pass "
            "weights >= 0, e.g. from `ksf.sample_weights(y, ksf.class_weights(y))`."
        )
    if batch_size > n:
        warnings.warn(
            f"`batch_size` is larger than the data: batch_size={batch_size} for "
            f"{n} samples in `x`, so every batch is the whole data "
            f"(batch_size={n}) and the {num_steps} steps see the same batch. Pass "
            f"batch_size={min(32, n)} or give `find_lr` more samples.",
            stacklevel=3,
        )
    data = (x, y) if sample_weight is None else (x, y, sample_weight)
    return {"x": _FullBatches(data, batch_size, num_steps), "epochs": 1}


def _check_lengths(**arrays):
    """The common number of samples of every array, or a `ValueError`."""
    lengths = {}
    for name, value in arrays.items():
        if value is None:
            continue
        for i, leaf in enumerate(keras.tree.flatten(value)):
            label = name if i == 0 else f"{name} (input {i})"
            lengths[label] = len(leaf)
    if len(set(lengths.values())) > 1:
        received = ", ".join(f"len({k})={v}" for k, v in lengths.items())
        raise ValueError(
            "`x`, `y` (and `sample_weight`) should hold the same number of "
            f"samples. Received: {received}. Pass the labels that belong to `x`, "
            "one per sample."
        )
    n = next(iter(lengths.values()))
    if n == 0:
        raise ValueError("`x` should hold at least one sample. Received: 0.")
    return n


def _check_class_weight(class_weight):
    """Refuse class weights that are not finite and >= 0, or all zero."""
    if class_weight is None:
        return
    if not isinstance(class_weight, collections.abc.Mapping):
        raise TypeError(
            "`class_weight` should be a dict mapping each class id to its weight, "
            f"or None. Received: class_weight of type {type(class_weight).__name__}. "
            "Pass e.g. `class_weight=ksf.class_weights(y)` or `{0: 1.0, 1: 3.0}`."
        )
    for label, weight in class_weight.items():
        is_number = isinstance(weight, numbers.Real | np.number) and not isinstance(
            weight, bool | np.bool_
        )
        if not is_number:
            raise TypeError(
                f"`class_weight` should map each class to a number. Received: "
                f"class_weight[{label!r}]={weight!r} ({type(weight).__name__}). "
                "Pass a float, e.g. `{0: 1.0, 1: 3.0}`."
            )
        if not math.isfinite(weight) or weight < 0:
            why = (
                "A negative weight makes the loss reward that class's errors."
                if weight < 0
                else "A NaN or infinite weight makes the loss non-finite."
            )
            raise ValueError(
                "`class_weight` should hold finite weights >= 0. Received: "
                f"class_weight[{label!r}]={weight!r} for class {label!r}. {why} "
                "Pass weights >= 0, e.g. from `ksf.class_weights(y)`."
            )
    if class_weight and not any(w > 0 for w in class_weight.values()):
        raise ValueError(
            "`class_weight` should give at least one class a weight > 0. Received: "
            f"class_weight={dict(class_weight)!r}, so the loss is 0 and the range "
            "test has nothing to follow. Pass e.g. `ksf.class_weights(y)`."
        )


def _input_shapes(model):
    """The model's declared input shapes, or None when it has none (subclassed)."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs:
        return None
    return [tuple(i.shape) for i in inputs]


def _check_input_shape(model, x):
    """Refuse array `x` whose per-sample shape the model's inputs do not take."""
    if isinstance(x, keras.utils.PyDataset) or _is_dataset(x):
        return
    expected = _input_shapes(model)
    leaves = keras.tree.flatten(x)
    if expected is None or len(expected) != len(leaves):
        return
    for i, (shape, leaf) in enumerate(zip(expected, leaves, strict=True)):
        received = tuple(np.shape(leaf))
        fits = len(received) == len(shape) and all(
            want is None or want == got
            for want, got in zip(shape[1:], received[1:], strict=True)
        )
        if not fits:
            where = "`x`" if len(leaves) == 1 else f"`x` (input {i})"
            raise ValueError(
                f"{where} should have the shape the model's input takes: "
                f"{shape} (None: any size). Received: x of shape {received}. "
                "Pass the data the model was built for, or rebuild the model "
                f"with `keras.Input(shape={received[1:]})`."
            )


def _check_model(model):
    """Refuse a model that `find_lr` cannot train: no loss, a schedule."""
    if not isinstance(model, keras.Model):
        raise TypeError(
            "`model` should be a `keras.Model`. Received: "
            f"{type(model).__name__}. Pass the compiled model you call `fit` on."
        )
    if not getattr(model, "compiled", False):
        raise ValueError(
            "`model` should be compiled before `find_lr`. Received: a model that "
            "is not compiled. Call `model.compile(optimizer=..., loss=...)` first."
        )
    default_step = all(
        getattr(type(model), method).__module__.startswith("keras.")
        for method in ("train_step", "compute_loss")
    )
    if getattr(model, "loss", None) is None and default_step and not model.losses:
        raise ValueError(
            "`model` should be compiled with a loss: the range test follows the "
            "training loss. Received: a model compiled with loss=None. Pass it "
            "to `compile`, e.g. `model.compile(optimizer='adam', "
            "loss='sparse_categorical_crossentropy')`."
        )
    check_constant_learning_rate(model.optimizer)


class _FullBatches(keras.utils.PyDataset):
    """`num_steps` full batches drawn from arrays, a fresh permutation per pass.

    `fit` on arrays ends each epoch with a smaller batch, which breaks the
    recovery of the batch loss from the epoch's running mean, and slicing the
    arrays to whole batches would never show the remainder to the test. Here
    every batch has `batch_size` samples and every sample is drawn in turn;
    each batch is gathered on demand (no copy of the arrays). The order comes
    from NumPy's global generator, so `keras.utils.set_random_seed` fixes it.
    """

    def __init__(self, data, batch_size, num_steps):
        super().__init__()
        self.data = data
        n = len(keras.tree.flatten(data[0])[0])
        self.batch_size = max(1, min(int(batch_size), n))
        self.num_steps = int(num_steps)
        passes = math.ceil(self.num_steps * self.batch_size / n)
        # The global generator on purpose: `keras.utils.set_random_seed` seeds it.
        draws = [np.random.permutation(n) for _ in range(passes)]  # noqa: NPY002
        self.order = np.concatenate(draws)

    def __len__(self):
        return self.num_steps

    def __getitem__(self, index):
        start = index * self.batch_size
        rows = np.sort(self.order[start : start + self.batch_size])
        # Tuples, not lists: `fit` reads a list of inputs from a PyDataset as
        # one tensor spec.
        return keras.tree.lists_to_tuples(
            keras.tree.map_structure(lambda a: a[rows], self.data)
        )


@checked_signature
def find_lr(
    model,
    x,
    y=None,
    *,
    batch_size=32,
    start_lr=1e-7,
    end_lr=10.0,
    num_steps=100,
    smoothing=0.98,
    divergence_factor=4.0,
    method="valley",
    sample_weight=None,
    class_weight=None,
    verbose=1,
    diverge_factor=None,
):
    """Run the learning-rate range test on `model` and restore it exactly.

    Trains `model` with its own `fit` for up to `num_steps` batches while the
    learning rate grows exponentially from `start_lr` to `end_lr` (see
    `LRRangeFinder`), and stops early when the loss diverges. Afterwards the
    weights, the non-trainable state, the metrics and the optimizer state
    (iteration count, learning rate, moments) are assigned back bit for bit,
    also when the loss becomes NaN, an error is raised, or the run is
    interrupted with Ctrl-C (the `KeyboardInterrupt` is re-raised after the
    restore).

    Args:
        model (keras.Model): a compiled `keras.Model` with a constant learning rate.
        x (np.ndarray or list or dict or tf.data.Dataset or keras.utils.PyDataset):
            NumPy array(s) (an array, or a list or dict of arrays), a `tf.data.Dataset`
            or a `keras.utils.PyDataset`. Not a generator: wrap one in a `PyDataset` or
            `tf.data.Dataset.from_generator`.
        y (np.ndarray or None): targets when `x` is an array; `None` for datasets.
        batch_size (int): batch size for arrays. Every batch is full, drawn from a
            fresh shuffle of all the samples on each pass. Defaults to `32`.
        start_lr (float): first learning rate. Defaults to `1e-7`.
        end_lr (float): last learning rate. Defaults to `10.0`.
        num_steps (int): batches from `start_lr` to `end_lr`. Defaults to `100`.
        smoothing (float): loss smoothing factor. Defaults to `0.98`.
        divergence_factor (float): stop when the smoothed loss exceeds this multiple of
            its best (the name `TrainingMonitor` uses). Defaults to `4.0`.
        method ('"valley" | "steepest" | "minimum"'): the suggestion method behind
            `.suggestion` (`"valley"`, `"steepest"` or `"minimum"`). Defaults to
            `"valley"`.
        sample_weight (np.ndarray or None): optional per-sample weights for arrays.
        class_weight (dict or None): optional `{class: weight}` as in `fit`.
        verbose (int): `1` shows a `keras.utils.Progbar`, `0` is silent.
            Defaults to `1`.
        diverge_factor (float or None): deprecated name of `divergence_factor` (it
            warns; removed in 0.3).

    Returns:
        (LRFinderResult): An `LRFinderResult`: `.suggestion`, `.suggestions`, `.lrs`,
            `.losses`, `.raw_losses`, `.diverged`, `.plot()`.

    Raises:
        ValueError: if the model is not compiled or has no loss, the optimizer
            follows a learning-rate schedule, `y` does not fit the kind of `x`,
            the arrays differ in length or hold NaN/inf, `x`'s per-sample
            shape does not fit the model's input, a `class_weight` is negative,
            NaN/inf or all are 0, the labels do not fit
            the loss (one-hot rows for a sparse loss, ids out of range), an
            argument is out of range (`batch_size` below 1, see
            `LRRangeFinder`), the loss is not finite at the first batch, or the
            model's `train_step` returns no `"loss"`.
        TypeError: if `x` (or `y`, `sample_weight`) is a generator or another
            type that is not arrays, a `tf.data.Dataset` or a `PyDataset`;
            if `class_weight` is not a dict of numbers.

    Warns:
        UserWarning: if `batch_size` is larger than the number of samples
            (every batch is then the whole data); if the data ran out before `num_steps` batches without a
            divergence (then the suggestion covers only the rates reached).

    Examples:
        >>> import numpy as np
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="adam", loss="mse")
        >>> x = np.random.default_rng(0).normal(size=(256, 4)).astype("float32")
        >>> before = model.get_weights()
        >>> result = find_lr(model, x, x.sum(1), batch_size=16, num_steps=30, verbose=0)
        >>> result.suggestion > 0
        True
        >>> all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
        True
    """
    from keras_seqfix._backend.state import preserved_state

    validate_params(
        _CONSTRAINTS,
        {"batch_size": batch_size, "verbose": verbose},
        examples={"batch_size": 32, "verbose": 1},
    )
    validate_params(
        {"diverge_factor": RAMP_CONSTRAINTS["diverge_factor"]},
        {"diverge_factor": diverge_factor},
        examples=RAMP_EXAMPLES,
    )
    divergence_factor = resolve_divergence_factor(
        "find_lr", diverge_factor, divergence_factor
    )
    # The finder checks the ramp (check_ramp) in its constructor: built before
    # the model check, so a bad ramp is still refused first.
    finder = LRRangeFinder(
        start_lr=start_lr,
        end_lr=end_lr,
        num_steps=num_steps,
        smoothing=smoothing,
        divergence_factor=divergence_factor,
        method=method,
    )
    _check_model(model)
    _check_class_weight(class_weight)
    arguments = _fit_arguments(x, y, sample_weight, batch_size, finder.num_steps)
    _check_input_shape(model, x)
    if not model.built:
        model(_first_batch(x, batch_size), training=False)
    if y is not None:
        check_model_labels(model, y)  # one label per sample vs the loss
    callbacks = [finder] + ([_Progress(finder)] if verbose else [])
    history = getattr(model, "history", None)
    try:
        with preserved_state(model):
            model.fit(
                **arguments, class_weight=class_weight, verbose=0, callbacks=callbacks
            )
    finally:
        model.history = history
        model.stop_training = False
    raw = finder.result.raw_losses
    if len(raw) and not math.isfinite(raw[0]):
        raise ValueError(
            "The loss of the first batch was not finite (computed before any "
            "update, so no learning rate is to blame), and the range test has "
            "nothing to suggest. Received: `x` or `y` that give a "
            f"{raw[0]} loss: check them for NaN/inf and extreme values, and the "
            "model's output for NaN. The model is restored as it was."
        )
    if verbose:
        result = finder.result
        print(f"Suggested learning rate: {result.suggestion:.3g} ({result.method})")
    return finder.result
