"""Named early-stopping presets that return a configured `EarlyStopping`."""

import warnings

import keras

from keras_seqfix._validation import (
    Integral,
    Interval,
    Options,
    Real,
    check_param,
    validate_params,
)

# Each preset: the EarlyStopping arguments and the reason for them (shown in the
# docstring of `early_stopping` and in docs/callbacks.md).
_PRESETS = {
    "default": (
        {"patience": 10, "min_delta": 0.0, "start_from_epoch": 0},
        "most runs of 20 to 200 epochs: stops after 10 epochs without a new best.",
    ),
    "quick": (
        {"patience": 3, "min_delta": 0.0, "start_from_epoch": 0},
        "prototyping, or large data sets where an epoch is long and the "
        "validation curve is smooth.",
    ),
    "patient": (
        {"patience": 20, "min_delta": 1e-4, "start_from_epoch": 5},
        "small, noisy data sets (a few hundred sequences): the validation loss "
        "jumps between epochs, so it waits out the noise and ignores the first "
        "5 epochs of warm-up.",
    ),
    "fine_tune": (
        {"patience": 5, "min_delta": 1e-4, "start_from_epoch": 0},
        "the second phase after `unfreeze_backbone` at a low learning rate: "
        "gains are small and overfitting starts quickly.",
    ),
}

# One declared place for the overrides' constraints (see `_validation`): the
# `keras.callbacks.EarlyStopping` arguments, checked before Keras sees them.
_OVERRIDE_CONSTRAINTS = {
    "monitor": [str],
    "min_delta": [Interval(Real, 0, None, closed="left")],
    "patience": [Interval(Integral, 0, None, closed="left")],
    "verbose": [bool, Interval(Integral, 0, 2, closed="both")],
    "mode": [Options(str, {"auto", "min", "max"})],
    "baseline": [None, Interval(Real, None, None)],
    "restore_best_weights": [bool, Options(int, {0, 1})],
    "start_from_epoch": [Interval(Integral, 0, None, closed="left")],
}
_OVERRIDE_EXAMPLES = {
    "monitor": "val_loss",
    "min_delta": 1e-4,
    "patience": 10,
    "verbose": 1,
    "mode": "min",
    "baseline": 0.5,
    "restore_best_weights": True,
    "start_from_epoch": 5,
}
_EARLY_STOPPING_ARGS = tuple(_OVERRIDE_CONSTRAINTS)


class _EarlyStoppingWithFallback(keras.callbacks.EarlyStopping):
    """`EarlyStopping` that falls back from `val_<name>` to `<name>` without
    validation data.

    A subclass is strictly needed here: a plain `EarlyStopping` cannot change
    what it monitors; a wrapper callback would no longer be an `EarlyStopping`
    (which `early_stopping` promises to return). Everything else is Keras's own
    logic.

    `fit` does not tell its callbacks whether it has validation data
    (`self.params` holds only `verbose`, `epochs` and `steps`), and with
    `validation_freq` > 1 the first epochs have no `val_<name>` although it
    comes later. So until a validation has run (`on_test_begin`, which `fit`
    calls when it validates) the callback monitors `<name>`, silently; at the
    first validation it goes back to `val_<name>` and starts afresh, and from
    then on skips the epochs that `validation_freq` leaves out. It warns at the
    end of a `fit` that ran no validation at all.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.requested_monitor = self.monitor
        self._warned = False

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.monitor = self.requested_monitor
        self._saw_validation = self._validated = False

    def on_epoch_begin(self, epoch, logs=None):
        self._validated = False

    def on_test_begin(self, logs=None):
        # `fit` runs `evaluate` with the same callbacks when it validates.
        self._saw_validation = self._validated = True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        requested = self.requested_monitor
        fallback = requested.removeprefix("val_")
        if requested in logs or not requested.startswith("val_") or self._validated:
            if self.monitor != requested:
                # The first validation (`validation_freq` > 1): start afresh.
                self.monitor = requested
                super().on_train_begin()  # Keras's reset: best, wait, weights
        elif self._saw_validation:
            return  # an epoch that `validation_freq` skips: nothing to compare
        elif fallback in logs:
            self.monitor = fallback  # no validation yet: the training value
        super().on_epoch_end(epoch, logs)

    def on_train_end(self, logs=None):
        if self.monitor != self.requested_monitor and not self._warned:
            warnings.warn(
                "early_stopping: no validation ran in this `fit` (no validation "
                "data, or a `validation_freq` beyond the epochs it ran), so "
                f"'{self.requested_monitor}' was not available; it monitored the "
                f"training '{self.monitor}' instead. Training loss keeps falling "
                "while the model overfits: pass `validation_data=(x_val, "
                "y_val)` or `validation_split=0.2` to `fit`.",
                stacklevel=2,
            )
            self._warned = True
        super().on_train_end(logs)


def early_stopping(preset="default", **overrides):
    """A `keras.callbacks.EarlyStopping` configured from a named preset.

    Every preset monitors `"val_loss"` and restores the weights of the best
    epoch (`restore_best_weights=True`). When `fit` gets no validation data the
    callback monitors the training `"loss"` instead and warns once, at the end
    of training (only then is it sure: with `validation_freq` > 1 the first
    epochs have no `"val_loss"`; it monitors `"val_loss"` from the first
    validation on and skips the epochs without one).

    Presets:

    - `"default"`: patience 10. Most runs of 20 to 200 epochs.
    - `"quick"`: patience 3. Prototyping, or large data sets where an epoch is
      long and the validation curve is smooth.
    - `"patient"`: patience 20, `min_delta=1e-4`, `start_from_epoch=5`. Small,
      noisy data sets (a few hundred sequences): waits out epoch-to-epoch noise
      and ignores the warm-up epochs.
    - `"fine_tune"`: patience 5, `min_delta=1e-4`. The second phase after
      `unfreeze_backbone`: gains are small and overfitting starts quickly.

    Args:
        preset: name of the preset. Defaults to `"default"`.
        **overrides: any `keras.callbacks.EarlyStopping` argument (`monitor`,
            `patience`, `min_delta`, `mode`, `baseline`, `verbose`,
            `restore_best_weights`, `start_from_epoch`) to replace the preset's.

    Returns:
        A `keras.callbacks.EarlyStopping` instance.

    Raises:
        ValueError: if `preset` is not a known preset name, or an override has
            a bad value (`patience=-1`, a negative `min_delta`, an unknown
            `mode`, a NaN `baseline`).
        TypeError: if an override is not an `EarlyStopping` argument or has the
            wrong type (`patience="10"`).

    Examples:
        >>> callback = early_stopping("quick")
        >>> callback.patience, callback.monitor, callback.restore_best_weights
        (3, 'val_loss', True)
        >>> early_stopping("patient", patience=30).patience
        30
    """
    check_param("preset", preset, [Options(str, _PRESETS)], example="default")
    unknown = sorted(set(overrides) - set(_EARLY_STOPPING_ARGS))
    if unknown:
        raise TypeError(
            f"early_stopping() got unexpected keyword argument(s) {unknown}. "
            f"Overrides should be keras.callbacks.EarlyStopping arguments: "
            f"{list(_EARLY_STOPPING_ARGS)}."
        )
    validate_params(
        {name: _OVERRIDE_CONSTRAINTS[name] for name in overrides},
        overrides,
        examples=_OVERRIDE_EXAMPLES,
    )
    config = {"monitor": "val_loss", "restore_best_weights": True, "verbose": 0}
    config.update(_PRESETS[preset][0])
    config.update(overrides)
    return _EarlyStoppingWithFallback(**config)
