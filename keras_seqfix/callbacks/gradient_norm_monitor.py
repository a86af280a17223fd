"""`GradientNormMonitor`: gradient norms of the real training steps, in `logs`."""

import math
import warnings

import keras
import numpy as np

from keras_seqfix._validation import (
    Interval,
    Real,
    checked_signature,
    validate_params,
)
from keras_seqfix.callbacks import _gradient_report as report
from keras_seqfix.callbacks._norm_sums import NormSums

# A flag is a bool: `1` is refused, as scikit-learn's `validate_params` does
# (an int where a bool is expected is more often a misplaced argument).
_FLAG = [bool]
_FLAGS = ("per_layer", "update_ratio", "per_batch", "stop_on_nonfinite", "warn")
_THRESHOLD = [Interval(Real, 0, None, closed="neither")]
# One declared place for the constructor's constraints (see `_validation`).
_CONSTRAINTS = {
    "per_layer": _FLAG,
    "update_ratio": _FLAG,
    "per_batch": _FLAG,
    "vanishing_ratio": _THRESHOLD,
    "vanishing_threshold": _THRESHOLD,
    "exploding_threshold": _THRESHOLD,
    "stop_on_nonfinite": _FLAG,
    "warn": _FLAG,
}


class GradientNormMonitor(keras.callbacks.Callback):
    """Global and per-layer gradient norms of the real training steps.

    Keras callbacks never see gradients, so at `on_train_begin` the monitor
    puts a thin wrapper on the *instance* of the model's optimizer (see
    `keras_seqfix._backend.gradient_tap`): every step of `fit` passes its
    gradients through it, the wrapper adds their norms to a few variables that
    belong to the callback, then runs the original update. It is part of the
    compiled train function, so it works with `jit_compile=True`, and costs a
    sum of squares per variable. At `on_train_end` the wrapper is removed and
    the train function rebuilt: the model and the optimizer carry nothing of
    the monitor, so a model saved after training loads without `keras_seqfix`.

    If `fit` is interrupted (an exception, `KeyboardInterrupt`), Keras skips
    `on_train_end`. When the interruption leaves a training step, the monitor
    detaches at once; otherwise the next call of the train function that is not
    a step of the monitor's `fit` (a later `fit` without it, `train_on_batch`)
    detaches it first and runs a clean step, and a later `fit` with it attaches
    it again. `detach()` does it right away. A model saved in between holds
    nothing of the monitor in its file either. One monitor per `fit`.

    At each epoch end the epoch means go into `logs` as `"grad_norm"` (global
    L2 norm) and `"grad_norm/<layer name>"`; with `update_ratio=True` also
    `"update_ratio/<layer name>"` (norm of the weight update over the norm of
    the weights; healthy values are around 1e-3). Keras passes one `logs` dict
    to the callbacks in list order and appends `History` last, so `History`
    always records them, but `keras.callbacks.CSVLogger` and
    `keras.callbacks.TensorBoard` only when listed after the monitor: put the
    monitor before them, `callbacks=[monitor, keras.callbacks.CSVLogger(path)]`.
    With `per_batch=True` each batch's values go into the batch logs too.

    It warns once per `fit` about vanishing gradients (the first layer's norm
    below `vanishing_ratio` times the last layer's, or the global norm below
    `vanishing_threshold`) and exploding gradients (a step above
    `exploding_threshold`, or non-finite), each with the fix. `.problems` keeps
    them as `keras_seqfix.diagnosis.Finding`s, the shape of `diagnose`'s
    findings (codes `"exploding_gradients"`, `"vanishing_gradients"`; `evidence`
    holds the norms; the dict access of earlier releases,
    `monitor.problems["vanishing"]`, still works with a `DeprecationWarning`).
    After training, `.history`, `.summary()` and `.plot()` show the per-layer
    norms.

    Args:
        per_layer (bool): also log per-layer norms. Defaults to `True`.
        update_ratio (bool): also log the update-to-weight ratio per layer (keeps a
            copy of the weights during each step). Defaults to `False`.
        per_batch (bool): also write each batch's norms into the batch logs (reads
            them back every batch). Defaults to `False`.
        vanishing_ratio (float): flag vanishing gradients when first / last layer
            norm falls below this. Defaults to `1e-3`.
        vanishing_threshold (float): flag vanishing gradients when the global norm
            falls below this. Defaults to `1e-7`.
        exploding_threshold (float): flag exploding gradients when a step's global
            norm exceeds this. Defaults to `1e3`.
        stop_on_nonfinite (bool): stop training at the first step with inf/NaN
            gradients (checks every batch). That step has already been
            applied, as with `keras.callbacks.TerminateOnNaN`, so the weights
            are not finite afterwards: keep the last good ones with
            `keras.callbacks.ModelCheckpoint(path, save_best_only=True,
            save_weights_only=True)` and `model.load_weights(path)`, or
            `ksf.early_stopping(...)` (restores the best epoch's weights).
            Neither has good weights if the first epoch fails. Defaults to
            `False`.
        warn (bool): emit the warnings. Defaults to `True`.

    Raises:
        TypeError: if a threshold is not a number (e.g. `"1e3"`), a flag is
            not a bool (`1` included), or an argument is unknown (the message
            lists the valid ones).
        ValueError: if a threshold is not a finite positive number; at the
            start of `fit`, if
            the model is not compiled or `callbacks` holds more than one
            `GradientNormMonitor` (or the same one twice).

    Examples:
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="hidden"),
        ...                           keras.layers.Dense(1, name="out")])
        >>> model.compile(optimizer="adam", loss="mse")
        >>> monitor = GradientNormMonitor()
        >>> history = model.fit(np.ones((32, 4)), np.ones((32, 1)), epochs=2,
        ...                     callbacks=[monitor], verbose=0)
        >>> sorted(k for k in history.history if k.startswith("grad_norm"))
        ['grad_norm', 'grad_norm/hidden', 'grad_norm/out']
        >>> len(monitor.history["grad_norm/hidden"])
        2
        >>> "apply" in vars(model.optimizer)  # nothing left after `fit`
        False
    """

    @checked_signature
    def __init__(
        self,
        per_layer=True,
        update_ratio=False,
        per_batch=False,
        vanishing_ratio=1e-3,
        vanishing_threshold=1e-7,
        exploding_threshold=1e3,
        stop_on_nonfinite=False,
        warn=True,
    ):
        super().__init__()
        validate_params(
            _CONSTRAINTS,
            {
                "per_layer": per_layer,
                "update_ratio": update_ratio,
                "per_batch": per_batch,
                "vanishing_ratio": vanishing_ratio,
                "vanishing_threshold": vanishing_threshold,
                "exploding_threshold": exploding_threshold,
                "stop_on_nonfinite": stop_on_nonfinite,
                "warn": warn,
            },
            examples={
                "vanishing_ratio": 1e-3,
                "vanishing_threshold": 1e-7,
                "exploding_threshold": 1e3,
            },
            hints={name: f"Pass True or False, e.g. {name}=True." for name in _FLAGS},
        )
        self.per_layer = per_layer
        self.update_ratio = update_ratio
        self.per_batch = per_batch
        self.vanishing_ratio = vanishing_ratio
        self.vanishing_threshold = vanishing_threshold
        self.exploding_threshold = exploding_threshold
        self.stop_on_nonfinite = stop_on_nonfinite
        self.warn = warn
        self.history = {}
        self.batch_history = {}
        self.problems = report.Problems()
        self.layer_names = []
        self._guard = None  # model.train_function while attached
        self._watched = None  # (model, optimizer) the tap was put on
        self._fit_history = None  # the `History` of the fit being watched
        self._armed = False  # on_train_batch_begin ran, its step not yet
        if per_batch or stop_on_nonfinite:
            # Only then does the monitor need each batch: without it Keras keeps
            # dispatching batch callbacks asynchronously.
            self.on_train_batch_end = self._on_train_batch_end

    # --- inside the train function -------------------------------------------

    def _tap(self, grads, variables, loss_scale, apply, values=None):
        from keras_seqfix._backend.gradient_tap import remove_gradient_tap

        if self._guard is None or not self._guard.in_step:
            # Traced outside this monitor's `fit` (say after a `compile` that kept
            # the optimizer): record nothing and take the wrapper off.
            remove_gradient_tap(self._watched[1], self._tap)
            return apply()
        return self._sums.measure(grads, variables, loss_scale, apply, values=values)

    # --- callback hooks ----------------------------------------------------------

    def on_train_begin(self, logs=None):
        from keras_seqfix._backend.gradient_tap import (
            GuardedTrainFunction,
            install_gradient_tap,
        )

        model = self.model
        if getattr(model, "optimizer", None) is None:
            raise ValueError(
                "GradientNormMonitor needs a compiled model. Received: a model "
                "without an optimizer. Call `model.compile(...)` before `fit`."
            )
        self._refuse_second_monitor(model)
        self._sums = NormSums(model, update_ratio=self.update_ratio)
        self.layer_names = self._sums.layer_names
        self._layers = {layer.name: layer for layer in getattr(model, "layers", [])}
        self.history, self.batch_history = {}, {}
        self.problems = report.Problems()
        self.detach()  # a stale attachment of this monitor, from an interrupted fit
        self._watched = (model, model.optimizer)
        self._fit_history = getattr(model, "history", None)  # new in every fit
        install_gradient_tap(model.optimizer, self._tap)
        model.make_train_function(force=True)  # trace a step that goes through the tap
        self._guard = GuardedTrainFunction(
            model, model.train_function, self._is_current_step, self.detach
        )
        model.train_function = self._guard

    def _refuse_second_monitor(self, model):
        from keras_seqfix._backend.gradient_tap import installed_gradient_tap

        owner = getattr(installed_gradient_tap(model.optimizer), "__self__", None)
        if (
            isinstance(owner, GradientNormMonitor)
            and owner._guard is not None
            and owner._fit_history is not None
            and owner._fit_history is getattr(model, "history", None)
        ):
            owner.detach()  # leave the model clean: `fit` stops here
            raise ValueError(
                "One GradientNormMonitor per `fit`: each one replaces the "
                "previous one's gradient tap, so the first would record nothing. "
                "Received: `callbacks` with two GradientNormMonitor entries (or "
                "the same one twice). Pass a single monitor, "
                "`callbacks=[ksf.GradientNormMonitor()]`: it logs the global and "
                "every layer's norm."
            )

    def _is_current_step(self):
        # Called by the guard before every train-function call: a step of this
        # monitor's fit comes right after its `on_train_batch_begin`, and a new
        # `fit` sets a new `model.history` before `on_train_begin`.
        armed, self._armed = self._armed, False
        return armed and getattr(self._watched[0], "history", None) is self._fit_history

    def detach(self):
        """Take the monitor off the model; a no-op if it is not attached.

        `fit` does it at the end of training. After an interrupted `fit` (an
        exception, `KeyboardInterrupt`) the monitor detaches itself at the next
        call of the train function that is not one of its steps; `detach()`
        does it now: it removes the gradient tap from the optimizer and
        gives the model a clean train function (traced again at the next
        step). `.history`, `.summary()` and `.plot()` keep what was recorded.
        """
        from keras_seqfix._backend.gradient_tap import remove_gradient_tap

        guard, self._guard = self._guard, None
        self._armed = False
        if self._watched is None:
            return
        model, optimizer = self._watched
        remove_gradient_tap(optimizer, self._tap)
        if guard is not None and model.train_function is guard:
            model.make_train_function(force=True)  # the next step traces clean

    def on_train_end(self, logs=None):
        self.detach()

    def on_train_batch_begin(self, batch, logs=None):
        self._armed = True

    def on_epoch_begin(self, epoch, logs=None):
        self._sums.reset()

    def _read(self):
        return self._sums.read()

    def _as_logs(self, norms, ratios):
        out = {"grad_norm": float(norms[0])}
        if self.per_layer:
            for i, name in enumerate(self.layer_names):
                out[f"grad_norm/{name}"] = float(norms[i + 1])
        if self.update_ratio and self.per_layer:
            for i, name in enumerate(self.layer_names):
                out[f"update_ratio/{name}"] = float(ratios[i])
        return out

    def _on_train_batch_end(self, batch, logs=None):
        values = self._read()
        if self.per_batch and logs is not None:
            batch_logs = self._as_logs(values["last"], values["ratio_last"])
            logs.update(batch_logs)
            for key, value in batch_logs.items():
                self.batch_history.setdefault(key, []).append(value)
        if self.stop_on_nonfinite and values["bad"] > 0:
            self._check(values, stop=True)

    def on_epoch_end(self, epoch, logs=None):
        values = self._read()
        count = float(values["count"])
        norms = (
            values["total"] / count if count else np.full_like(values["total"], np.nan)
        )
        ratios = (
            values["ratio_total"] / count if count else values["ratio_total"] * np.nan
        )
        epoch_logs = self._as_logs(norms, ratios)
        for i, name in enumerate(self.layer_names):  # .history always per layer
            epoch_logs.setdefault(f"grad_norm/{name}", float(norms[i + 1]))
        for key, value in epoch_logs.items():
            self.history.setdefault(key, []).append(value)
        if logs is not None:
            logs.update(
                {k: v for k, v in epoch_logs.items() if self.per_layer or "/" not in k}
            )
        self._check(values, norms=norms, stop=self.stop_on_nonfinite)

    def _check(self, values, norms=None, stop=False):
        bad, peak = float(values["bad"]), float(values["peak"])
        if self.problems.kind("exploding") is None and (
            bad > 0 or peak > self.exploding_threshold
        ):
            self._flag(
                "exploding",
                report.exploding_message(peak, bad, self.exploding_threshold),
                {
                    "peak_norm": peak,
                    "nonfinite_steps": int(bad),
                    "exploding_threshold": float(self.exploding_threshold),
                },
            )
        if stop and bad > 0:
            self.model.stop_training = True
        vanishing = self.problems.kind("vanishing")
        if norms is None or vanishing is not None or not self.layer_names:
            return
        candidates = [
            i
            for i, name in enumerate(self.layer_names)
            if not isinstance(self._layers.get(name), keras.layers.Embedding)
        ]
        first = candidates[0] if candidates else 0
        last = len(self.layer_names) - 1
        first_norm, last_norm, total = norms[first + 1], norms[last + 1], norms[0]
        if not all(math.isfinite(v) for v in (first_norm, last_norm, total)):
            return
        too_small = total < self.vanishing_threshold
        ratio_low = (
            first != last
            and last_norm > 0
            and first_norm < self.vanishing_ratio * last_norm
        )
        if too_small or ratio_low:
            self._flag(
                "vanishing",
                report.vanishing_message(
                    self.layer_names[first],
                    first_norm,
                    self.layer_names[last],
                    last_norm,
                    total,
                    self.vanishing_ratio,
                    self.vanishing_threshold,
                ),
                {
                    "first_layer": self.layer_names[first],
                    "first_norm": first_norm,
                    "last_layer": self.layer_names[last],
                    "last_norm": last_norm,
                    "global_norm": total,
                },
            )

    def _flag(self, kind, message, evidence):
        self.problems.append(report.finding(kind, message, evidence))
        if self.warn:
            warnings.warn(message, stacklevel=2)

    # --- after training -------------------------------------------------------------

    def summary(self):
        """A text table of per-layer gradient norms (epoch means) and the
        problems flagged. Returns the string."""
        return report.summary_table(self.history, self.layer_names, self.problems)

    def plot(self, ax=None):
        """Plot per-layer and global epoch-mean gradient norms over epochs (log
        scale). Needs matplotlib. Returns the matplotlib `Axes`."""
        return report.plot_history(self.history, self.layer_names, ax=ax)
