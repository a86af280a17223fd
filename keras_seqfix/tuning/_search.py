"""The keras-tuner `Tuner` behind `tune`: folds, a time budget, the best weights."""

import copy
import math
import time
import warnings

import keras
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from keras_seqfix.tuning._keras_tuner import require_keras_tuner

kt = require_keras_tuner()

OBJECTIVE = "val_loss"


class DefaultsFirstOracle(kt.oracles.BayesianOptimizationOracle):
    """Bayesian optimisation whose first trial is the search space's defaults.

    The defaults are the builders' defaults, so the first trial is the model
    one gets without tuning, and the search can only improve on it. A point
    the Gaussian process proposes again is replaced by an untried random one,
    and the search stops when the space has none left.
    """

    def populate_space(self, trial_id):
        status = kt.engine.trial.TrialStatus
        if not self.trials:
            hp = self.get_space()
            hp.ensure_active_values()
            return {"status": status.RUNNING, "values": hp.values}
        with warnings.catch_warnings():
            # The Gaussian process warns on every fit to a handful of trials.
            warnings.simplefilter("ignore", ConvergenceWarning)
            response = super().populate_space(trial_id)
        values = response.get("values")
        if values is not None and self._duplicate(values):
            # A small space: the process proposes a tried point again. Draw an
            # untried one; when none is left the search is complete.
            values = self._random_values()
            if values is None:
                return {"status": status.STOPPED, "values": None}
            response = {"status": status.RUNNING, "values": values}
        return response


class Search(kt.Tuner):
    """Score every trial on `splits` and keep the best trial's weights in memory.

    Args:
        splits: list of `(x_train, y_train, x_val, y_val)`: one split, or the
            folds of a cross-validation; a trial's score is the mean over them
            of the best validation loss of its epochs.
        fit_kwargs: the `fit` arguments of every trial (`epochs`, `callbacks`,
            `class_weight`, ...).
        patience: epochs without a better validation loss before a trial's
            fit stops (the best epoch's weights are restored).
        time_budget: seconds after which no new trial starts, or `None`.
        seed: base of the per-trial random seeds.
        report: called with `(search, trial, seconds)` when a trial ends.
    """

    def __init__(
        self,
        oracle,
        hypermodel,
        *,
        splits,
        fit_kwargs,
        patience,
        time_budget,
        seed,
        report,
        **kwargs,
    ):
        super().__init__(oracle, hypermodel, **kwargs)
        self.splits = splits
        self.fit_kwargs = fit_kwargs
        self.patience = patience
        self.time_budget = time_budget
        self.seed = seed
        self.report = report
        self.best = None  # dict: score, trial_id, hyperparameters, weights, epochs
        self.seconds = {}
        self.budget_spent = False
        self._started = None
        self._trial_started = None

    def on_search_begin(self):
        super().on_search_begin()
        self._started = time.monotonic()

    def on_trial_begin(self, trial):
        super().on_trial_begin(trial)
        self._trial_started = time.monotonic()

    def run_trial(self, trial, *args, **kwargs):
        hp = trial.hyperparameters
        number = len(self.oracle.start_order)
        scores, accuracies, epochs = [], [], []
        best_fold = (math.inf, None)
        for fold, (x_train, y_train, x_val, y_val) in enumerate(self.splits):
            hypermodel = for_data(self.hypermodel, x_train, y_train)
            keras.backend.clear_session()
            keras.utils.set_random_seed(self.seed * 10_007 + number * 101 + fold)
            model = hypermodel.build(hp)
            fit_kwargs = dict(self.fit_kwargs)
            callbacks = self._deepcopy_callbacks(fit_kwargs.pop("callbacks", []))
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor=OBJECTIVE,
                    patience=self.patience,
                    restore_best_weights=True,
                )
            )
            history = hypermodel.fit(
                hp,
                model,
                x_train,
                y_train,
                validation_data=(x_val, y_val),
                callbacks=callbacks,
                **fit_kwargs,
            )
            losses = np.asarray(history.history[OBJECTIVE], dtype="float64")
            losses = np.where(np.isfinite(losses), losses, np.inf)
            at = int(np.argmin(losses))
            scores.append(float(losses[at]))
            epochs.append(getattr(history, "trained_epochs", at + 1))
            if "val_accuracy" in history.history:
                accuracies.append(float(history.history["val_accuracy"][at]))
            if losses[at] < best_fold[0]:
                best_fold = (float(losses[at]), model.get_weights())
        score = float(np.mean(scores))
        metrics = {OBJECTIVE: score if math.isfinite(score) else float("nan")}
        if accuracies:
            metrics["val_accuracy"] = float(np.mean(accuracies))
        if math.isfinite(score) and (self.best is None or score < self.best["score"]):
            self.best = dict(
                score=score,
                trial_id=trial.trial_id,
                hyperparameters=copy.deepcopy(hp),
                weights=best_fold[1],
                epochs=round(float(np.mean(epochs))),
                accuracy=metrics.get("val_accuracy"),
            )
        return metrics

    def on_trial_end(self, trial):
        self.seconds[trial.trial_id] = time.monotonic() - self._trial_started
        super().on_trial_end(trial)
        if (
            self.time_budget is not None
            and time.monotonic() - self._started >= self.time_budget
        ):
            # No new trial: the oracle stops once it has this many.
            self.budget_spent = len(self.oracle.trials) < (self.oracle.max_trials or 0)
            self.oracle.max_trials = len(self.oracle.trials)
        self.report(self, trial, self.seconds[trial.trial_id])

    def elapsed(self):
        return 0.0 if self._started is None else time.monotonic() - self._started


def for_data(hypermodel, x, y):
    """`hypermodel` for training data `x, y` (a keras_seqfix one adapts to them)."""
    adapt = getattr(hypermodel, "for_data", None)
    return hypermodel if adapt is None else adapt(x, y)
