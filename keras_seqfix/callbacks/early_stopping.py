"""Named early-stopping presets that return a configured `EarlyStopping`."""

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


def early_stopping(preset="default", **overrides):
    """A `keras.callbacks.EarlyStopping` configured from a named preset.

    Every preset monitors `"val_loss"` and restores the weights of the best
    epoch (`restore_best_weights=True`). The result is a plain
    `keras.callbacks.EarlyStopping`, Keras's own logic and nothing added: give
    `fit` validation data (`validation_data=` or `validation_split=`). Without
    it there is no `"val_loss"`: Keras warns at every epoch that the metric is
    not available and never stops; pass `monitor="loss"` to stop on the
    training loss instead (it keeps falling while the model overfits, so that
    is a fallback, not a recommendation). `fit_recipe` picks the monitor for
    you: `"loss"` on the small sets it trains without a validation split.

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
        preset ('"default" | "quick" | "patient" | "fine_tune"'): name of the preset.
            Defaults to `"default"`.
        **overrides (Any): any `keras.callbacks.EarlyStopping` argument (`monitor`,
            `patience`, `min_delta`, `mode`, `baseline`, `verbose`,
            `restore_best_weights`, `start_from_epoch`) to replace the preset's.

    Returns:
        (keras.callbacks.EarlyStopping): A `keras.callbacks.EarlyStopping` instance.

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
        >>> type(early_stopping()) is keras.callbacks.EarlyStopping
        True
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
    return keras.callbacks.EarlyStopping(**config)
