"""`TrainingMonitor`: the live form of `diagnose`, a callback that watches `fit`."""

import math
import threading

import keras
import numpy as np

from keras_seqfix._deprecation import renamed_argument
from keras_seqfix._validation import (
    Integral,
    Interval,
    Options,
    Real,
    checked_signature,
    validate_params,
)
from keras_seqfix.diagnosis.finding import Finding, severity_of

# One declared place for the constructor's constraints (see `_validation`).
_CONSTRAINTS = {
    "patience": [Interval(Integral, 1, None, closed="left")],
    # A relative improvement: 0.01 is 1 %; 1 or more could never be reached.
    "min_relative_delta": [Interval(Real, 0, 1, closed="left")],
    "min_delta": [Interval(Real, 0, 1, closed="left"), None],  # deprecated name
    # Above 1, or a healthy fit (loss at its best) would already count.
    "divergence_factor": [Interval(Real, 1, None, closed="neither")],
    "oscillation_window": [Interval(Integral, 3, None, closed="left")],
    "oscillation_amplitude": [Interval(Real, 0, None, closed="left")],
    "overfit_patience": [Interval(Integral, 1, None, closed="left")],
    "stop_on_divergence": [bool, Options(int, {0, 1})],
    "verbose": [bool, Interval(Integral, 0, 2, closed="both")],
}
_EXAMPLES = {
    "patience": 5,
    "min_relative_delta": 0.01,
    "divergence_factor": 3.0,
    "oscillation_window": 6,
    "oscillation_amplitude": 0.1,
    "overfit_patience": 3,
    "verbose": 1,
}

# How likely each condition is the cause of a high loss (`Finding.score`).
_SCORES = {"divergence": 0.8, "oscillation": 0.5, "plateau": 0.4, "overfitting": 0.5}

_FIXES = {
    "divergence": (
        "lr_too_high",
        "result = ksf.find_lr(model, x_train, y_train)\n"
        "model.optimizer.learning_rate = result.suggestion  # or clipnorm=1.0",
    ),
    "oscillation": (
        "lr_too_high",
        "model.optimizer.learning_rate = model.optimizer.learning_rate * 0.3\n"
        "# or: callbacks=[keras.callbacks.ReduceLROnPlateau(factor=0.3, patience=2)]",
    ),
    "plateau": (
        "underfitting",
        "result = ksf.find_lr(model, x_train, y_train)  # is the LR too low?\n"
        "# then: a larger model (units=128), less dropout, or ksf.diagnose(model, x, y)",
    ),
    "overfitting": (
        "overfitting",
        'callbacks=[ksf.early_stopping("patient")]  # restores the best weights\n'
        "# and: dropout, augmentation (ksf.TimeSeriesAugmentation), more data",
    ),
}


class TrainingMonitor(keras.callbacks.Callback):
    """Watch training and report divergence, oscillation, plateau and overfitting.

    Each condition is reported once per `fit`, with its cause code and the fix, as
    soon as it is seen; `alerts` keeps them as `keras_seqfix.diagnosis.Finding`s,
    the shape of `diagnose`'s findings (`evidence` holds `"condition"` and
    `"epoch"`, `None` when seen within an epoch; `alert["code"]`, the dict
    access of earlier releases, still works with a `DeprecationWarning`). Every epoch, `logs` gains
    `"monitor/<condition>"` set to `1.0` once the condition has been seen (else
    `0.0`), so `History` and TensorBoard record when it happened.

    Args:
        patience (int): epochs without a relative improvement of `min_relative_delta` in
            the training loss before a plateau is reported. Defaults to `5`.
        min_relative_delta (float): relative improvement that counts for the plateau
            (`0.01`: the best loss of the last `patience` epochs is 1% below the
            best before). Relative, unlike the absolute `min_delta` of Keras's
            `EarlyStopping`, hence the name. Defaults to
            `0.01`.
        divergence_factor (float): the loss diverges when it is NaN/inf or above this
            factor times its best value so far. Defaults to `3.0`.
        oscillation_window (int): epochs over which oscillation is judged. Defaults to
            `6`.
        oscillation_amplitude (float): the mean absolute epoch-to-epoch change of the
            loss, relative to its mean, above which alternating ups and downs count as
            oscillation. Defaults to `0.1`.
        overfit_patience (int): epochs after the best `val_loss` during which the
            training loss kept falling before overfitting is reported. Defaults to `3`.
        stop_on_divergence (bool): stop training when the loss diverges. Defaults to
            `False`.
        verbose (int): `1` prints each alert, `0` only records it. Defaults to `1`.
        min_delta (float or None): deprecated name of `min_relative_delta` (it warns;
            removed in 0.3).

    Raises:
        ValueError: for a `divergence_factor` not above 1, a `min_relative_delta`
            outside `[0, 1)`, a negative `oscillation_amplitude`, `patience` or
            `overfit_patience` below 1, or `oscillation_window` below 3.
        TypeError: for a threshold or count that is not a number (e.g.
            `patience="5"`).

    Examples:
        >>> import keras_seqfix as ksf
        >>> monitor = ksf.TrainingMonitor(verbose=0)
        >>> monitor.on_train_begin()
        >>> for epoch, loss in enumerate([1.0, 0.8, 0.7, 9.0]):
        ...     monitor.on_epoch_end(epoch, {"loss": loss})
        >>> [(alert.code, alert.evidence["condition"]) for alert in monitor.alerts]
        [('lr_too_high', 'divergence')]
    """

    @checked_signature
    def __init__(
        self,
        *,
        patience=5,
        min_relative_delta=0.01,
        min_delta=None,
        divergence_factor=3.0,
        oscillation_window=6,
        oscillation_amplitude=0.1,
        overfit_patience=3,
        stop_on_divergence=False,
        verbose=1,
    ):
        super().__init__()
        validate_params(
            _CONSTRAINTS,
            {
                "patience": patience,
                "min_relative_delta": min_relative_delta,
                "min_delta": min_delta,
                "divergence_factor": divergence_factor,
                "oscillation_window": oscillation_window,
                "oscillation_amplitude": oscillation_amplitude,
                "overfit_patience": overfit_patience,
                "stop_on_divergence": stop_on_divergence,
                "verbose": verbose,
            },
            examples=_EXAMPLES,
        )
        self.patience = patience
        self.min_relative_delta = renamed_argument(
            "TrainingMonitor",
            "min_delta",
            "min_relative_delta",
            min_delta,
            min_relative_delta,
            0.01,
            stacklevel=4,  # the caller, past `checked_signature`'s wrapper
        )
        self.divergence_factor = divergence_factor
        self.oscillation_window = oscillation_window
        self.oscillation_amplitude = oscillation_amplitude
        self.overfit_patience = overfit_patience
        self.stop_on_divergence = stop_on_divergence
        self.verbose = verbose
        self.alerts = []
        self._lock = threading.RLock()
        self._reset()

    def __getstate__(self):  # deep-copyable (keras-tuner copies callbacks)
        state = self.__dict__.copy()
        state.pop("_lock", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def _reset(self):
        self.alerts = []
        self._losses, self._val_losses = [], []
        self._best_batch = math.inf

    def on_train_begin(self, logs=None):
        self._reset()

    @property
    def conditions(self):
        """The conditions reported so far, in order."""
        return [alert.evidence["condition"] for alert in self.alerts]

    def _alert(self, condition, epoch, message):
        with self._lock:
            self._add_alert(condition, epoch, message)

    def _add_alert(self, condition, epoch, message):
        if condition in self.conditions:
            return
        code, fix = _FIXES[condition]
        score = _SCORES[condition]
        alert = Finding(
            code,
            severity_of(score),
            f"TrainingMonitor: {condition}: {message}",
            {"condition": condition, "epoch": epoch},
            fix,
            score,
        )
        self.alerts.append(alert)
        if self.verbose:
            lines = fix.replace("\n", "\n      ")
            print(f"\nTrainingMonitor [{code}] {message}\n  fix: {lines}", flush=True)
        if condition == "divergence" and self.stop_on_divergence and self._model:
            self._stop_fit()

    def _stop_fit(self):
        # Not `self.model` on JAX: that property syncs the model's variables from
        # the trainer's step state (`jax_state_sync`). Under async dispatch this
        # runs on Keras's callback thread while the next step may already have
        # been given (donated) that state, so the sync would read deleted buffers
        # ("Array has been deleted"). Setting the flag needs no sync; on the
        # other backends `self.model` also unwraps a torch DDP wrapper.
        model = self._model if keras.backend.backend() == "jax" else self.model
        model.stop_training = True

    # Batch-level on purpose: a loss that becomes NaN or blows up within an epoch
    # is reported (and, with `stop_on_divergence`, stops `fit`) at that batch,
    # not at the end of an epoch of wasted steps. Safe for Keras's asynchronous
    # batch dispatch (`async_safe`, used on JAX): the check only reads
    # `logs["loss"]` (an output of the step, never donated to the next one),
    # runs under a lock and stops `fit` without syncing the model's state (see
    # `_stop_fit`), so the hook does not make `fit` wait.
    async_safe = True

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = float(loss)  # on Keras's callback thread under async dispatch
        with self._lock:
            self._check_batch(batch, loss)

    def _check_batch(self, batch, loss):
        if not math.isfinite(loss):
            self._alert("divergence", None, f"the loss became {loss} at batch {batch}")
            return
        if batch >= 10 and loss > self.divergence_factor * self._best_batch:
            self._alert(
                "divergence",
                None,
                f"batch loss {loss:.4g} is {loss / self._best_batch:.1f}x its best "
                f"({self._best_batch:.4g})",
            )
        self._best_batch = min(self._best_batch, loss)

    def on_epoch_end(self, epoch, logs=None):
        with self._lock:  # Keras has waited for the batch hooks of the epoch
            self._epoch_end(epoch, logs)

    def _epoch_end(self, epoch, logs):
        logs = logs if logs is not None else {}
        loss = logs.get("loss")
        if loss is not None:
            self._check_loss(epoch, float(loss))
        val = logs.get("val_loss")
        if val is not None and math.isfinite(float(val)):
            self._val_losses.append(float(val))
            self._check_overfitting(epoch)
        for condition in _FIXES:
            logs[f"monitor/{condition}"] = float(condition in self.conditions)

    def _check_loss(self, epoch, loss):
        history = self._losses
        best = min(history) if history else math.inf
        if not math.isfinite(loss):
            self._alert(
                "divergence", epoch, f"the loss became {loss} in epoch {epoch + 1}"
            )
            return
        if history and loss > self.divergence_factor * best:
            self._alert(
                "divergence",
                epoch,
                f"epoch {epoch + 1} loss {loss:.4g} is {loss / best:.1f}x its best ({best:.4g})",
            )
        history.append(loss)
        window = np.asarray(history[-self.oscillation_window :])
        if len(window) == self.oscillation_window:
            diffs = np.diff(window)
            flips = np.sum(np.sign(diffs[1:]) != np.sign(diffs[:-1]))
            amplitude = np.mean(np.abs(diffs)) / max(np.mean(window), 1e-12)
            if flips >= len(diffs) - 2 and amplitude >= self.oscillation_amplitude:
                self._alert(
                    "oscillation",
                    epoch,
                    f"the loss went up and down {int(flips)} times in "
                    f"{self.oscillation_window} epochs (mean change {amplitude:.0%})",
                )
        if len(history) > self.patience:
            before = min(history[: -self.patience])
            recent = min(history[-self.patience :])
            if recent > before * (1 - self.min_relative_delta):
                self._alert(
                    "plateau",
                    epoch,
                    f"the loss has not improved by {self.min_relative_delta:.0%} in "
                    f"{self.patience} epochs (best {before:.4g})",
                )

    def _check_overfitting(self, epoch):
        vals = self._val_losses
        best = int(np.argmin(vals))
        since = len(vals) - 1 - best
        train = self._losses[-len(vals) :] if len(self._losses) >= len(vals) else []
        if since >= self.overfit_patience and train and train[-1] < train[best]:
            self._alert(
                "overfitting",
                epoch,
                f"val_loss {vals[-1]:.4g} has risen for {since} epochs since its best "
                f"{vals[best]:.4g} (epoch {best + 1}) while the training loss fell",
            )
