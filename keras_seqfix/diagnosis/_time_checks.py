"""`vanishing_gradients` over time: a recurrent model that cannot reach the start of
long sequences, where the labels are written.

Two measurements, both cheap and neither a training:

* where the signal sits: the reference refitted on the first and on the last
  quarter of the steps (what a model that reads only that part could reach);
* how far back the model reaches: its outputs with one early step, and with one
  late step, replaced by another sample's, in inference mode (forward passes only,
  so nothing of the model changes). At initialisation every recurrent cell is
  nearly blind to steps a few dozen back; it has to learn to carry them.

The finding is made only when the model fails on data that supports more (a
`no_signal`, `underfitting` or `architecture_mismatch` finding), the early quarter
carries the labels, the late quarter does not, and the model's output barely moves
with the early steps.
"""

import dataclasses
import math

import keras
import numpy as np

from keras_seqfix.diagnosis._codes import FAILURES
from keras_seqfix.diagnosis._reference import clearly_above_chance
from keras_seqfix.diagnosis.finding import make_finding

_MIN_STEPS = 40  # below this, every recurrent cell reaches the start
_REACH = 1e-3  # early-step influence under a thousandth of a late step's


def step_reach(model, x, seed, size=64):
    """The mean change of the model's outputs when the first step is replaced by
    another sample's, over the same for the last step."""
    rng = np.random.default_rng(seed)
    x = x[rng.permutation(len(x))[:size]]
    donor = rng.permutation(len(x))

    def change(step):
        swapped = x.copy()
        swapped[:, step] = x[donor, step]
        moved = keras.ops.convert_to_numpy(model(swapped, training=False))
        return float(np.mean(np.abs(moved - base)))

    base = keras.ops.convert_to_numpy(model(x, training=False))
    first, last = change(0), change(x.shape[1] - 1)
    return first / last if last > 0 else math.nan


def _part(ctx, part):
    """A copy of `ctx` whose inputs are `part` (a slice of the steps)."""
    x_val = None if ctx.x_val is None else ctx.x_val[:, part]
    return dataclasses.replace(
        ctx, x=ctx.x[:, part], x_val=x_val, measurements={}, notes=[], missing=[]
    )


def vanishing_over_time(ctx, reference, findings, *, max_samples):
    """The finding (in a list) or `[]`; see the module docstring."""
    from keras_seqfix.diagnosis._reference import fit_reference

    steps = ctx.x.shape[1] if ctx.x.ndim >= 2 else 0
    failed = any(f.code in FAILURES and f.score >= 0.15 for f in findings)
    if not ctx.info.has_recurrent or steps < _MIN_STEPS or not failed:
        return []
    if not clearly_above_chance(reference):
        return []
    quarter = steps // 4
    early = fit_reference(_part(ctx, slice(0, quarter)), max_samples=max_samples)
    late = fit_reference(
        _part(ctx, slice(steps - quarter, steps)), max_samples=max_samples
    )
    m = ctx.measurements
    m["reference_early_quarter_balanced_accuracy"] = early.get("balanced_accuracy")
    m["reference_late_quarter_balanced_accuracy"] = late.get("balanced_accuracy")
    if not clearly_above_chance(early) or clearly_above_chance(late):
        return []
    reach = step_reach(ctx.model, ctx.x, ctx.seed)
    m["first_over_last_step_influence"] = reach
    if not (reach < _REACH):  # NaN: the output moves with neither step
        return []
    title = (
        f"The labels are in the first {quarter} of {steps} steps (a reference on "
        f"them reaches {early['balanced_accuracy']:.2f}, on the last {quarter} "
        f"{late['balanced_accuracy']:.2f}); your model's output moves "
        f"{reach:.1e} as much with the first step as with the last"
    )
    evidence = {
        "steps": steps,
        "reference_early_quarter": round(early["balanced_accuracy"], 4),
        "reference_late_quarter": round(late["balanced_accuracy"], 4),
        "first_over_last_step_influence": float(f"{reach:.3g}"),
    }
    fix = (
        "# read the sequence in both directions, or all at once:\n"
        "keras.layers.Bidirectional(keras.layers.LSTM(64))  # not SimpleRNN\n"
        "# or: model = ksf.build_rocket_classifier(k, input_shape=..., adapt_data=x)\n"
        "# or keep the start: x = x[:, :200] (the steps that carry the labels)"
    )
    return [make_finding("vanishing_gradients", 0.6, title, evidence, fix)]
