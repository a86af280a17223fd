"""Checks that read the reference: the user's model against what the data supports
(`architecture_mismatch`), labels the reference contradicts (`noisy_labels`), and
the per-class view of the user's model (recall, confused pairs, top losses)."""

import math

import keras
import numpy as np

from keras_seqfix.diagnosis._codes import FAILURES, OTHER_EXPLANATIONS
from keras_seqfix.diagnosis._probe import finite_rows
from keras_seqfix.diagnosis._reference import (
    clearly_above_chance,
    order_free_accuracies,
)
from keras_seqfix.diagnosis.finding import Finding, severity_of

# How many of the worst samples and most confused pairs the report lists.
_TOP = 10


def model_view(ctx, reference):
    """The user's trained model on the reference's held-out samples.

    On `validation_data` when given, else on the reference's sample of `x` (the
    training samples: the model's fit, set against the reference's
    leave-one-out accuracy). An untrained model (no optimizer step, no history)
    has no view: its accuracy says nothing about its architecture.
    Returns the per-class view dict, or `None`.
    """
    from sklearn.metrics import balanced_accuracy_score, confusion_matrix

    if not ctx.trained or not reference or reference.get("accuracy") is None:
        return None
    if ctx.x_val is not None and ctx.val_ids is not None:
        x, ids, on = ctx.x_val, ctx.val_ids, "validation_data"
        index = np.arange(len(x))
    else:
        index = ctx.reference_rows
        x, ids = ctx.x[index], ctx.labels.ids[index]
        on = "x (training samples)"
    keep = _scorable(x, ids)
    x, ids, index = x[keep], ids[keep], index[keep]
    probs = class_probabilities(ctx, x)
    predicted = probs.argmax(axis=1)
    losses = -np.log(
        np.clip(
            probs[np.arange(len(ids)), np.minimum(ids, probs.shape[1] - 1)], 1e-12, 1.0
        )
    )
    classes = np.unique(np.concatenate([ids, predicted]))
    matrix = confusion_matrix(ids, predicted, labels=classes)
    recall = {
        int(c): float(matrix[i, i] / matrix[i].sum())
        for i, c in enumerate(classes)
        if matrix[i].sum()
    }
    off = [
        (int(classes[i]), int(classes[j]), int(matrix[i, j]))
        for i in range(len(classes))
        for j in range(len(classes))
        if i != j and matrix[i, j]
    ]
    worst = np.argsort(-losses, kind="stable")[:_TOP]
    return {
        "on": on,
        "samples": int(len(ids)),
        "accuracy": float(np.mean(predicted == ids)),
        "balanced_accuracy": float(balanced_accuracy_score(ids, predicted)),
        "recall": recall,
        "most_confused": sorted(off, key=lambda t: -t[2])[:_TOP],
        "top_losses": [
            {
                "index": int(index[i]),
                "loss": round(float(losses[i]), 4),
                "label": int(ids[i]),
                "predicted": int(predicted[i]),
            }
            for i in worst
        ],
    }


def _scorable(x, ids):
    """Rows whose label the loss reads (id >= 0) and whose inputs are finite."""
    return (ids >= 0) & finite_rows(x)


def class_probabilities(ctx, x, batch_size=256):
    """Class probabilities `(n, K)` of the user's model, whatever its output is:
    softmax or sigmoid units, logits or probabilities, one sigmoid unit (binary)."""
    outputs = []
    for start in range(0, len(x), batch_size):
        out = ctx.model(x[start : start + batch_size], training=False)
        outputs.append(np.asarray(keras.ops.convert_to_numpy(out), dtype="float64"))
    out = np.concatenate(outputs).reshape(len(x), -1)
    probabilities = out.min() >= 0 and out.max() <= 1 and not ctx.info.from_logits
    if out.shape[1] == 1:
        p = out[:, 0] if probabilities else 1 / (1 + np.exp(-out[:, 0]))
        return np.stack([1 - p, p], axis=1)
    if probabilities and np.allclose(out.sum(axis=1), 1, atol=1e-3):
        return out
    if probabilities:  # independent sigmoids: normalise
        return out / np.clip(out.sum(axis=1, keepdims=True), 1e-12, None)
    out = out - out.max(axis=1, keepdims=True)
    return np.exp(out) / np.exp(out).sum(axis=1, keepdims=True)


def architecture_mismatch(ctx, reference, view):
    """The reference does far better than the user's trained model.

    On `validation_data`, a model that fits its own training samples as well
    as the reference generalises has the capacity and the inputs it needs: the
    gap is one of variance, and is said as `overfitting` (with the reference's
    figure as evidence), not as the wrong architecture.
    """
    if view is None or not clearly_above_chance(reference):
        return []
    ref, mine = reference["balanced_accuracy"], view["balanced_accuracy"]
    n = max(min(view["samples"], reference["held_out"]), 1)
    margin = _margin(ref, n)
    gap = ref - mine
    ctx.measurements["reference_gap"] = round(gap, 4)
    if gap < margin:
        return []
    on_train = view["on"].startswith("x")
    evidence = {
        "reference_balanced_accuracy": round(ref, 4),
        "model_balanced_accuracy": round(mine, 4),
        "gap": round(gap, 4),
        "margin": round(margin, 4),
        "model_scored_on": view["on"],
    }
    if not on_train:
        fitted = _training_balanced_accuracy(ctx)
        ctx.measurements["model_train_balanced_accuracy"] = round(fitted, 4)
        if fitted - mine >= margin and fitted >= ref - margin:
            return [_variance_gap(ref, mine, fitted, gap, evidence)]
    score = min(0.55 + gap, 0.9)
    title = (
        f"A {reference['seconds']:.1f} s reference ({reference['name']}) reaches "
        f"{ref:.2f} balanced accuracy held out; your trained model "
        f"{mine:.2f} on {'its own training samples' if on_train else view['on']}"
    )
    order = order_free(ctx)
    if order:
        evidence["order_free"] = True
        title += "; its output ignores the order of the steps"
    return [
        Finding(
            "architecture_mismatch",
            severity_of(score),
            title,
            evidence,
            _builder_fix(ctx),
            score,
        )
    ]


def _margin(ref, n):
    """Two standard errors of a difference of two accuracies near `ref`."""
    return max(0.1, 2 * math.sqrt(2 * max(ref * (1 - ref), 0.02) / n))


def _training_balanced_accuracy(ctx):
    """The user's model on the reference's sample of its training rows."""
    from sklearn.metrics import balanced_accuracy_score

    rows = ctx.reference_rows
    x, ids = ctx.x[rows], ctx.labels.ids[rows]
    keep = _scorable(x, ids)
    if keep.sum() < 2:
        return math.nan
    predicted = class_probabilities(ctx, x[keep]).argmax(axis=1)
    return float(balanced_accuracy_score(ids[keep], predicted))


def _variance_gap(ref, mine, fitted, gap, evidence):
    score = min(0.55 + gap, 0.85)
    evidence = {**evidence, "model_train_balanced_accuracy": round(fitted, 4)}
    title = (
        f"Overfitting: your model reaches {fitted:.2f} balanced accuracy on its "
        f"training samples and {mine:.2f} on validation_data, where a reference "
        f"reaches {ref:.2f} held out: it fits, it does not generalise"
    )
    fix = (
        'model.fit(..., validation_data=(x_val, y_val), callbacks=[ksf.early_stopping("patient")])\n'
        "# and regularise: dropout, augmentation (ksf.TimeSeriesAugmentation /\n"
        "# ksf.SequenceAugmentation), a smaller model, or more data"
    )
    return Finding("overfitting", severity_of(score), title, evidence, fix, score)


#: Steps are the second axis of every input diagnose reads (tokens, series,
#: clips); a model whose outputs are the same, to float tolerance, for the
#: samples with their steps reversed and shuffled cannot read their order.
_ORDER_ROWS, _ORDER_TOLERANCE = 64, 1e-4


def order_free(ctx):
    """Whether the model's output ignores the order of the input steps.

    `None` when it cannot be told: fewer than 4 steps, or outputs that do not
    vary across samples (a constant model is trivially order-free).
    """
    rows, out, scale = _sample_outputs(ctx)
    if rows is None or rows.shape[1] < 4 or _constant(out, scale):
        return None
    rng = np.random.default_rng(0)
    steps = rows.shape[1]
    for order in (np.arange(steps)[::-1], rng.permutation(steps)):
        moved = _outputs(ctx.model, rows[:, order])
        if float(np.abs(moved - out).max()) > _ORDER_TOLERANCE * scale:
            return False
    return True


def input_free(ctx):
    """Whether an untrained model gives the same output for every sample: at a
    random initialisation that means its layers discard what tells the inputs
    apart (a trained model may have collapsed instead, so it is not asked)."""
    if ctx.trained:
        return False
    rows, out, scale = _sample_outputs(ctx)
    return rows is not None and _constant(out, scale)


def _sample_outputs(ctx):
    """Up to 64 finite samples, the model's outputs on them and their scale."""
    x = ctx.x
    if x.ndim < 2:
        return None, None, None
    rows = x[:_ORDER_ROWS]
    if x.dtype.kind == "f":
        rows = rows[np.isfinite(rows.reshape(len(rows), -1)).all(axis=1)]
    if len(rows) < 2:
        return None, None, None
    out = _outputs(ctx.model, rows)
    return rows, out, 1.0 + float(np.abs(out).max())


def _constant(out, scale):
    return float(out.std(axis=0).max()) <= _ORDER_TOLERANCE * scale


def _outputs(model, x):
    out = model(x, training=False)
    return np.asarray(keras.ops.convert_to_numpy(out), dtype="float64").reshape(
        len(x), -1
    )


def _builder_fix(ctx):
    k = ctx.num_classes
    if ctx.x.ndim == 5:
        return (
            f"model = ksf.build_cnn_lstm({k}, input_shape={tuple(ctx.x.shape[1:])})\n"
            "model.fit(x, y, **ksf.fit_recipe(x))"
        )
    if ctx.tokens:
        vocab = int(ctx.x.max()) + 1
        return (
            f"model = ksf.build_lstm_classifier({k}, vocab_size={vocab})\n"
            "model.fit(x, y, **ksf.fit_recipe(x))"
        )
    shape = tuple(ctx.x.shape[1:]) if ctx.x.ndim == 3 else (ctx.x.shape[1], 1)
    return (
        f"model = ksf.build_rocket_classifier({k}, input_shape={shape}, "
        "adapt_data=x, adapt_labels=y)\n"
        "model.fit(x, y, **ksf.fit_recipe(x, model=model))"
    )


def noisy_labels(ctx, reference):
    """Confident learning (cleanlab) on the reference's out-of-fold probabilities.

    Only when the reference has learned the labels: a reference at chance
    contradicts every label and proves nothing. The share flagged is compared
    with the reference's own error: on clean data most of its errors are hard
    samples it gets wrong with low confidence, which confident learning's
    per-class thresholds leave out.
    """
    from cleanlab.filter import find_label_issues

    # The gate is lower than architecture_mismatch's: the noise itself pulls the
    # reference towards chance, and three standard errors already rule chance out.
    if ctx.reference_oof is None or not clearly_above_chance(reference, floor=0.05):
        return []
    rows, oof, classes = ctx.reference_rows, ctx.reference_oof, ctx.reference_classes
    targets = np.searchsorted(classes, ctx.labels.ids[rows])
    if np.bincount(targets).min() < 2:
        return []
    ranked = find_label_issues(targets, oof, return_indices_ranked_by="self_confidence")
    fraction = len(ranked) / len(rows)
    ctx.measurements["label_issue_fraction"] = round(fraction, 4)
    # The reference must be right on the labels it accepts: where it still errs
    # on many of them, it is a weak judge, and what it flags are its own errors
    # (a reference near chance flags half of any labels).
    accepted = np.ones(len(rows), dtype=bool)
    accepted[ranked] = False
    unflagged_error = (
        float(np.mean(oof[accepted].argmax(axis=1) != targets[accepted]))
        if accepted.any()
        else 1.0
    )
    ctx.measurements["reference_error_on_unflagged"] = round(unflagged_error, 4)
    if len(ranked) < _MIN_ISSUES or fraction < _MIN_FRACTION:
        return []
    if unflagged_error > _MAX_UNFLAGGED_ERROR:
        ctx.notes.append(
            f"noisy_labels not claimed: the reference errs on {unflagged_error:.0%} "
            "of the labels it does not flag, too weak a judge of the rest"
        )
        return []
    beaten = ctx.measurements.get("reference_gap")
    if beaten is not None and beaten < -0.05:
        ctx.notes.append(
            "noisy_labels not claimed: your trained model does better than the "
            "reference, which cannot judge its labels"
        )
        return []
    score = min(0.3 + 1.5 * fraction, 0.8)
    indices = [int(i) for i in rows[ranked[:_TOP]]]
    title = (
        f"{len(ranked)} of {len(rows)} labels ({fraction:.0%}) contradict a "
        "reference model that learned the rest (confident learning)"
    )
    evidence = {
        "label_issues": len(ranked),
        "fraction": round(fraction, 4),
        "samples_checked": len(rows),
        "most_likely_mislabelled": ", ".join(map(str, indices)),
    }
    fix = (
        "from cleanlab.filter import find_label_issues  # what diagnose ran\n"
        f"suspects = [{', '.join(map(str, indices[:5]))}, ...]  # check these labels first\n"
        "keep = np.setdiff1d(np.arange(len(y)), suspects); x, y = x[keep], y[keep]"
    )
    return [Finding("noisy_labels", severity_of(score), title, evidence, fix, score)]


# Set on GunPoint, ItalyPowerDemand and SMS spam with 0, 10, 20 and 30% of labels
# flipped (seeds 0 and 1): clean sets flag at most 1.5%, 10% noise at least 4%.
# Reported on sets not used here (docs/diagnosis.md, "Label noise").
_MIN_ISSUES, _MIN_FRACTION = 3, 0.05
# From principle, not tuned: flipped labels are what a good reference rejects,
# so the labels it keeps should be ones it agrees with.
_MAX_UNFLAGGED_ERROR = 0.15


def demote_no_signal(findings, reference, ctx=None):
    """A reference that learns the labels proves that `x` carries them: a
    `no_signal` finding is then the model's or the training's failure, and is
    said so (`architecture_mismatch` of the probe's copy), never left as a
    demoted data finding on a report that would otherwise read healthy."""
    if not clearly_above_chance(reference):
        return
    for f in list(findings):
        if f.code != "no_signal":
            continue
        f.score = round(f.score * 0.4, 3)
        f.severity = severity_of(f.score)
        f.evidence["reference_balanced_accuracy"] = round(
            reference["balanced_accuracy"], 4
        )
        if ctx is not None and not any(
            g.code == "architecture_mismatch" for g in findings
        ):
            findings.extend(_copy_does_not_learn(ctx, reference, findings))


def structural_mismatch(findings, reference, ctx):
    """An untrained model whose output ignores the order of the steps (or the
    input itself) and whose probe copy learns far less than the reference:
    `architecture_mismatch` from its structure, though the copy learned enough
    to rule out `no_signal` (a trained model is compared directly instead)."""
    if ctx.trained or not clearly_above_chance(reference):
        return
    if any(f.code == "architecture_mismatch" for f in findings):
        return
    if input_free(ctx):
        findings.extend(
            _copy_does_not_learn(ctx, reference, findings, order=False, discards=True)
        )
        return
    if not order_free(ctx):
        return
    # Order-free is the cause only if the order carries what the reference
    # reads: refitted on shuffled steps, it must lose more than chance would
    # explain (a bag-of-words text model needs no order, and is not faulted).
    accuracies = order_free_accuracies(ctx)
    if accuracies is None:
        return
    ordered, shuffled = accuracies
    ctx.measurements["reference_order_free_balanced_accuracy"] = round(shuffled, 4)
    if ordered - shuffled >= _margin(ordered, len(ctx.reference_rows)):
        findings.extend(
            _copy_does_not_learn(ctx, reference, findings, order=True, discards=False)
        )


# Medium, below the root causes found with confidence: the probe's short training
# is a weaker witness than a trained model (`architecture_mismatch` above). Only
# where the model cannot fit one batch either (`underfitting`): a model that fits
# a batch but whose copy generalises nothing in the probe's few steps may need
# more steps, so that alone is low.
_COPY_SCORE, _COPY_ALONE_SCORE = 0.45, 0.3
# A model whose output ignores the order of the steps, or (untrained) gives one
# output for every sample, and whose copy learns nothing where the reference
# learns, is the architecture's doing: it ranks above the failures it explains,
# which are scaled by 0.75.
_ORDER_FREE_SCORE = 0.7
# Causes that by themselves keep a fresh copy from learning, each measured by
# its own check: when one is found at medium or above (score 0.4), the copy's
# failure is its consequence, not a second cause.
_STOPS_LEARNING = frozenset(
    {
        *OTHER_EXPLANATIONS,
        "train_inference_discrepancy",
        # A low balanced accuracy of a short probe is what imbalance gives.
        "class_imbalance",
    }
)


def _copy_does_not_learn(ctx, reference, findings=(), order=None, discards=None):
    """The probe's fresh copy, trained on real labels, stays near chance while
    the reference learns them: the data has the signal, the model (or how it is
    trained) does not reach it. `order` and `discards`: `order_free(ctx)` and
    `input_free(ctx)` where the caller already measured them (`None`: measure)."""
    probe = ctx.probe
    mine = probe.val_bacc_real
    if not math.isfinite(mine):
        return []
    ref = reference["balanced_accuracy"]
    n = max(probe.holdout_samples, 1)
    margin = _margin(ref, n)
    if ref - mine < margin:
        return []
    # The copy trained at the probe's rate: where that is not yours, a rate
    # fault of yours cannot be why the copy stays near chance.
    user_lr, rate = ctx.info.learning_rate, probe.probe_lr
    corrected = rate is not None and user_lr is not None and rate != user_lr
    order = order_free(ctx) if order is None else order
    discards = input_free(ctx) if discards is None else discards
    # A model that cannot read what the reference reads (order-free, or blind to
    # its input), and that fits no batch at the higher rate either: the rate is
    # not what binds (no rate gives such a model the order), the structure is.
    higher = probe.batch_best_lr
    unfitted = (
        higher is not None
        and higher.completed
        and not higher.fits(ctx.measurements.get("expected_loss_at_init", math.log(2)))
    )
    rate_not_binding = corrected or ((order or discards) and unfitted)
    explained = [
        f.code
        for f in findings
        if f.code in _STOPS_LEARNING
        and f.score >= 0.4
        and not (rate_not_binding and f.code in ("lr_too_low", "lr_too_high"))
    ]
    if explained:
        ctx.notes.append(
            "architecture_mismatch not claimed: the probe's copy learns nothing "
            f"({mine:.2f} against the reference's {ref:.2f}), which "
            f"{explained[0]} explains"
        )
        return []
    steps, rate = probe.steps_run, probe.probe_lr
    trained = f"trained {steps} steps" if steps else "trained briefly"
    if rate:
        trained += f" at learning rate {rate:.2g}"
    title = (
        f"A {reference['seconds']:.1f} s reference ({reference['name']}) reaches "
        f"{ref:.2f} balanced accuracy held out; a fresh copy of your model, "
        f"{trained} by the probe, {mine:.2f}: the inputs carry the labels, "
        "the model or its training does not learn them"
    )
    evidence = {
        "reference_balanced_accuracy": round(ref, 4),
        "probe_copy_balanced_accuracy": round(mine, 4),
        "gap": round(ref - mine, 4),
        "margin": round(margin, 4),
        "model_scored_on": "the probe's copy on its holdout",
    }
    shuffled = ctx.measurements.get("reference_order_free_balanced_accuracy")
    if shuffled is not None:
        evidence["reference_on_shuffled_steps"] = shuffled
    cannot_fit = [f for f in findings if f.code == "underfitting" and f.score >= 0.4]
    score = _COPY_SCORE if cannot_fit else _COPY_ALONE_SCORE
    if order:
        evidence["order_free"] = True
        title += (
            "; its output is the same for any order of the steps (order-free "
            "pooling), so it cannot read what the reference reads"
        )
        score = _ORDER_FREE_SCORE
    if discards:
        evidence["input_free"] = True
        title += (
            "; at its initialisation it gives the same output for every sample "
            "(its layers discard what tells the inputs apart)"
        )
        score = _ORDER_FREE_SCORE
    if order or discards:
        # A rate too low slows learning; the copy, at the probe's higher rate,
        # still fell short: the structure is what binds, and ranks first.
        slowed = ("lr_too_low",) if rate_not_binding else ()
        for f in findings:
            if f.code in FAILURES or f.code in slowed:
                f.score = round(f.score * 0.75, 3)
                f.severity = severity_of(f.score)
    return [
        Finding(
            "architecture_mismatch",
            severity_of(score),
            title,
            evidence,
            _builder_fix(ctx),
            score,
        )
    ]


def padding_coped_with(findings, reference, ctx):
    """Post-padding without a mask keeps a loss high when the model cannot read
    past the padding to the real steps. A probe copy that reaches the
    reference's held-out balanced accuracy (within two standard errors) reads
    them anyway (a bidirectional layer's backward pass starts at the real
    steps, a pooling layer averages over them): the padding is then a risk to
    mention, not the cause, and its score is halved."""
    p = ctx.probe
    if not clearly_above_chance(reference) or not math.isfinite(p.val_bacc_real):
        return
    se = math.sqrt(0.25 / max(p.holdout_samples, 1))
    if p.val_bacc_real < reference["balanced_accuracy"] - 2 * se:
        return
    for f in findings:
        if f.code == "padding_without_mask":
            f.score = round(f.score * 0.5, 3)
            f.severity = severity_of(f.score)
            f.evidence["probe_reaches_reference"] = True
