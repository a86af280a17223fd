"""Turn what the probe measured into findings: signal, capacity, LR, gradients, modes.

The gradient and training/inference-mode checks live in `_layer_checks`; this
module holds the learning-rate and signal/capacity checks and `run_probe_checks`,
which weighs them against each other.

Decision rules (Karpathy's recipe, UMLAUT and AUTOTRAINER heuristics):

* a model that cannot overfit one small batch has an optimisation problem: a
  learning rate far from the LR range test's (`lr_too_low` / `lr_too_high`),
  gradients that vanish or explode at initialisation, or too little capacity
  (`underfitting`);
* a model that can memorise a batch but does no better on held-out data with the
  real labels than with shuffled labels finds no signal (`no_signal`);
* the same data scoring much worse in inference mode than in training mode points
  at BatchNormalization statistics or heavy dropout (`train_inference_discrepancy`).
"""

import dataclasses
import math

from keras_seqfix.diagnosis._layer_checks import (
    _get,
    check_gradients,
    check_train_inference,
    explodes_at_init,
)
from keras_seqfix.diagnosis._probe_result import BatchFit, LRPosition
from keras_seqfix.diagnosis._reference import sees_no_signal
from keras_seqfix.diagnosis.finding import make_finding, severity_of

_FIND_LR_FIX = (
    "result = ksf.find_lr(model, x_train, y_train)\n"
    "model.optimizer.learning_rate = result.suggestion  # {suggestion}"
)


def _round(m, keys):
    """The measurements named in `keys` that exist, rounded for the evidence."""
    return {k: round(float(m[k]), 5) for k in keys if k in m and m[k] is not None}


@dataclasses.dataclass
class ProbeSummary:
    """What the probe's numbers say, decided once for every check."""

    fit_user: bool = False  # the batch fitted at your learning rate
    fit_best: bool = False  # ... or at the range test's suggestion
    fit_long: bool = False  # ... or given up to 4x the steps
    learned: bool = False  # held-out accuracy above chance and shuffled labels
    diverged: bool = False  # the loss diverged (or rose) at your learning rate
    progress: float = math.nan  # 1 - training loss at the end / loss at init
    margin: float = math.nan  # the accuracy margin `learned` needed

    @property
    def can_fit(self):
        return self.fit_user or self.fit_best


def _batch_ratio(probe):
    """The best end/start loss ratio of the one-batch overfits (1.0 if unknown)."""
    ratios = [f.ratio() for f in (probe.batch, probe.batch_best_lr) if f is not None]
    return min((r for r in ratios if r is not None), default=1.0)


def probe_summary(ctx):
    """Derived facts: can it overfit a batch (at your LR, at the best LR), did it
    learn a signal, did it diverge at your LR, how far did the loss fall."""
    m, p = ctx.measurements, ctx.probe
    expected = _get(m, "expected_loss_at_init", math.log(2))
    batch, best_batch = p.batch or BatchFit(), p.batch_best_lr
    fit_user = batch.fits(expected)
    ran_best = best_batch is not None and best_batch.completed
    fit_best = best_batch.fits(expected) if ran_best else fit_user
    # Given up to 4x the steps (labels without signal are memorised slowly).
    fit_long = fit_user or fit_best
    for fit in (batch, best_batch):
        if fit is not None and fit.long_steps:
            fit_long = fit_long or fit.fits(expected, longer=True)
    holdout = max(p.holdout_samples, 1)
    chance = p.val_acc_majority if math.isfinite(p.val_acc_majority) else 0.5
    margin = max(0.05, 2 * math.sqrt(max(chance * (1 - chance), 0.05) / holdout))
    real, shuffled = p.val_acc_real, p.val_acc_shuffled
    baseline = max(chance, shuffled) if math.isfinite(shuffled) else chance
    learned = math.isfinite(real) and real >= baseline + margin
    # Balanced accuracy too: on imbalanced data accuracy hides what was learned.
    b_real, b_shuffled = p.val_bacc_real, p.val_bacc_shuffled
    b_chance = 1.0 / max(ctx.num_classes, 2)
    b_base = max(b_chance, b_shuffled) if math.isfinite(b_shuffled) else b_chance
    # Its standard error grows with the smallest classes' holdout counts (a
    # recall on 50 minority samples moves by 0.07 by chance): three of them.
    counts = p.holdout_class_counts or [holdout]
    b_se = math.sqrt(sum(0.25 / max(c, 1) for c in counts)) / len(counts)
    b_margin = max(margin, 3 * b_se)
    learned = learned or (math.isfinite(b_real) and b_real >= b_base + b_margin)
    start, end = batch.start, batch.end
    diverged = (batch.completed and batch.diverged) or (
        math.isfinite(start) and math.isfinite(end) and end > 1.5 * max(start, expected)
    )
    init, train_end = p.loss_at_init, p.train_loss_end
    progress = 1 - train_end / init if math.isfinite(init) and init > 0 else math.nan
    # The short training on all the data ran at your rate and left the loss well
    # above where it started, in training mode and in inference mode alike (so
    # not dropout or BatchNorm statistics): the steps overshoot.
    lr = ctx.info.learning_rate
    probe_lr = p.probe_lr if p.probe_lr is not None else math.nan
    at_yours = lr is not None and math.isclose(probe_lr, lr, rel_tol=0.01)
    reference = max(init, expected) if math.isfinite(init) else expected
    rose = (
        at_yours
        and train_end >= 1.25 * reference
        and p.loss_inference_mode is not None
        and p.loss_inference_mode >= 1.2 * reference
    )
    diverged = bool(diverged or rose)
    m.update(
        loss_rose_at_your_lr=bool(rose),
        fit_one_batch=fit_user,
        fit_one_batch_best_lr=fit_best,
        fit_one_batch_longer=fit_long,
        learned_signal=bool(learned),
        signal_margin=margin,
        diverged_at_your_lr=diverged,
        train_progress=progress,
    )
    return ProbeSummary(
        fit_user, fit_best, fit_long, bool(learned), diverged, progress, margin
    )


def check_learning_rate(ctx, summary):
    """`lr_too_high` / `lr_too_low` from the range test and the one-batch overfit."""
    m, p, findings = ctx.measurements, ctx.probe, []
    fit_user, fit_best, diverged = summary.fit_user, summary.fit_best, summary.diverged
    lr = ctx.info.learning_rate
    if lr is None:
        return []
    m["learning_rate"] = lr
    suggestion = p.lr_suggestion
    keys = [
        "learning_rate",
        "lr_suggestion",
        "lr_test_lr_at_min",
        "lr_test_drop_at_your_lr",
        "batch_start",
        "batch_end",
        "batch_rises",
        "batch_best_lr_end",
        "loss_at_init",
        "train_loss_end",
    ]
    evidence = _round(m, keys)
    shown = f"{suggestion:.2g}" if math.isfinite(suggestion) else ""
    fix = _FIND_LR_FIX.format(suggestion=shown)
    batch, best = p.batch or BatchFit(), p.batch_best_lr
    position = p.lr_position or LRPosition()
    rises = batch.rises if batch.completed else 0.0
    beyond = position.beyond_divergence
    drop, at_min = position.drop_at_your_lr, position.lr_at_min
    probe_lr = p.probe_lr if p.probe_lr is not None else lr
    # The rate of the second one-batch overfit (the suggestion), if it ran.
    batch_lr = best.rate if best is not None else probe_lr
    high = 0.0
    if diverged:
        high = 0.9
    elif beyond and (not fit_user or rises >= 0.35):
        high = 0.8
    elif not fit_user and fit_best and batch_lr <= lr / 10:
        high = 0.7
    elif beyond:
        high = 0.35
    if high:
        title = f"Learning rate {lr:.2g} is too high"
        title += " (the loss diverged in the probe)" if diverged else ""
        findings.append(make_finding("lr_too_high", high, title, evidence, fix))
        return findings
    lr_start, lr_min = position.start_loss, position.min_loss
    # The range test must show the loss can fall at all (by 10%), or its minimum
    # is noise and says nothing about the learning rate.
    informative = math.isfinite(lr_min) and lr_min <= 0.95 * lr_start
    test_says_low = informative and drop < 0.15 and at_min >= 30 * lr
    start, end = batch.start, batch.end
    # The loss does not move at all at your rate but a higher one fits the batch:
    # too low, whatever the shape of the range test.
    frozen = math.isfinite(start) and math.isfinite(end) and end >= 0.95 * start
    # At the higher rate the same batch fitted, or its loss fell by a quarter;
    # by 15% (three times the 5% band that counts as frozen) where the range
    # test also puts its lowest loss 30x above your rate. (On JAX a 1e-6 LSTM
    # frozen at 1.146 fell to 0.879 at the suggestion, 23%, with the test's
    # lowest loss at 0.37, and read as no cause.)
    best_end = best.end if best is not None else math.nan
    moved_best = (
        fit_best
        or best_end <= 0.75 * start
        or (best_end <= 0.85 * start and at_min >= 30 * lr)
    )
    low = 0.0
    if frozen and moved_best and not fit_user and batch_lr > lr:
        low = 0.85
    elif not fit_user and fit_best and batch_lr >= 30 * lr:
        low = 0.85  # one batch: no progress at your rate, fitted at the higher one
    elif test_says_low and not fit_user and fit_best:
        low = 0.85
    elif test_says_low and (not fit_user or at_min >= 300 * lr):
        low = 0.3  # fits at no rate (the LR is not the cause), or fits anyway
    if low:
        title = f"Learning rate {lr:.2g} is too low (the loss falls fastest near {at_min:.2g})"
        findings.append(make_finding("lr_too_low", low, title, evidence, fix))
    return findings


# A batch not fitted whose loss was still falling when the probe stopped: low
# (below `_reference_checks`' 0.4 gate, so the copy's architecture_mismatch stays
# low too).
_STILL_FALLING_SCORE = 0.3


def check_signal_and_capacity(ctx, summary, explained):
    """`no_signal` (can fit, but no better on real than on shuffled labels) or
    `underfitting` (cannot even overfit one small batch).

    `summary.can_fit`: the batch fitted in the probe's steps; `fit_long`: in up
    to 4x the steps. Where nothing was learned, the longer run decides: labels that
    carry no signal are memorised slowly but surely, while a model too weak for
    the task stalls. A model that cannot fit one batch at all makes the
    real-vs-shuffled comparison moot (Karpathy's order: fit a batch first), so
    `no_signal` then stays a medium second to `underfitting`.
    """
    m, p, findings = ctx.measurements, ctx.probe, []
    can_fit, learned = summary.can_fit, summary.learned
    fit_longer = summary.fit_long or can_fit
    keys = [
        "batch_start",
        "batch_end",
        "batch_best_lr_end",
        "batch_long_end",
        "batch_best_lr_long_end",
        "val_acc_real",
        "val_acc_shuffled",
        "val_acc_majority",
        "signal_margin",
        "train_loss_end",
        "lr_test_start_loss",
        "lr_test_min_loss",
        "expected_loss_at_init",
    ]
    evidence = _round(m, keys)
    if math.isnan(p.val_acc_real) or summary.diverged:
        return []
    prior = _get(m, "prior_entropy", _get(m, "expected_loss_at_init", math.log(2)))
    train_end = p.train_loss_end
    # Stuck at the loss of predicting the class frequencies: nothing about the
    # labels was learned from x, not even on the training samples.
    stuck = math.isfinite(train_end) and train_end >= 0.97 * prior
    m["stuck_at_prior"] = bool(stuck)
    if not learned and (fit_longer or (stuck and not explained)):
        few = _get(m, "min_samples_per_class", 1000) < 10
        progress = summary.progress
        memorised = fit_longer and math.isfinite(progress) and progress >= 0.3
        if memorised:
            score = 0.85
        elif _get(m, "min_samples_per_class", 0) >= 20:
            score = 0.7 if stuck else 0.55
        else:  # small data, little progress: inconclusive
            ctx.missing.append(
                "no_signal: the short training barely moved the loss on this small "
                "set, so whether x carries the label is not measured"
            )
            return findings
        if few:
            score -= 0.25
        if not fit_longer:
            score = min(score, 0.45)
        if (
            _get(m, "imbalance_ratio", 1.0) >= 3
            and not ctx.weighted
            and not sees_no_signal(ctx.reference)
        ):
            score *= 0.6  # predicting the majority class is the imbalance's doing
        shuffled = (
            f" vs {p.val_acc_shuffled:.2f} with shuffled labels"
            if math.isfinite(p.val_acc_shuffled)
            else ""
        )
        title = (
            f"No signal: held-out accuracy {p.val_acc_real:.2f} with real labels"
            f"{shuffled} (majority class {p.val_acc_majority:.2f})"
        )
        fix = (
            "assert len(x) == len(y)  # and check both are in the same order\n"
            "# check the label column and the features; inspect x[y == c] per class"
        )
        findings.append(make_finding("no_signal", score, title, evidence, fix))
        if fit_longer:
            return findings
    if not can_fit and not explained and (not learned or _batch_ratio(p) > 0.85):
        best = p.batch_best_lr
        fit = best if best is not None and best.completed else p.batch or BatchFit()
        # A loss still falling, at your rate or the probe's, at a pace that fits
        # the batch within the extension a run may get is a slow model (a
        # recurrent layer on long series), not one without the capacity: the
        # probe's steps ran out first. Low, and the capacity is not measured.
        falling = [f for f in (p.batch, best) if f is not None and f.still_falling()]
        fit = falling[0] if falling else fit
        end = fit.long_end if fit.long_steps else fit.end
        steps = fit.long_steps or fit.block_steps or ""
        title = (
            f"Underfitting: cannot overfit one batch{f' in {steps} steps' if steps else ''}"
            f" (loss {fit.start:.3g} -> {end:.3g})"
        )
        fix = (
            "model = ksf.build_lstm_classifier(num_classes, input_shape=..., units=128)\n"
            "# more units/layers, less dropout and weight decay, then train longer:\n"
            "model.fit(x, y, **ksf.fit_recipe(x))"
        )
        score = 0.8
        if falling:
            score = _STILL_FALLING_SCORE
            evidence["steps_to_fit_at_its_pace"] = round(fit.steps_to_fit)
            title += (
                f", still falling: about {fit.steps_to_fit:.0f} more steps at its pace"
            )
            ctx.missing.append(
                "underfitting: the one-batch loss was still falling when the probe "
                f"stopped ({fit.start:.3g} -> {end:.3g}); whether the model can fit "
                "a batch is not measured (a larger probe_steps would say)"
            )
        findings.append(make_finding("underfitting", score, title, evidence, fix))
    return findings


def _vanishing_before_slow_learning(lr_findings, grad_findings):
    """Early layers that get under a thousandth of the gradient explain a loss that
    only moves at a far higher learning rate: the cause ranks above its symptom
    (as huge gradients rank above the divergence they cause)."""
    vanish = [
        f
        for f in grad_findings
        if f.code == "vanishing_gradients"
        and f.score >= 0.4
        and f.evidence.get("min_over_max", 1.0) < 1e-3
    ]
    slow = [f for f in lr_findings if f.code == "lr_too_low"]
    if not vanish or not slow:
        return
    top = max(f.score for f in slow)
    for f in slow:
        f.score = round(f.score * 0.7, 3)
        f.severity = severity_of(f.score)
    for f in vanish:
        f.score = round(max(f.score, top), 3)
        f.severity = severity_of(f.score)
        f.evidence["explains_lr_too_low"] = True


def run_probe_checks(ctx):
    """The findings of the probe's measurements (`ctx.probe`), weighed together."""
    summary = probe_summary(ctx)
    lr_findings = check_learning_rate(ctx, summary)
    total = ctx.probe.grad_norm_global
    if not math.isfinite(total) or explodes_at_init(ctx):
        # Gradients already huge at initialisation (or large, with the loss far
        # above log K before any step): the divergence follows from them,
        # whatever the learning rate.
        for f in lr_findings:
            f.score = round(f.score * 0.7, 3)
            f.severity = severity_of(f.score)
    # Vanishing gradients are excused only by a model that fits at your rate: a
    # fit at the range test's far higher rate is what tiny gradients need.
    grad_findings = check_gradients(ctx, summary)
    _vanishing_before_slow_learning(lr_findings, grad_findings)
    explained = any(f.score >= 0.4 for f in lr_findings + grad_findings)
    modes = check_train_inference(ctx)
    # Held-out accuracy is measured in inference mode: with a large mode gap it
    # says nothing about the signal in the data.
    signal = [] if modes else check_signal_and_capacity(ctx, summary, explained)
    return lr_findings + grad_findings + signal + modes
