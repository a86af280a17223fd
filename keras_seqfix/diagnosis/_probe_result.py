"""What the probe measured, typed: `run_probes` fills a `ProbeResult` and the checks
read its fields (a field it could not measure stays NaN or None, and the checks
test for that, never a key read back with a default).

`ProbeResult.measurements()` flattens it under the names `report.measurements` has
always used (`batch_start`, `val_acc_real`, `lr_test_drop_at_your_lr`, ...).
"""

import dataclasses
import math

NAN = math.nan


# The longest one-batch overfit, in multiples of `probe_steps`: a run still
# falling goes on for up to this many times its steps (see `memorise_longer`).
LONG_OVERFIT = 4
# A one-batch run has fitted when its loss fell to this share of its start.
FITTED_SHARE = 0.6


def _finite(value):
    return isinstance(value, int | float) and math.isfinite(value)


@dataclasses.dataclass
class BatchFit:
    """One small batch trained on again and again at one learning rate: a model
    that cannot overfit it has an optimisation problem (Karpathy's first check)."""

    rate: float | None = None  # the learning rate it ran at (None: the model's)
    start: float = NAN  # its loss before the first step
    end: float = NAN  # the training loss at the last step
    completed: bool = False  # the training ran to its end (`end` is its result)
    diverged: bool = False  # a non-finite loss on the way
    rises: float = 0.0  # the share of steps whose loss rose
    long_end: float = NAN  # the lowest loss given up to 4x the steps (if extended)
    long_steps: int = 0  # the steps the extended run took, 0 if not extended
    # The steps it would still need to fit at the pace of its last quarter
    # (inf: not falling); see `_probe_runner.steps_to_fit`.
    steps_to_fit: float = math.inf
    block_steps: int = 0  # the steps of one run (the probe's steps)

    def still_falling(self):
        """Not fitted, but at its last quarter's pace it would fit within the
        extension a one-batch run may get (`LONG_OVERFIT - 1` more runs): the
        probe's steps ran out, not the model's capacity."""
        horizon = (LONG_OVERFIT - 1) * self.block_steps
        return self.completed and 0 < self.steps_to_fit <= horizon

    def fits(self, expected, longer=False):
        """Fell to 60% of its start or to 5% of `expected` (log K) in the probe's
        steps; with `longer`, by the extended run's lowest loss."""
        end = self.long_end if longer else self.end
        if not (_finite(self.start) and _finite(end)):
            return False
        return end <= FITTED_SHARE * self.start or end <= 0.05 * expected

    def ratio(self):
        """end / start, or None where either is unknown."""
        if _finite(self.start) and _finite(self.end) and self.start > 0:
            return self.end / self.start
        return None


@dataclasses.dataclass
class LRPosition:
    """Where the user's learning rate sits on the range test's loss curve."""

    diverged: bool = False  # the range test stopped on divergence
    beyond_divergence: bool = False  # your rate at or past where it diverged
    start_loss: float = NAN  # the smoothed loss at the ramp's first rate
    min_loss: float = NAN  # its lowest
    lr_at_min: float = NAN  # the rate of the lowest loss
    max_lr: float = NAN  # the last rate with a finite loss
    drop_at_your_lr: float = NAN  # (start - loss at your rate) / (start - lowest)


@dataclasses.dataclass
class ProbeResult:
    """Everything `run_probes` measured on the probe's copy of the model."""

    samples: int = 0  # training samples of the probe
    holdout_samples: int = 0
    holdout_class_counts: list = dataclasses.field(default_factory=list)
    on_copy: bool | None = None  # probed a clone (False: in place, restored)
    loss_at_init: float = NAN
    grad_norm_global: float = NAN
    layer_grad_norms: dict = dataclasses.field(default_factory=dict)
    lr_test: object = None  # the `LRFinderResult` of the range test
    lr_suggestion: float = NAN
    lr_position: LRPosition | None = None
    probe_lr: float | None = None  # the rate of the trainings that question the data
    batch: BatchFit | None = None  # the one-batch overfit at your rate
    batch_best_lr: BatchFit | None = None  # ... at the suggestion, if it ran
    # The short training on the real labels, scored on the holdout:
    steps_run: int = 0
    train_loss_end: float = NAN
    train_nan: bool = False
    val_loss_real: float = NAN
    val_acc_real: float = NAN
    val_bacc_real: float = NAN
    minority_recall: float = NAN
    minority_holdout: int = 0  # the holdout samples of that (smallest) class
    # The same rows after it in inference and in training mode (None: not
    # measured; NaN: measured, and not finite).
    loss_inference_mode: float | None = None
    loss_training_mode: float | None = None
    val_acc_majority: float = NAN  # the holdout's majority class share
    # The same training on shuffled labels, and on half the data:
    val_acc_shuffled: float = NAN
    val_bacc_shuffled: float = NAN
    val_acc_half: float = NAN
    curves: dict = dataclasses.field(default_factory=dict)

    @property
    def learning_curve_gain(self):
        """Held-out accuracy on all the data minus on half of it (NaN: not run)."""
        return self.val_acc_real - self.val_acc_half

    def measurements(self):
        """The flat `{name: number}` of `report.measurements` (measured values only)."""
        out = {
            "probe_samples": self.samples,
            "holdout_samples": self.holdout_samples,
            "holdout_class_counts": list(self.holdout_class_counts),
            "probe_on_copy": self.on_copy,
            "loss_at_init": self.loss_at_init,
            "grad_norm_global": self.grad_norm_global,
            "lr_suggestion": self.lr_suggestion,
            "probe_lr": self.probe_lr,
            "probe_steps_run": self.steps_run or None,
            "train_loss_end": self.train_loss_end,
            "val_loss_real": self.val_loss_real,
            "val_acc_real": self.val_acc_real,
            "val_bacc_real": self.val_bacc_real,
            "probe_minority_recall": self.minority_recall,
            "probe_minority_holdout": self.minority_holdout or None,
            "loss_inference_mode": self.loss_inference_mode,
            "loss_training_mode": self.loss_training_mode,
            "val_acc_majority": self.val_acc_majority,
            "val_acc_shuffled": self.val_acc_shuffled,
            "val_bacc_shuffled": self.val_bacc_shuffled,
            "val_acc_half": self.val_acc_half,
            "learning_curve_gain": self.learning_curve_gain,
        }
        if self.steps_run:
            out["train_nan"] = self.train_nan
        if self.lr_position is not None:
            for field in dataclasses.fields(LRPosition):
                out[f"lr_test_{field.name}"] = getattr(self.lr_position, field.name)
        for prefix, fit in (
            ("batch", self.batch),
            ("batch_best_lr", self.batch_best_lr),
        ):
            if fit is None:
                continue
            if prefix == "batch_best_lr":
                out["batch_best_lr_rate"] = fit.rate
            out[f"{prefix}_start"] = fit.start
            if fit.completed:
                out.update(
                    {
                        f"{prefix}_end": fit.end,
                        f"{prefix}_nan": fit.diverged,
                        f"{prefix}_rises": fit.rises,
                    }
                )
            if fit.long_steps:
                out[f"{prefix}_long_end"] = fit.long_end
                out[f"{prefix}_long_steps"] = fit.long_steps
            if fit.completed and math.isfinite(fit.steps_to_fit):
                out[f"{prefix}_steps_to_fit"] = round(fit.steps_to_fit, 1)
        return {
            k: v
            for k, v in out.items()
            if v is not None and not (isinstance(v, float) and math.isnan(v))
        }
