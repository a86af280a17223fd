"""`tune`: a time-budgeted Bayesian search over a builder's hyper-parameters."""

import contextlib
import math
import os
import tempfile
import time
import warnings

import keras
import numpy as np

from keras_seqfix._validation import (
    Integral,
    Interval,
    Options,
    Real,
    check_finite_array,
    checked_signature,
    validate_params,
)
from keras_seqfix.tuning._keras_tuner import require_keras_tuner
from keras_seqfix.tuning.tune_result import TuneResult

_KINDS = ("lstm", "rocket", "cnn_lstm")


@checked_signature
def tune(
    x,
    y,
    *,
    kind=None,
    max_trials=10,
    time_budget=None,
    validation_data=None,
    seed=0,
    directory=None,
    verbose=1,
    epochs=None,
    patience=10,
    folds=3,
    cv_below=300,
    refit="auto",
    callbacks=None,
    fit_kwargs=None,
    **fixed,
):
    """Search a builder's hyper-parameters and return the best model.

    Picks the hypermodel for the data (integer ids `(n, length)`: the token
    route of `build_lstm_classifier`; float series `(n, timesteps, features)`:
    its numeric route; frames `(n, frames, height, width, channels)`:
    `build_cnn_lstm`), then runs keras-tuner's Bayesian optimisation. The
    first trial is the builder's defaults, so the search can only improve on
    the untuned model. Each trial trains with early stopping on the
    validation loss (best epoch restored) and is scored by its best
    validation loss:

    - on `validation_data` when given;
    - else, on sets of fewer than `cv_below` samples, by stratified k-fold
      cross-validation (`folds` folds; one small split would make the scores
      noise), and the best hyper-parameters are retrained on all of `x`;
    - else on a stratified 20% split of `x`.

    Once `time_budget` seconds have passed no new trial starts (the running
    one finishes). Ctrl-C (`KeyboardInterrupt`) stops the search and returns
    the best trial found so far, with `interrupted=True`. Labels may be
    integer ids or one-hot rows; the builders compile the matching loss.

    Args:
        x (np.ndarray): training inputs, a NumPy array.
        y (np.ndarray): training labels: integer class ids `(n,)` or one-hot
            `(n, classes)`.
        kind ('"lstm" | "rocket" | "cnn_lstm" | keras_tuner.HyperModel | None'): `None`
            (from the data), `"lstm"`, `"rocket"` (`build_rocket_classifier`, for
            numeric series), `"cnn_lstm"`, or a keras-tuner `HyperModel` of your own (a
            keras_seqfix one, or any whose `fit` takes `validation_data` and
            `callbacks`). Defaults to `None`.
        max_trials (int): the most trials to run. Defaults to `10`.
        time_budget (float or None): seconds after which no new trial starts, or `None`
            for no limit. Defaults to `None`.
        validation_data (tuple or None): `(x_val, y_val)` to score the trials on.
            Defaults to `None`.
        seed (int): seed of the search, the splits and each trial's weights (set
            with `keras.utils.set_random_seed`). Defaults to `0`.
        directory (str or os.PathLike or None): where keras-tuner writes its trial
            records (overwritten). `None` uses a temporary directory, removed at the
            end. Defaults to `None`.
        verbose (int): `0` silent, `1` one line per trial, `2` also the epochs.
            Defaults to `1`.
        epochs (int or None): the most epochs of one trial's fit. `None` means the
            hypermodel's own: 50 for `"lstm"`, 30 for `"cnn_lstm"`, none for
            `"rocket"` (its ridge head is solved when it is built).
            Defaults to `None`.
        patience (int): epochs without a better validation loss before a trial
            stops. Defaults to `10`.
        folds (int): cross-validation folds for small sets. Defaults to `3`.
        cv_below (int): sets with fewer samples are cross-validated (without
            `validation_data`). Defaults to `300`.
        refit ('bool | "auto"'): retrain the best hyper-parameters on all of `x` for the
            mean best epoch of their trial. `"auto"` retrains after a cross-validation
            and keeps the best trial's own model otherwise (after cross-validation that
            is its best fold's model). Defaults to `"auto"`.
        callbacks (list or tuple or None): your callbacks, copied into every trial's
            `fit`. Defaults to `None`.
        fit_kwargs (dict or None): other `fit` arguments of every trial (`class_weight`,
            `batch_size` to fix it, ...). Defaults to `None`.
        **fixed (Any): builder arguments held fixed instead of searched, e.g.
            `cell="gru"` or `units=64`.

    Returns:
        (TuneResult): A `TuneResult` with `.model`, `.hyperparameters`, `.table` and
            `.plot()`.

    Raises:
        ImportError: if keras-tuner is not installed (`pip install
            "keras-seqfix[tune]"`).
        ValueError: for data whose kind cannot be told or does not fit
            `kind`, labels that are neither ids nor one-hot rows, or a bad
            argument value.
        TypeError: for an argument of the wrong type.
        RuntimeError: if every trial failed.

    Examples:
        >>> import numpy as np
        >>> import keras_seqfix as ksf
        >>> rng = np.random.default_rng(0)
        >>> y = np.arange(40) % 2
        >>> x = (rng.normal(size=(40, 30, 1)) + y[:, None, None]).astype("float32")
        >>> result = ksf.tune(x, y, kind="rocket", max_trials=2, verbose=0)
        >>> [row["trial"] for row in result.table], sorted(result.hyperparameters)
        ([1, 2], ['num_features'])
        >>> result.cross_validated, result.model.loss.name  # 40 samples: 3 folds
        (True, 'sparse_categorical_crossentropy')
    """
    kt = require_keras_tuner()
    from keras_seqfix.tuning import _search

    _check_arguments(
        {
            "kind": kind,
            "max_trials": max_trials,
            "time_budget": time_budget,
            "seed": seed,
            "directory": directory,
            "verbose": verbose,
            "epochs": epochs,
            "patience": patience,
            "folds": folds,
            "cv_below": cv_below,
            "refit": refit,
            "callbacks": callbacks,
            "fit_kwargs": fit_kwargs,
        }
    )
    x = np.asarray(x)
    if x.dtype.kind == "f":
        check_finite_array("x", x)
    labels, num_classes, ids = _labels(y, validation_data)
    y = np.asarray(y)
    if len(x) != len(y):
        raise ValueError(
            "`x` and `y` should hold the same number of samples. Received: "
            f"{len(x)} inputs and {len(y)} labels"
        )
    hypermodel = _hypermodel(
        kt, kind, x, y, labels, num_classes, validation_data, fixed
    )
    splits, cross_validated = _splits(x, y, ids, validation_data, folds, cv_below, seed)
    fit = dict(fit_kwargs or {})
    if epochs is not None:
        fit.setdefault("epochs", epochs)
    fit["callbacks"] = list(callbacks or [])
    fit["verbose"] = 2 if verbose >= 2 else 0

    with contextlib.ExitStack() as stack:
        if directory is None:
            directory = stack.enter_context(
                tempfile.TemporaryDirectory(prefix="keras_seqfix_tune_")
            )
        search = _search.Search(
            _search.DefaultsFirstOracle(
                objective=kt.Objective(_search.OBJECTIVE, "min"),
                max_trials=max_trials,
                num_initial_points=min(max_trials, max(2, max_trials // 3)),
                seed=seed,
            ),
            hypermodel,
            splits=splits,
            fit_kwargs=fit,
            patience=patience,
            time_budget=time_budget,
            seed=seed,
            report=_reporter(verbose, max_trials),
            directory=directory,
            project_name="keras_seqfix_tune",
            overwrite=True,
        )
        search.oracle.verbose = 0
        started = time.monotonic()
        interrupted = False
        try:
            search.search(verbose=0)
        except KeyboardInterrupt:
            if search.best is None:
                raise
            interrupted = True
            warnings.warn(
                "tune was interrupted: returning the best of the "
                f"{_completed(search)} completed trials (no refit).",
                stacklevel=2,
            )
        if search.best is None:
            messages = [t.message for t in search.oracle.trials.values() if t.message]
            raise RuntimeError(
                "Every trial of tune failed, so there is no best model. The last "
                "error:\n" + (messages[-1] if messages else "(none recorded)")
            )
        best = search.best
        if refit == "auto":
            refit = cross_validated
        if refit and not interrupted:
            model = _refit(_search, search, hypermodel, x, y, best, fit, seed)
        else:
            model = _best_trial_model(_search, hypermodel, splits, best, seed)
        table = _table(search)
    result = TuneResult(
        model=model,
        hyperparameters=dict(best["hyperparameters"].values),
        table=table,
        best_score=float(best["score"]),
        objective=_search.OBJECTIVE,
        cross_validated=cross_validated,
        refitted=bool(refit and not interrupted),
        interrupted=interrupted,
        seconds=time.monotonic() - started,
    )
    if verbose:
        print(
            f"Best {result.objective} {result.best_score:.4f}: {result.hyperparameters}"
        )
    return result


# Declared once (see `keras_seqfix._validation`), checked before any work.
_POSITIVE = Interval(Integral, 1, None, closed="left")
_CONSTRAINTS = {
    "kind": [None, Options(str, _KINDS)],
    "max_trials": [_POSITIVE],
    "time_budget": [None, Interval(Real, 0, None, closed="neither")],
    "seed": [Interval(Integral, 0, 2**32 - 1)],
    "directory": [None, str, os.PathLike],
    "verbose": [Interval(Integral, 0, None, closed="left")],
    "epochs": [None, _POSITIVE],
    "patience": [Interval(Integral, 0, None, closed="left")],
    "folds": [Interval(Integral, 2, None, closed="left")],
    "cv_below": [Interval(Integral, 0, None, closed="left")],
    "refit": [bool, Options(str, {"auto"})],
    "callbacks": [None, list, tuple],
    "fit_kwargs": [None, dict],
}
_EXAMPLES = {"time_budget": 600, "seed": 0, "epochs": 20, "folds": 3, "cv_below": 300}


def _check_arguments(params):
    validate_params(_CONSTRAINTS, params, examples=_EXAMPLES)
    for i, callback in enumerate(params["callbacks"] or ()):
        if not isinstance(callback, keras.callbacks.Callback):
            raise TypeError(
                f"`callbacks` should be a list of keras.callbacks.Callback. Received: "
                f"callbacks[{i}]={callback!r} ({type(callback).__name__}). Pass "
                "instances, e.g. callbacks=[keras.callbacks.CSVLogger('log.csv')]."
            )
    reserved = {"x", "y", "validation_data", "callbacks", "verbose"}
    clash = sorted(reserved & set(params["fit_kwargs"] or {}))
    if clash:
        raise ValueError(
            f"`fit_kwargs` should not hold {clash}: tune passes them itself. Pass "
            "them as tune's own arguments (callbacks=..., verbose=...)."
        )


def _labels(y, validation_data):
    """The label format, the number of classes and the class ids of `y`."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        if not np.all(np.isin(y, (0, 1))) or not np.all(y.sum(axis=1) == 1):
            raise ValueError(
                "`y` of shape (n, classes) should hold one-hot rows (one 1 per "
                "row, zeros elsewhere). Received: rows that are not one-hot. "
                "Pass integer class ids of shape (n,) instead."
            )
        return "one_hot", int(y.shape[1]), y.argmax(axis=1)
    ids = y.reshape(len(y), -1)
    if ids.shape[1] != 1 or not (
        np.issubdtype(y.dtype, np.integer) or np.all(np.mod(y, 1) == 0)
    ):
        raise ValueError(
            "`y` should be integer class ids of shape (n,) or one-hot rows of "
            f"shape (n, classes). Received: shape {y.shape}, dtype {y.dtype}"
        )
    ids = ids[:, 0].astype("int64")
    if ids.min() < 0:
        raise ValueError(
            "`y` should hold class ids 0..classes-1. Received: a negative id "
            f"{int(ids.min())}"
        )
    top = int(ids.max())
    if validation_data is not None:
        top = max(top, int(np.asarray(validation_data[1]).max()))
    return "sparse", max(2, top + 1), ids


def _hypermodel(kt, kind, x, y, labels, num_classes, validation_data, fixed):
    from keras_seqfix.tuning.cnn_lstm_hypermodel import CNNLSTMHyperModel
    from keras_seqfix.tuning.lstm_hypermodel import LSTMHyperModel
    from keras_seqfix.tuning.rocket_hypermodel import RocketHyperModel

    if isinstance(kind, kt.HyperModel):
        if fixed:
            raise TypeError(
                "Builder arguments go to the HyperModel you pass as `kind`, not to "
                f"tune. Received: {sorted(fixed)}"
            )
        return kind
    if kind is not None and kind not in _KINDS:
        raise ValueError(
            f"`kind` should be None, one of {list(_KINDS)} or a keras_tuner "
            f"HyperModel. Received: kind={kind!r}"
        )
    integer = np.issubdtype(x.dtype, np.integer)
    if kind is None:
        kind = {2: "lstm", 3: "lstm", 5: "cnn_lstm"}.get(x.ndim)
        if kind is None or (x.ndim == 2 and not integer):
            raise ValueError(
                "tune could not tell the kind of `x`: it takes integer token ids "
                "(n, length), float series (n, timesteps, features) or frames "
                f"(n, frames, height, width, channels). Received: shape {x.shape}, "
                f"dtype {x.dtype}. A univariate series of shape (n, timesteps) is "
                "`x[..., None]`; or pass `kind=`."
            )
    expected = {"rocket": 3, "cnn_lstm": 5}.get(kind)
    if expected is not None and x.ndim != expected:
        raise ValueError(
            f"`kind={kind!r}` needs `x` of rank {expected}. Received: shape {x.shape}"
        )
    common = dict(labels=labels, **fixed)
    if kind == "cnn_lstm":
        common.setdefault("input_shape", x.shape[1:])
        return CNNLSTMHyperModel(num_classes, **common)
    if kind == "rocket":
        common.setdefault("input_shape", x.shape[1:])
        common.setdefault("seed", 0)
        return RocketHyperModel(num_classes, adapt_data=x, adapt_labels=y, **common)
    if x.ndim == 2:
        if not integer:
            raise ValueError(
                "The token route takes integer ids (n, length). Received: dtype "
                f"{x.dtype}"
            )
        top = int(x.max())
        if validation_data is not None:
            top = max(top, int(np.asarray(validation_data[0]).max()))
        common.setdefault("vocab_size", max(2, top + 1))
        return LSTMHyperModel(num_classes, **common)
    if x.ndim != 3:
        raise ValueError(
            f"`kind='lstm'` takes x of rank 2 (token ids) or 3 (series). Received: "
            f"shape {x.shape}"
        )
    common.setdefault("input_shape", x.shape[1:])
    return LSTMHyperModel(num_classes, **common)


def _splits(x, y, ids, validation_data, folds, cv_below, seed):
    from sklearn.model_selection import StratifiedKFold, train_test_split

    if validation_data is not None:
        vx, vy = validation_data[:2]
        return [(x, y, np.asarray(vx), np.asarray(vy))], False
    counts = np.bincount(ids)
    smallest = int(counts[counts > 0].min())
    if len(x) < cv_below:
        k = min(folds, smallest)
        if k < 2:
            raise ValueError(
                "Cross-validation needs at least 2 samples of every class. "
                f"Received: a class with {smallest} sample. Pass `validation_data`."
            )
        if k < folds:
            warnings.warn(
                f"A class has only {smallest} samples: using {k} folds instead of "
                f"{folds}.",
                stacklevel=3,
            )
        splitter = StratifiedKFold(k, shuffle=True, random_state=seed)
        return [
            (x[train], y[train], x[val], y[val])
            for train, val in splitter.split(np.zeros(len(ids)), ids)
        ], True
    train, val = train_test_split(
        np.arange(len(x)),
        test_size=0.2,
        random_state=seed,
        stratify=ids if smallest >= 2 else None,
    )
    return [(x[train], y[train], x[val], y[val])], False


def _reporter(verbose, max_trials):
    def report(search, trial, seconds):
        if not verbose:
            return
        number = len(search.oracle.end_order)
        score = trial.score
        shown = (
            "failed" if score is None or not math.isfinite(score) else f"{score:.4f}"
        )
        best = search.best["score"] if search.best else float("nan")
        values = ", ".join(
            f"{k}={_short(v)}" for k, v in trial.hyperparameters.values.items()
        )
        print(
            f"Trial {number}/{max_trials}: val_loss {shown} in {seconds:.1f} s "
            f"(best {best:.4f}) {values}",
            flush=True,
        )
        if search.budget_spent:
            print(
                f"Time budget spent after {search.elapsed():.0f} s: no new trial.",
                flush=True,
            )

    return report


def _short(value):
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _completed(search):
    return sum(t.status == "COMPLETED" for t in search.oracle.trials.values())


def _refit(module, search, hypermodel, x, y, best, fit, seed):
    """The best hyper-parameters retrained on all of `x` for their best epochs."""
    hp = best["hyperparameters"]
    hypermodel = module.for_data(hypermodel, x, y)
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = hypermodel.build(hp)
    fit = dict(fit)
    fit["epochs"] = best["epochs"]
    fit["callbacks"] = search._deepcopy_callbacks(fit.get("callbacks", []))
    hypermodel.fit(hp, model, x, y, **fit)
    return model


def _best_trial_model(module, hypermodel, splits, best, seed):
    """The best trial's own model: built again, its best weights loaded."""
    x_train, y_train = splits[0][:2]
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    hypermodel = module.for_data(hypermodel, x_train, y_train)
    model = hypermodel.build(best["hyperparameters"])
    model.set_weights(best["weights"])
    return model


def _table(search):
    rows = []
    for number, trial_id in enumerate(search.oracle.start_order, start=1):
        trial = search.oracle.trials[trial_id]
        score = trial.score
        rows.append(
            dict(
                trial=number,
                hyperparameters=dict(trial.hyperparameters.values),
                score=(
                    None if score is None or not math.isfinite(score) else float(score)
                ),
                seconds=round(search.seconds.get(trial_id, float("nan")), 2),
                status=str(trial.status).lower(),
            )
        )
    return rows
