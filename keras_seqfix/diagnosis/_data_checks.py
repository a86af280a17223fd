"""Checks on the data alone: values, scale, classes, duplicates, padding, size."""

import math

import keras
import numpy as np

from keras_seqfix.diagnosis._inputs import row_keys
from keras_seqfix.diagnosis.finding import make_finding


def check_invalid_values(ctx):
    """NaN or inf in `x` (or `y`): the loss turns NaN at the first such batch."""
    findings = []
    for name, array in (("x", ctx.x), ("y", ctx.y)):
        if array.dtype.kind != "f":
            continue
        bad = ~np.isfinite(array)
        count = int(bad.sum())
        if not count:
            continue
        rows = int(bad.reshape(len(array), -1).any(axis=1).sum())
        evidence = {
            "array": name,
            "nan_count": int(np.isnan(array).sum()),
            "inf_count": int(np.isinf(array).sum()),
            "samples_affected": rows,
            "fraction_of_samples": round(rows / len(array), 4),
        }
        fix = (
            f"keep = np.isfinite({name}).reshape(len({name}), -1).all(axis=1)\n"
            "x, y = x[keep], y[keep]  # or x = np.nan_to_num(x) if NaN means 'missing'"
        )
        title = f"{count} NaN/inf values in `{name}` ({rows} samples)"
        findings.append(make_finding("invalid_values", 0.97, title, evidence, fix))
    return findings


def check_unscaled_inputs(ctx):
    """Numeric inputs far from unit scale, with no normalisation layer to fix them."""
    if not ctx.numeric or ctx.tokens or ctx.x.dtype.kind == "b":
        return []
    x = ctx.x.astype(np.float64, copy=False)
    features = x.reshape(-1, x.shape[-1]) if x.ndim >= 3 else x.reshape(-1, 1)
    finite = np.where(np.isfinite(features), features, np.nan)
    # Padding zeros would pull the statistics towards 0: leave all-zero steps out.
    steps = finite[np.any(np.nan_to_num(finite) != 0, axis=1)]
    if len(steps) == 0:
        return []
    scale = np.nanmean(np.abs(steps), axis=0) + np.nanstd(steps, axis=0)
    max_abs = float(np.nanmax(np.abs(steps)))
    largest, smallest = float(np.nanmax(scale)), float(np.nanmin(scale))
    spread = largest / max(smallest, 1e-12)
    ctx.measurements["input_scale"] = largest
    if largest >= 1000:
        score = 0.9
    elif largest >= 100:
        score = 0.8
    elif largest >= 20:
        score = 0.55
    elif largest >= 5 and spread >= 100:
        score = 0.45
    else:
        return []
    after = _scale_after_scaling(ctx) if ctx.info.has_input_scaling else None
    if ctx.info.has_input_scaling and (after is None or after < 5):
        score = min(score, 0.1)
    evidence = {
        "max_abs_value": round(max_abs, 4),
        "largest_feature_scale": round(largest, 4),
        "smallest_feature_scale": round(smallest, 6),
        "feature_scale_spread": round(spread, 2),
        "model_has_normalization": ctx.info.has_input_scaling,
    }
    if after is not None:
        evidence["scale_after_normalization"] = round(after, 4)
    fix = (
        "norm = keras.layers.Normalization(axis=-1)\n"
        "norm.adapt(x_train)  # learns per-feature mean and variance\n"
        "model = keras.Sequential([keras.Input(x_train.shape[1:]), norm, *model.layers])"
    )
    if x.ndim >= 4:
        fix = "keras.layers.Rescaling(1.0 / 255)  # first layer, for 0-255 pixels"
    title = f"Inputs are not scaled: feature scale up to {largest:.3g} (|x| <= {max_abs:.3g})"
    return [make_finding("unscaled_inputs", score, title, evidence, fix)]


def _feature_scale(values):
    flat = values.reshape(-1, values.shape[-1]) if values.ndim >= 3 else values
    flat = flat.reshape(len(flat), -1).astype(np.float64)
    flat = flat[np.isfinite(flat).all(axis=1) & np.any(flat != 0, axis=1)]
    if len(flat) == 0:
        return None
    return float(np.max(np.mean(np.abs(flat), axis=0) + np.std(flat, axis=0)))


def _scale_after_scaling(ctx, size=256):
    """The feature scale of what the model's first scaling layer passes on, in
    inference mode, or None when it cannot be measured or needs no measuring.

    A layer named Normalization or BatchNormalization does not always scale: a
    frozen BatchNormalization at its initial statistics (mean 0, variance 1) or a
    `Rescaling(1.0)` passes raw values on. A trainable BatchNormalization scales
    each batch in training (its inference-mode statistics start at 0 and 1), and
    LayerNormalization scales every sample: those are trusted.
    """
    from keras_seqfix.diagnosis._inputs import all_layers

    for layer in all_layers(ctx.model)[:4]:
        name = type(layer).__name__
        if name not in _SCALERS:
            continue
        if name == "LayerNormalization" or (
            name == "BatchNormalization" and layer.trainable
        ):
            return None
        try:
            head = keras.Model(ctx.model.inputs, layer.output)
            out = keras.ops.convert_to_numpy(head(ctx.x[:size], training=False))
        except Exception:  # nested or subclassed: the layer's output is not reachable
            return None
        return _feature_scale(np.asarray(out))
    return None


_SCALERS = ("Normalization", "Rescaling", "LayerNormalization", "BatchNormalization")


# Largest to smallest class from which imbalance is the first suspect.
_SKEWED = 10
_MIN_MINORITY_HOLDOUT = 5


def check_class_imbalance(ctx):
    """Class counts: the ratio of the largest to the smallest class."""
    if ctx.labels.ids is None:
        return []
    counts = np.bincount(ctx.labels.ids[ctx.labels.ids >= 0], minlength=2)
    present = counts[counts > 0]
    if len(present) < 2:
        return []
    ratio = float(present.max() / present.min())
    ctx.measurements["class_counts"] = counts.tolist()
    ctx.measurements["imbalance_ratio"] = ratio
    if ratio < 3:
        return []
    score = 0.55 if ratio >= _SKEWED else 0.3
    recall = ctx.probe.minority_recall
    # A recall on one or two held-out samples is 0 or 1 by chance: it moves the
    # score only when the probe held out enough of the smallest class.
    if math.isfinite(recall) and ctx.probe.minority_holdout >= _MIN_MINORITY_HOLDOUT:
        if recall < 0.3:
            score += 0.3
        elif recall >= 0.7:
            score -= 0.15
    if ctx.weighted:
        score = min(score, 0.1)
    evidence = {
        "class_counts": str(counts.tolist()),
        "imbalance_ratio": round(ratio, 2),
        "minority_class": int(
            np.argmin(np.where(counts > 0, counts, counts.max() + 1))
        ),
        "class_weight_given": ctx.weighted,
    }
    if recall is not None:
        evidence["probe_minority_recall"] = round(recall, 3)
    fix = (
        "class_weight = ksf.class_weights(y_train)  # 'balanced'\n"
        "model.fit(x_train, y_train, class_weight=class_weight, ...)\n"
        "# or: model.fit(ksf.BalancedBatches(x_train, y_train, batch_size=32), ...)"
    )
    title = f"Classes are imbalanced {ratio:.1f}:1 (counts {counts.tolist()})"
    return [make_finding("class_imbalance", score, title, evidence, fix)]


def check_conflicting_labels(ctx):
    """Identical inputs with different labels: a floor on the loss no model can beat."""
    if ctx.labels.ids is None:
        return []
    keys = row_keys(ctx.x)
    _, group = np.unique(keys, return_inverse=True)
    group = group.ravel()
    # Number of distinct labels per group of identical inputs.
    pairs = np.unique(np.stack([group, ctx.labels.ids]), axis=1)
    labels_per_group = np.bincount(pairs[0], minlength=group.max() + 1)
    conflicting = labels_per_group[group] > 1
    fraction = float(conflicting.mean())
    ctx.measurements["conflicting_fraction"] = fraction
    if fraction == 0:
        return []
    score = 0.85 if fraction >= 0.2 else 0.6 if fraction >= 0.05 else 0.2
    evidence = {
        "samples_in_conflict": int(conflicting.sum()),
        "fraction_of_samples": round(fraction, 4),
        "conflicting_groups": int((labels_per_group > 1).sum()),
    }
    fix = (
        "keys = [row.tobytes() for row in x]  # identical inputs share a key\n"
        "# keep one sample per key with its majority label, or fix the labelling"
    )
    title = f"{fraction:.1%} of samples are identical inputs with different labels"
    return [make_finding("conflicting_labels", score, title, evidence, fix)]


def check_split_leakage(ctx):
    """Validation samples identical to a training sample."""
    if ctx.x_val is None or ctx.x_val.shape[1:] != ctx.x.shape[1:]:
        return []
    train_keys = row_keys(ctx.x)
    val_keys = row_keys(ctx.x_val)
    leaked = np.isin(val_keys, train_keys)
    fraction = float(leaked.mean()) if len(leaked) else 0.0
    ctx.measurements["leaked_fraction"] = fraction
    if fraction == 0:
        return []
    score = 0.8 if fraction >= 0.2 else 0.55 if fraction >= 0.05 else 0.2
    evidence = {
        "validation_samples_in_train": int(leaked.sum()),
        "fraction_of_validation": round(fraction, 4),
    }
    fix = (
        "from sklearn.model_selection import GroupShuffleSplit\n"
        "train, val = next(GroupShuffleSplit(test_size=0.2).split(x, y, groups))\n"
        "# or drop from validation the samples also in training"
    )
    title = f"{fraction:.1%} of validation samples also appear in training"
    return [make_finding("split_leakage", score, title, evidence, fix)]


def padding_profile(x):
    """Fraction of steps that are all-zero padding at the end and at the start."""
    if x.ndim < 2 or x.dtype.kind not in "fiub" or x.shape[1] < 2:
        return 0.0, 0.0
    zero = ~np.any(x.reshape(len(x), x.shape[1], -1) != 0, axis=2)  # (n, steps)
    # Trailing run: steps after the last non-zero step; leading run likewise.
    trailing = np.cumprod(zero[:, ::-1], axis=1).sum(axis=1)
    leading = np.cumprod(zero, axis=1).sum(axis=1)
    total = zero.size
    return float(trailing.sum() / total), float(leading.sum() / total)


def check_padding_without_mask(ctx):
    """Padded sequences fed to a model that has no Masking layer or mask_zero."""
    post, pre = padding_profile(ctx.x)
    fraction = max(post, pre)
    ctx.measurements["padding_fraction"] = fraction
    if fraction < 0.05 or ctx.info.has_mask:
        return []
    side = "post" if post >= pre else "pre"
    score = 0.8 if fraction >= 0.4 else 0.6 if fraction >= 0.15 else 0.25
    if side == "pre":  # a recurrent layer ends on real steps: less harmful
        score -= 0.15
    if not ctx.info.has_recurrent:
        score *= 0.6
    evidence = {
        "padded_fraction": round(fraction, 4),
        "padding_side": side,
        "model_has_mask": False,
        "model_has_recurrent_layer": ctx.info.has_recurrent,
    }
    if ctx.tokens:
        fix = (
            "keras.layers.Embedding(vocab_size, 128, mask_zero=True)  # id 0 = padding"
        )
    else:
        fix = "keras.layers.Masking(mask_value=0.0)  # right after keras.Input"
    fix += "\n# or: ksf.build_lstm_classifier(...), which masks the padding for you"
    title = f"{fraction:.0%} of time steps are {side}-padding and the model has no mask"
    return [make_finding("padding_without_mask", score, title, evidence, fix)]


# What more data can still add to a held-out accuracy already above 1 - this:
# no more than a flat learning curve (half the data to all of it) gains.
_FLAT_GAIN = 0.05
# Held-out samples an accuracy needs before it counts as what the data supports
# (all of 20 right still leaves a 1-in-7 error rate plausible; fewer says little).
_MIN_HELD_OUT = 20


def _held_out_best(ctx):
    """The best held-out accuracy measured on at least `_MIN_HELD_OUT` samples: the
    reference's balanced accuracy or the full-data probe's accuracy (None: none)."""
    m = ctx.measurements
    seen = [
        (m.get("reference_balanced_accuracy"), m.get("reference_held_out")),
        (ctx.probe.val_acc_real, ctx.probe.holdout_samples),
    ]
    seen = [
        value
        for value, count in seen
        if value is not None and math.isfinite(value) and (count or 0) >= _MIN_HELD_OUT
    ]
    return max(seen) if seen else None


def _learning_curve_gain(ctx):
    """The steepest learning curve of a learner that learned: the reference's
    (fitted to convergence, so the curve is the data's) when it scores clearly
    above chance, the probe's when its copy learned the signal. A curve of a
    learner that learned nothing (a learning rate of 1e-5, say) is flat for
    that reason alone and says nothing about the data: None then."""
    from keras_seqfix.diagnosis._reference import clearly_above_chance

    gains = []
    ref_gain = ctx.measurements.get("reference_learning_curve_gain")
    if ref_gain is not None and clearly_above_chance(ctx.reference):
        gains.append(ref_gain)
    probe_gain = ctx.probe.learning_curve_gain
    if math.isfinite(probe_gain) and ctx.measurements.get("learned_signal"):
        gains.append(probe_gain)
    return max(gains) if gains else None


def check_insufficient_data(ctx):
    """Few samples per class, weighed by what the samples already support.

    The count sets a prior; a learning curve (held-out accuracy on half the data
    vs all of it, of the reference or the probe, `_learning_curve_gain`) raises
    it when steep. A flat curve says the learner has stopped gaining, which
    speaks for the data only when that learner is already near perfect: when
    the reference or the full-data probe is within `_FLAT_GAIN` of a perfect
    held-out score the set is small but learnable (e.g. BasicMotions) and the
    prior is lowered; a weak learner's flat curve is its own limit and moves
    nothing (a linear reference at 0.41 gained 0.03 from 10 to 21 clips per
    class, where a CNN-LSTM needs far more). A tiny class beside a large one
    ranks below `class_imbalance`.
    """
    if ctx.labels.ids is None:
        return []
    counts = np.bincount(ctx.labels.ids[ctx.labels.ids >= 0])
    smallest = int(counts[counts > 0].min())
    ctx.measurements["min_samples_per_class"] = smallest
    gain = _learning_curve_gain(ctx)
    best = _held_out_best(ctx)
    supported = best is not None and 1.0 - best < _FLAT_GAIN
    score = (
        0.8 if smallest < 5 else 0.45 if smallest < 10 else 0.15 if smallest < 30 else 0
    )
    if gain is not None and smallest < 200:
        if gain >= 0.15 and not supported:  # steep: more data would still help
            score = max(score, 0.6) + 0.1 if smallest < 30 else max(score, 0.3)
        elif supported:
            score -= 0.15
    # A tiny class beside a large one (10:1 or more, the largest with 30 or
    # more) is the imbalance's doing first: the majority classes are not short
    # of data, so this ranks below class_imbalance (0.55 at that ratio).
    skewed = counts.max() >= 30 and counts.max() >= _SKEWED * smallest
    if skewed:
        score = min(score, 0.5)
    if score < 0.15:
        return []
    evidence = {"samples": len(ctx.y), "min_samples_per_class": smallest}
    if skewed:
        evidence["largest_class"] = int(counts.max())
    if gain is not None:
        evidence["val_accuracy_gain_half_to_full"] = round(gain, 3)
    if best is not None:
        evidence["best_held_out_accuracy"] = round(best, 3)
    fix = (
        "augment = ksf.TimeSeriesAugmentation(jitter=0.03, scaling=0.1)  # numeric\n"
        "# (ksf.SequenceAugmentation for frames), collect more labelled data, and train\n"
        "# on every sample (no split) with the best weights by training loss kept:\n"
        "model.fit(x, y, **ksf.models.fit_recipe(x))"
    )
    title = f"Only {smallest} samples in the smallest class"
    return [make_finding("insufficient_data", score, title, evidence, fix)]


DATA_CHECKS = (
    check_invalid_values,
    check_unscaled_inputs,
    check_conflicting_labels,
    check_split_leakage,
    check_padding_without_mask,
)
# class_imbalance and insufficient_data also read what the probe measured.
LATE_DATA_CHECKS = (check_class_imbalance, check_insufficient_data)
