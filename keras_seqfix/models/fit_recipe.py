"""`fit_recipe`: the `model.fit` arguments that train the built models well."""

import math
import numbers
import warnings

import keras

from keras_seqfix._validation import checked_signature
from keras_seqfix.layers.minirocket_features import MiniRocketFeatures


@checked_signature
def fit_recipe(
    x,
    *,
    model=None,
    updates=2500,
    max_batch_size=16,
    large=1000,
    max_epochs=None,
    floor_delta=1e-3,
    callbacks=None,
):
    """Keyword arguments for `model.fit`: epochs, batch size and callbacks.

    What the docs call "the fit recipe", as a dict you unpack into your own
    `fit` (`model.fit(x, y, **fit_recipe(x))`) or read and change first. It
    decides by the number of training samples:

    - **Small sets** (fewer than `large`, such as the UCR series): every sample
      trains (no validation split), in as many batches as `max_batch_size`
      needs, spread evenly (36 samples: 3 of 12, not 16 + 16 + 4), for about
      `updates` optimizer updates (at least 100 and at most 1,000 epochs).
      `ReduceLROnPlateau` halves the learning rate when the epoch's *training*
      loss has not improved for 5% of the epochs (at least 10; down to `1e-4`):
      the schedule of the published FCN and LSTM-FCN results, in a CPU budget.
      Training stops once the training loss is at its floor: when it has not
      fallen by `floor_delta` in twice that patience (the rate halved at least
      once in between), and the weights of its last such fall are restored.
    - **Larger sets**: 10% held out for validation, batches of 64, up to 100
      epochs, the rate halved after 5 epochs and training stopped after 10
      without a better validation loss, the best weights restored.

    Both restore weights with a Keras `EarlyStopping`. On small sets it
    watches the training loss with `min_delta=floor_delta`: a loss spike
    followed by a slow recovery does not stop the run while the loss is still
    above its best by more than that, and the budget is not spent once the
    loss stops moving (docs: Models > The fit recipe).

    With `model=` a model made by `build_rocket_classifier` (one with a
    `MiniRocketFeatures` layer), the recipe is for its linear head on fixed
    features: about 300 updates in equal batches of at most 32 (10 to 100
    epochs), the weights with the lowest training loss restored; on larger
    sets batches of 256, 10% held out, up to 30 epochs with early stopping.
    Any other model gets the recipe above.

    Your own callbacks go in through `callbacks`, not beside the unpacked dict
    (`model.fit(x, y, callbacks=[mine], **fit_recipe(x))` passes `callbacks`
    twice, a `TypeError`): `model.fit(x, y, **fit_recipe(x, callbacks=[mine]))`.
    They run after the recipe's, in the order given, so at the end of training
    they see the weights the recipe's `EarlyStopping` restored. A second
    callback of a class the recipe already adds (another `EarlyStopping` or
    `ReduceLROnPlateau`) runs beside the recipe's, both acting: that is your
    choice, and it warns. To replace one of the recipe's, edit the dict instead.

    Args:
        x (np.ndarray or list or dict or int): the training inputs (an array, or a list
            or dict of arrays for a model with several inputs), or their number of
            samples as an int. The recipe is for in-memory arrays, which `fit` batches
            and splits itself; for a dataset, take its `epochs` and `callbacks` only.
        model (keras.Model or None): the model the recipe is for; one from
            `build_rocket_classifier` gets its own recipe. Defaults to `None`
            (the recurrent builders' recipe).
        updates (int): optimizer updates to aim for on small sets. Defaults to
            `2500` (4 to 6 minutes for series of 150 to 250 steps on one CPU
            core, under 5 on two).
        max_batch_size (int): largest batch on small sets. Defaults to `16`.
        large (int): number of samples from which a validation split is held out.
            Defaults to `1000`.
        max_epochs (int or None): cap on the epochs (for a smoke run). Defaults to
            `None`.
        floor_delta (float or None): on small sets, the fall of the training loss (in
            nats per sample) below which it counts as at its floor. `None` trains the
            whole budget and restores the weights of the lowest training loss. Defaults
            to `1e-3`.
        callbacks (list or tuple of keras.callbacks.Callback, or None): your own
            `keras.callbacks.Callback` objects (a list or tuple), appended after the
            recipe's, in their order. Defaults to `None` (the recipe's callbacks only).

    Returns:
        (dict): A dict with `epochs`, `batch_size` and `callbacks` (new callback objects
            each call, then yours), plus `validation_split` on larger sets.

    Raises:
        TypeError: if `x` is not arrays or an int (a dataset or generator
            has no size here), an argument is not an int, or `callbacks` is
            not a list of Keras callbacks.
        ValueError: if there are no samples or an argument is below 1.

    Examples:
        >>> import keras
        >>> import numpy as np
        >>> import keras_seqfix as ksf
        >>> recipe = ksf.models.fit_recipe(np.zeros((36, 251, 1)))
        >>> recipe["batch_size"], recipe["epochs"]  # 3 batches of 12, 2,500 updates
        (12, 834)
        >>> [type(c).__name__ for c in recipe["callbacks"]]
        ['ReduceLROnPlateau', 'EarlyStopping']
        >>> sorted(ksf.models.fit_recipe(5000))
        ['batch_size', 'callbacks', 'epochs', 'validation_split']
        >>> log = keras.callbacks.CSVLogger("training.csv")
        >>> recipe = ksf.models.fit_recipe(36, callbacks=[log])
        >>> [type(c).__name__ for c in recipe["callbacks"]]
        ['ReduceLROnPlateau', 'EarlyStopping', 'CSVLogger']
    """
    user_callbacks = _check_callbacks(callbacks)
    recipe = _recipe(
        x,
        model=model,
        updates=updates,
        max_batch_size=max_batch_size,
        large=large,
        max_epochs=max_epochs,
        floor_delta=floor_delta,
    )
    _warn_on_duplicates(recipe["callbacks"], user_callbacks)
    recipe["callbacks"] = recipe["callbacks"] + user_callbacks
    return recipe


def _recipe(x, *, model, updates, max_batch_size, large, max_epochs, floor_delta):
    n = _num_samples(x)
    updates = _check_count("updates", updates)
    max_batch_size = _check_count("max_batch_size", max_batch_size)
    large = _check_count("large", large)
    if max_epochs is not None:
        max_epochs = _check_count("max_epochs", max_epochs, none_ok=True)
    if floor_delta is not None and (
        isinstance(floor_delta, bool)
        or not isinstance(floor_delta, numbers.Real)
        or not 0 <= floor_delta < float("inf")
    ):
        raise ValueError(
            "`floor_delta` should be a float >= 0 (the training-loss fall that "
            "still counts as learning) or None (train the whole budget). "
            f"Received: floor_delta={floor_delta!r}"
        )
    if model is not None and not isinstance(model, keras.Model):
        raise TypeError(
            "`model` should be the keras.Model the recipe is for, or None. "
            f"Received: model of type {type(model).__name__}"
        )
    if _is_rocket(model):
        return _rocket_recipe(n, large=large, max_epochs=max_epochs)
    if n >= large:
        return _held_out_recipe(
            min(100, max_epochs or 100), batch_size=64, plateau=5, stop=10
        )
    # Equal batches: 36 series in batches of 16 would end every epoch on a batch
    # of 4, whose noisy statistics BatchNormalization's moving averages take in
    # at the weight of a full batch; 3 batches of 12 leave no such runt.
    batches = math.ceil(n / max_batch_size)
    epochs = min(1000, max(100, math.ceil(updates / batches)))
    if max_epochs is not None:
        epochs = min(epochs, max_epochs)
    patience = max(10, epochs // 20)
    if floor_delta is None:
        # Patience = the whole run: it only keeps and restores the weights
        # with the lowest training loss (the published runs' checkpoint).
        stop = keras.callbacks.EarlyStopping(
            monitor="loss", patience=epochs, restore_best_weights=True
        )
    else:
        # At the floor: no fall of floor_delta in two plateau windows.
        stop = keras.callbacks.EarlyStopping(
            monitor="loss",
            min_delta=floor_delta,
            patience=2 * patience,
            restore_best_weights=True,
        )
    return dict(
        epochs=epochs,
        batch_size=math.ceil(n / batches),
        callbacks=[
            keras.callbacks.ReduceLROnPlateau(
                monitor="loss", factor=0.5, patience=patience, min_lr=1e-4
            ),
            stop,
        ],
    )


def _check_callbacks(callbacks):
    if callbacks is None:
        return []
    if not isinstance(callbacks, list | tuple):
        raise TypeError(
            "`callbacks` should be a list of keras.callbacks.Callback objects, "
            f"appended after the recipe's. Received: callbacks of type "
            f"{type(callbacks).__name__}. Fix: wrap it in a list, "
            "fit_recipe(x, callbacks=[my_callback])."
        )
    for i, callback in enumerate(callbacks):
        if not isinstance(callback, keras.callbacks.Callback):
            raise TypeError(
                "`callbacks` should hold keras.callbacks.Callback objects. "
                f"Received: callbacks[{i}] of type {type(callback).__name__}. "
                "Fix: pass callback instances, e.g. "
                "callbacks=[keras.callbacks.CSVLogger('log.csv')]."
            )
    return list(callbacks)


def _warn_on_duplicates(recipe_callbacks, user_callbacks):
    for callback in user_callbacks:
        same = [c for c in recipe_callbacks if isinstance(callback, type(c))]
        if same:
            name = type(same[0]).__name__
            warnings.warn(
                f"`callbacks` holds a {type(callback).__name__} and the recipe "
                f"adds its own {name}: both run, the recipe's first. If you "
                "meant to replace the recipe's, drop it from the dict instead: "
                "recipe = fit_recipe(x); recipe['callbacks'] = [c for c in "
                f"recipe['callbacks'] if not isinstance(c, keras.callbacks.{name})]"
                " + [mine].",
                stacklevel=3,
            )


def _num_samples(x):
    if isinstance(x, numbers.Integral) and not isinstance(x, bool):
        n, received = int(x), f"x={x!r}"
    else:
        leaves = keras.tree.flatten(x) if isinstance(x, list | tuple | dict) else [x]
        shape = getattr(leaves[0], "shape", None) if leaves else None
        if shape is None or not len(shape):
            raise TypeError(
                "`x` should be the training arrays (an array, or a list or dict of "
                "arrays) or their number of samples as an int. Received: x of type "
                f"{type(x).__name__}. A dataset or generator is batched already: "
                "take `epochs` and `callbacks` from fit_recipe(num_samples) and "
                "leave out its `batch_size` and `validation_split`."
            )
        n, received = int(shape[0]), f"an input of shape {tuple(shape)}"
    if n < 1:
        raise ValueError(
            f"`x` should hold at least one sample. Received: {received}. Pass the "
            "training data, or its number of samples."
        )
    return n


def _check_count(name, value, *, none_ok=False):
    expected = "a positive integer" + (" or None" if none_ok else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` should be {expected}. Received: {name}={value!r}")
    if value < 1:
        raise ValueError(f"`{name}` should be {expected}. Received: {name}={value!r}")
    return int(value)


def _held_out_recipe(epochs, *, batch_size, plateau, stop):
    """Larger sets: 10% held out, the rate halved and training stopped on it."""
    return dict(
        epochs=epochs,
        batch_size=batch_size,
        validation_split=0.1,
        callbacks=[
            keras.callbacks.ReduceLROnPlateau(
                monitor="val_loss", factor=0.5, patience=plateau, min_lr=1e-5
            ),
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=stop, restore_best_weights=True
            ),
        ],
    )


def _is_rocket(model):
    return model is not None and any(
        isinstance(layer, MiniRocketFeatures) for layer in model.layers
    )


def _rocket_recipe(n, *, large, max_epochs):
    """A linear head on MiniRocket features: ~300 updates, or 30 epochs on big sets.

    The features are fixed, so only a linear layer learns. Each epoch
    recomputes the features, which is nearly the whole cost: on small sets the
    closed-form ridge head (`adapt_labels=`) is faster and needs no fit.
    """
    if n >= large:
        return _held_out_recipe(
            min(30, max_epochs or 30), batch_size=256, plateau=2, stop=4
        )
    batches = math.ceil(n / 32)
    epochs = min(100, max(10, math.ceil(300 / batches)))
    if max_epochs is not None:
        epochs = min(epochs, max_epochs)
    return dict(
        epochs=epochs,
        batch_size=math.ceil(n / batches),
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="loss", patience=epochs, restore_best_weights=True
            ),
        ],
    )
