"""Checks on the user's training curves (`history` of `model.fit`)."""

import math

import numpy as np

from keras_seqfix.diagnosis.finding import make_finding


def history_dict(history):
    """`history` (a `keras.callbacks.History` or a dict of lists) as a dict of lists."""
    if history is None:
        return {}
    curves = getattr(history, "history", history)
    if not isinstance(curves, dict):
        raise TypeError(
            "`history` should be the `History` returned by `model.fit` or its "
            f"`.history` dict. Received: history of type {type(history).__name__}"
        )
    return {str(k): [float(v) for v in np.ravel(vals)] for k, vals in curves.items()}


def _accuracy_gap(curves, last=3):
    """Training minus validation accuracy over the last epochs (NaN if unknown)."""
    for name in curves:
        if (name == "acc" or name.endswith("accuracy")) and f"val_{name}" in curves:
            train, val = curves[name][-last:], curves[f"val_{name}"][-last:]
            if len(train) == len(val) and np.all(np.isfinite(train + val)):
                return float(np.mean(train) - np.mean(val))
    return math.nan


def check_history_overfitting(ctx, curves):
    """Validation loss rising well above its best while training loss falls, or a
    wide generalisation gap (training accuracy 20 points above validation)."""
    train, val = curves.get("loss", []), curves.get("val_loss", [])
    if len(val) < 3 or len(train) < len(val) or not np.all(np.isfinite(val)):
        return []
    best = int(np.argmin(val))
    rise = (val[-1] - val[best]) / max(abs(val[best]), 1e-8)
    after = len(val) - 1 - best
    train_fell = train[-1] < train[best] * 0.95
    # High variance (the bias/variance reading of the two curves): the model
    # fits its training data far better than held-out data, even while the
    # validation loss still creeps down. The fix is the same: regularise, stop
    # early, augment, get more data.
    acc_gap = _accuracy_gap(curves)
    wide_gap = (
        len(val) >= 5
        and acc_gap >= 0.2
        and val[-1] >= 2 * train[-1] + 0.02
        and train[-1] < train[0] * 0.5
    )
    if (after < 2 or not train_fell) and not wide_gap:
        return []
    score = 0.85 if rise >= 0.5 else 0.65 if rise >= 0.2 else 0.3 if rise >= 0.08 else 0
    if after < 2 or not train_fell:
        score = 0
    # How long and how steadily val loss has risen matters as much as how far:
    # best epoch in the first 60% of the run, the later half of the epochs since
    # then above the best by the same margin, and a training loss far below it.
    since = np.asarray(val[best + 1 :])
    late = since[len(since) // 2 :]
    sustained = after >= max(5, 0.4 * len(val)) and bool(
        np.all(late >= val[best] * 1.04)
    )
    gap = val[-1] >= 2 * train[-1] + 0.02
    if score and rise >= 0.08 and sustained and gap:
        score = max(score, 0.55)
    from_rise = score > 0
    if wide_gap:
        score = max(score, 0.65 if acc_gap >= 0.35 else 0.55)
    if not score:
        return []
    evidence = {
        "best_val_loss": round(val[best], 4),
        "best_epoch": best + 1,
        "last_val_loss": round(val[-1], 4),
        "last_train_loss": round(train[-1], 4),
        "epochs_after_best": after,
        "val_loss_rise": round(rise, 3),
        "rising_since_best": sustained,
    }
    if math.isfinite(acc_gap):
        evidence["train_minus_val_accuracy"] = round(acc_gap, 3)
    fix = (
        'model.fit(..., validation_data=(x_val, y_val), callbacks=[ksf.early_stopping("patient")])\n'
        "# and regularise: dropout=0.3 in ksf.build_lstm_classifier, augmentation\n"
        "# (ksf.TimeSeriesAugmentation / ksf.SequenceAugmentation), a smaller model"
    )
    title = (
        f"Overfitting: validation loss rose {rise:.0%} above its best "
        f"(epoch {best + 1}) over {after} epochs"
    )
    if not from_rise:
        title = (
            f"Overfitting: training accuracy {acc_gap:.0%} above validation accuracy,"
            f" validation loss {val[-1]:.3g} vs training loss {train[-1]:.3g}"
        )
    return [make_finding("overfitting", score, title, evidence, fix)]


def check_history_underfitting(ctx, curves):
    """Training loss that stays close to its starting value (or to log K)."""
    train = curves.get("loss", [])
    if len(train) < 3 or not np.all(np.isfinite(train)):
        return []
    reference = ctx.measurements.get("expected_loss_at_init") or train[0]
    reference = max(reference, train[0]) if math.isfinite(reference) else train[0]
    ratio = train[-1] / max(reference, 1e-8)
    val = curves.get("val_loss", [])
    gap_small = not val or val[-1] <= train[-1] * 1.3 + 0.05
    still = _still_improving(train, val)
    if ratio >= 0.85:
        score = 0.7
    elif (ratio >= 0.6 and gap_small) or (still is not None and ratio >= 0.2):
        score = 0.45
    else:
        return []
    evidence = {
        "first_train_loss": round(train[0], 4),
        "last_train_loss": round(train[-1], 4),
        "reference_loss": round(reference, 4),
        "last_over_reference": round(ratio, 3),
        "epochs": len(train),
    }
    if val:
        evidence["last_val_loss"] = round(val[-1], 4)
    fix = (
        "model = ksf.build_lstm_classifier(num_classes, input_shape=..., units=128)\n"
        "model.fit(x, y, **ksf.fit_recipe(x))  # longer, best weights restored"
    )
    title = f"Underfitting: training loss ended at {ratio:.0%} of where it started"
    if still is not None and ratio < 0.6:
        name, share, tail = still
        evidence["share_of_drop_in_last_epochs"] = round(share, 3)
        title = (
            f"Stopped while still learning: the {name} loss is at its lowest in the "
            f"last epoch and fell {share:.0%} of its whole drop in the last {tail} "
            f"epochs, at {ratio:.0%} of where it started"
        )
    return [make_finding("underfitting", score, title, evidence, fix)]


def _still_improving(train, val):
    """`(curve name, share of its drop in the last epochs, those epochs)` when
    training stopped while the loss still fell steeply, else None: the held-out
    loss (or, without one, the training loss) at its lowest in the last epoch,
    with at least a fifth of its whole drop in the last fifth of the epochs."""
    name, curve = ("validation", val) if len(val) == len(train) else ("training", train)
    if len(curve) < 5 or not np.all(np.isfinite(curve)):
        return None
    tail = max(2, len(curve) // 5)
    drop = curve[0] - min(curve)
    if drop <= 0 or curve[-1] > min(curve) * 1.02:
        return None
    share = (curve[-tail - 1] - curve[-1]) / drop
    falling = min(train[-tail:]) < train[-tail - 1]  # the training loss too
    return (name, float(share), tail) if share >= 0.2 and falling else None


def run_history_checks(ctx, curves):
    if not curves:
        return []
    return check_history_overfitting(ctx, curves) + check_history_underfitting(
        ctx, curves
    )
