"""`LRRangeFinder`: the learning-rate range test as a callback for `fit`."""

import math
import warnings

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
from keras_seqfix.callbacks.lr_finder_result import LRFinderResult

# One declared place for the ramp's arguments, shared with `find_lr`.
RAMP_CONSTRAINTS = {
    "start_lr": [Interval(Real, 0, None, closed="neither")],
    "end_lr": [Interval(Real, 0, None, closed="neither")],
    "num_steps": [Interval(Integral, 2, None, closed="left")],
    "smoothing": [Interval(Real, 0, 1, closed="left")],
    "divergence_factor": [Interval(Real, 1, None, closed="neither")],
    "diverge_factor": [Interval(Real, 1, None, closed="neither"), None],  # old name
    "method": [Options(str, {"valley", "steepest", "minimum"})],
}
RAMP_EXAMPLES = {
    "start_lr": 1e-7,
    "end_lr": 10.0,
    "num_steps": 100,
    "smoothing": 0.98,
    "divergence_factor": 4.0,
    "diverge_factor": 4.0,
    "method": "valley",
}


def resolve_divergence_factor(function_name, diverge_factor, divergence_factor):
    """`divergence_factor`, or the deprecated `diverge_factor` (it warns)."""
    return renamed_argument(
        function_name,
        "diverge_factor",
        "divergence_factor",
        diverge_factor,
        divergence_factor,
        4.0,
        stacklevel=5,  # the user's call (through `checked_signature` and here)
    )


def check_ramp(**params):
    """Validate the ramp's arguments against `RAMP_CONSTRAINTS`."""
    validate_params(RAMP_CONSTRAINTS, params, examples=RAMP_EXAMPLES)
    if not params["start_lr"] < params["end_lr"]:
        raise ValueError(
            "`start_lr` and `end_lr` should satisfy 0 < start_lr < end_lr. "
            f"Received: start_lr={params['start_lr']}, end_lr={params['end_lr']}. "
            "Pass e.g. start_lr=1e-7, end_lr=10.0."
        )


def check_constant_learning_rate(optimizer):
    """Raise a clear error if `optimizer` follows a learning-rate schedule.

    A `keras.optimizers.LossScaleOptimizer` (what `compile` makes under a
    `"mixed_float16"` policy) is looked through: its inner optimizer holds the
    rate.

    Args:
        optimizer: a `keras.optimizers.Optimizer`.

    Raises:
        ValueError: if the learning rate is a schedule or a callable.
    """
    while getattr(optimizer, "inner_optimizer", None) is not None:
        optimizer = optimizer.inner_optimizer
    from keras_seqfix._backend.private_api import raw_learning_rate

    rate = raw_learning_rate(optimizer)
    if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule) or (
        callable(rate) and not isinstance(rate, keras.Variable)
    ):
        raise ValueError(
            "The learning-rate range test sets the learning rate itself, so the "
            "optimizer should have a constant `learning_rate`. Received: an "
            f"optimizer with learning_rate={type(rate).__name__}. Run the test on "
            "a model compiled with a float rate (e.g. `keras.optimizers."
            "Adam(1e-3)`), then build your schedule around the suggestion."
        )


class LRRangeFinder(keras.callbacks.Callback):
    """The learning-rate range test (Smith 2017) as a callback for `fit`.

    Starting at `start_lr`, the learning rate grows exponentially every batch
    until `end_lr` after `num_steps` batches. The callback recovers each batch's
    loss (Keras 3 reports the running mean of the epoch in `logs["loss"]`),
    smooths it exponentially with bias correction and stops training when the
    smoothed loss exceeds `divergence_factor` times its best or stops being finite.
    Afterwards `.result` holds the curve and the suggested learning rates.

    With `steps_per_execution=k` Keras calls the callback once per `k` batches:
    each call is one point, trained at one rate, that counts as `k` batches in
    the ramp (still from `start_lr` to `end_lr` over `num_steps` batches) and
    as `k` observations in the smoothing. A run that ends before `num_steps`
    batches without diverging (a short finite dataset, too few epochs) warns
    at the end of training.

    The callback trains the model: run it on a model you are willing to throw
    away, or use `find_lr`, which restores the weights and the optimizer state.
    The optimizer's learning rate itself is set back at the end of training.

    Args:
        start_lr (float): first learning rate. Defaults to `1e-7`.
        end_lr (float): last learning rate. Defaults to `10.0`.
        num_steps (int): batches from `start_lr` to `end_lr`. Defaults to `100`.
        smoothing (float): exponential smoothing factor of the loss, in `[0, 1)`.
            Defaults to `0.98`.
        divergence_factor (float): stop when the smoothed loss exceeds this multiple of
            its best value (the name `TrainingMonitor` uses). Defaults to `4.0`.
        method ('"valley" | "steepest" | "minimum"'): default suggestion method
            (`"valley"`, `"steepest"` or `"minimum"`). Defaults to `"valley"`.
        diverge_factor (float or None): deprecated name of `divergence_factor` (it
            warns; removed in 0.3).

    Raises:
        ValueError: for an argument out of range (a rate that is not positive,
            `start_lr >= end_lr`, `num_steps < 2`, `smoothing` outside `[0, 1)`,
            `divergence_factor <= 1`, an unknown `method`); at the first batch if
            `logs` has no `"loss"` (a custom
            `train_step` should return `{"loss": ...}`), or if `num_steps`
            is not greater than the model's `steps_per_execution`.
        TypeError: for an argument of the wrong type (e.g. `num_steps="100"`).

    Examples:
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> x = np.random.default_rng(0).normal(size=(256, 4))
        >>> y = x @ np.ones((4, 1))
        >>> finder = LRRangeFinder(start_lr=1e-4, end_lr=10.0, num_steps=40)
        >>> _ = model.fit(x, y, batch_size=8, epochs=2, callbacks=[finder], verbose=0)
        >>> len(finder.result.lrs) <= 40
        True
    """

    @checked_signature
    def __init__(
        self,
        start_lr=1e-7,
        end_lr=10.0,
        num_steps=100,
        smoothing=0.98,
        divergence_factor=4.0,
        method="valley",
        diverge_factor=None,
    ):
        super().__init__()
        check_ramp(
            start_lr=start_lr,
            end_lr=end_lr,
            num_steps=num_steps,
            smoothing=smoothing,
            divergence_factor=divergence_factor,
            diverge_factor=diverge_factor,
            method=method,
        )
        divergence_factor = resolve_divergence_factor(
            "LRRangeFinder", diverge_factor, divergence_factor
        )
        self.start_lr = float(start_lr)
        self.end_lr = float(end_lr)
        self.num_steps = int(num_steps)
        self.smoothing = float(smoothing)
        self.divergence_factor = float(divergence_factor)
        self.method = method
        self.result = None

    def lr_at(self, step):
        """Learning rate of batch number `step` (0-based) of the ramp."""
        fraction = step / (self.num_steps - 1)
        return self.start_lr * (self.end_lr / self.start_lr) ** fraction

    @property
    def batches_run(self):
        """Batches trained so far in the ramp (all points together)."""
        return self._step

    def on_train_begin(self, logs=None):
        optimizer = self.model.optimizer
        check_constant_learning_rate(optimizer)
        per_call = max(1, int(getattr(self.model, "steps_per_execution", 1) or 1))
        if self.num_steps <= per_call:
            raise ValueError(
                "`num_steps` should be greater than the model's "
                "`steps_per_execution`, so that the ramp has more than one point. "
                f"Received: num_steps={self.num_steps} with "
                f"steps_per_execution={per_call}. Raise `num_steps` or compile "
                "with a smaller `steps_per_execution`."
            )
        # The first batch of the last call when the calls start at multiples of
        # `per_call`: that call runs at `end_lr`, the first one at `start_lr`.
        self._last_start = per_call * ((self.num_steps - 1) // per_call)
        self._per_call = per_call
        self._initial_lr = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        self.lrs, self.raw_losses, self.losses = [], [], []
        self.diverged = False
        self.result = None
        self._step, self._average, self._best = 0, 0.0, math.inf
        self._previous = (0, 0.0)
        self._begin = 0

    def on_epoch_begin(self, epoch, logs=None):
        # `fit` resets the loss tracker at every epoch: so does the recovery.
        self._previous = (0, 0.0)

    def on_train_batch_begin(self, batch, logs=None):
        # With `steps_per_execution` > 1 one rate serves the whole call.
        fraction = min(self._step / self._last_start, 1.0)
        self._lr = self.lr_at(fraction * (self.num_steps - 1))
        self._begin = batch
        self.model.optimizer.learning_rate = self._lr

    def _batch_loss(self, batch, mean):
        # logs["loss"] is the running mean over the epoch's batches (weighted by
        # batch size): (n * mean_n - p * mean_p) / (n - p) is the mean loss of
        # batches p..n-1, those of this call (one batch, or `steps_per_execution`
        # of them, where `batch` jumps by several steps), exact when the batches
        # are equally sized. Returns (loss, number of batches in the call).
        n = batch + 1
        steps = (self.params or {}).get("steps")
        if steps:  # a last, partial call reports batches that did not run
            n = min(n, int(steps))
        n_prev, mean_prev = (0, 0.0) if self._begin == 0 else self._previous
        self._previous = (n, mean)
        count = max(1, n - self._begin)
        if n <= n_prev:  # a new epoch we were not told about
            return mean, count
        return (n * mean - n_prev * mean_prev) / (n - n_prev), count

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        if "loss" not in logs:
            self.model.optimizer.learning_rate = self._initial_lr
            raise ValueError(
                "The learning-rate range test reads the training loss from "
                '`logs["loss"]` at the end of each batch, and it is missing. '
                "Received: logs with keys "
                f"{sorted(logs)}. If you wrote a custom `train_step`, return "
                '`{"loss": loss, ...}` from it (e.g. update a '
                "`keras.metrics.Mean` with the loss and return its `result()`)."
            )
        mean = float(np.asarray(logs["loss"]))
        loss, count = self._batch_loss(batch, mean)
        self._step += count
        # `count` batches of mean loss `loss`: `count` steps of the average.
        decay = self.smoothing**count
        self._average = decay * self._average + (1 - decay) * loss
        smoothed = self._average / (1 - self.smoothing**self._step)
        self.lrs.append(self._lr)
        self.raw_losses.append(loss)
        self.losses.append(smoothed)
        if math.isfinite(smoothed):
            self._best = min(self._best, smoothed)
        if not math.isfinite(smoothed) or (
            len(self.losses) > 1 and smoothed > self.divergence_factor * self._best
        ):
            self.diverged = True
            self.model.stop_training = True
        elif self._step >= self.num_steps:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.model.optimizer.learning_rate = self._initial_lr
        self.result = LRFinderResult(
            self.lrs,
            self.losses,
            self.raw_losses,
            method=self.method,
            diverged=self.diverged,
            batches_per_point=self._per_call,
        )
        if not self.diverged and self._step < self.num_steps:
            if self.lrs:
                outcome = (
                    f"the ramp reached {self.lrs[-1]:.3g} of end_lr="
                    f"{self.end_lr:.3g}, so the suggestion only covers the rates "
                    "up to there"
                )
            else:
                outcome = "no point was recorded, so the suggestion is nan"
            warnings.warn(
                "The learning-rate range test ended before the loss diverged: "
                f"it ran {self._step} of num_steps={self.num_steps} batches and "
                f"{outcome}. Give `fit` at least `num_steps` batches: more "
                "`epochs`, or `dataset.repeat()` for a finite tf.data dataset "
                "(in your own `fit`, with `steps_per_epoch`).",
                stacklevel=2,
            )
