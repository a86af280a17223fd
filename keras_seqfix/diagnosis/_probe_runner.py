"""Run the probes of `diagnose`: each probe fills its part of a `ProbeResult`."""

import math

import keras
import numpy as np

from keras_seqfix.diagnosis import _probe
from keras_seqfix.diagnosis._probe_result import (
    FITTED_SHARE,
    LONG_OVERFIT,
    BatchFit,
    LRPosition,
    ProbeResult,
)
from keras_seqfix.diagnosis._reference import clearly_above_chance


def _clearly_learned(result, num_classes):
    """Held-out accuracy (or balanced accuracy) of the real-labels training three
    margins (6 standard errors) above what no signal gives: the majority class,
    or 1/K balanced."""
    holdout = max(result.holdout_samples, 1)
    chance = result.val_acc_majority
    margin = max(0.05, 2 * math.sqrt(max(chance * (1 - chance), 0.05) / holdout))
    b_chance = 1.0 / max(num_classes, 2)
    return bool(
        result.val_acc_real >= chance + 3 * margin
        or result.val_bacc_real >= b_chance + 3 * margin
    )


def lr_curve_position(result, lr):
    """Where the user's learning rate `lr` sits on the LR range test curve."""
    lrs = np.asarray(result.lrs, dtype=float)
    losses = np.asarray(result.losses, dtype=float)
    ok = np.isfinite(losses)
    if ok.sum() < 3:
        return LRPosition(diverged=True, beyond_divergence=True)
    lrs_ok, losses_ok = lrs[ok], losses[ok]
    start, low = float(losses_ok[0]), float(losses_ok.min())
    diverged = bool(result.diverged)
    beyond = diverged and lr >= float(lrs_ok[-1])
    if lr <= lrs_ok[0]:
        at_lr = start
    elif lr >= lrs_ok[-1]:
        at_lr = math.inf if diverged else float(losses_ok[-1])
    else:
        at_lr = float(np.interp(np.log(lr), np.log(lrs_ok), losses_ok))
    drop = (start - at_lr) / (start - low) if start - low > 1e-12 else 0.0
    return LRPosition(
        diverged=diverged,
        beyond_divergence=bool(beyond or at_lr > start * 1.05),
        start_loss=start,
        min_loss=low,
        lr_at_min=float(lrs_ok[int(np.argmin(losses_ok))]),
        max_lr=float(lrs_ok[-1]),
        drop_at_your_lr=float(drop) if math.isfinite(drop) else -1.0,
    )


class _Probes:
    """The probe's copy of the model, its data and the state every probe starts
    from; each method runs one probe and records it in `self.result`."""

    def __init__(self, ctx, model, xt, yt, idt, wt, holdout, probe_steps, log):
        from keras_seqfix._backend.state import snapshot_state

        self.ctx, self.model, self.log = ctx, model, log
        self.xt, self.yt, self.idt, self.wt = xt, yt, idt, wt
        self.xh, self.yh, self.idh = holdout
        self.steps = probe_steps
        self.rng = np.random.default_rng(ctx.seed)
        self.bs = min(ctx.batch_size, len(xt))
        # The one-batch overfit uses the same batch shape: no retracing.
        self.small = self.bs
        self.result = ProbeResult()
        model(xt[:2], training=False)  # build
        self.initial = snapshot_state(model)

    def attempt(self, name, fn, lr=None):
        """Run probe `fn` at `lr` from the initial state; a failure is missing
        evidence, not a crash. The state is restored after it either way."""
        from keras_seqfix._backend.state import restore_state

        try:
            self.log(f"probe: {name}")
            if lr is not None:
                self.model.optimizer.learning_rate = lr
            fn()
        except Exception as exc:  # a probe failing is missing evidence
            self.ctx.missing.append(
                f"probe '{name}' failed: {type(exc).__name__}: {exc}"[:300]
            )
        finally:
            restore_state(self.model, self.initial)

    def init_and_gradients(self):
        model, xb, yb = self.model, self.xt[: self.bs], self.yt[: self.bs]
        self.result.loss_at_init = _probe.batch_loss(model, xb, yb, training=False)
        _, total, per_layer = _probe.layer_gradient_norms(model, xb, yb)
        self.result.grad_norm_global = total
        self.result.layer_grad_norms.update(per_layer)

    def lr_range_test(self, user_lr):
        from keras_seqfix.callbacks import find_lr

        r = self.result
        test = find_lr(
            self.model,
            self.xt,
            self.yt,
            batch_size=self.bs,
            start_lr=1e-6,
            end_lr=10.0,
            num_steps=max(40, self.steps * 3 // 4),
            verbose=0,
        )
        r.lr_test, r.lr_suggestion = test, float(test.suggestion)
        r.lr_position = position = lr_curve_position(test, user_lr)
        # The data probes run at the suggestion when it is higher (a slow learning
        # rate must not pass for a data fault); lower only if yours diverges. A
        # test whose loss never fell by 2% (labels without signal, say) suggests
        # noise: then the probes keep your rate.
        informative = position.min_loss <= 0.98 * position.start_loss
        suggestion = r.lr_suggestion
        raise_lr = (
            suggestion > 1.01 * user_lr and informative
        ) or position.beyond_divergence
        if math.isfinite(suggestion) and suggestion > 0 and raise_lr:
            r.probe_lr = float(np.clip(suggestion, 1e-6, 1.0))

    def overfit_batch(self, fit, extend=False):
        """Train on one small batch for `probe_steps` steps into `fit`."""
        xb, yb = self.xt[: self.small], self.yt[: self.small]
        fit.start = _probe.batch_loss(self.model, xb, yb, training=False)
        hist = _probe.fit_curve(
            self.model,
            xb,
            yb,
            steps=self.steps,
            batch_size=self.small,
            seed=self.ctx.seed,
        )
        losses = np.asarray(hist["step_loss"])
        fit.end, fit.completed = float(hist["loss"][-1]), True
        fit.diverged = not np.all(np.isfinite(losses))
        diffs = np.diff(losses)
        fit.rises = float(np.mean(diffs > 0)) if len(diffs) else 0.0
        if extend:
            losses = self.memorise_longer(fit, losses)
        fit.block_steps = len(hist["step_loss"])
        fit.steps_to_fit = steps_to_fit(losses, fit.start)

    def memorise_longer(self, fit, losses):
        """Memorising a batch of labels that carry no signal takes several times
        the steps that learnable labels take; a loss that is still falling is
        capacity at work, not its absence. Keep going (at most `LONG_OVERFIT`
        times the steps) while each block brings the lowest loss (mean of an
        eighth of a block) 3% lower, until the batch fits."""

        def lowest(block_losses):
            size = max(1, len(block_losses) // 8)
            chunks = block_losses[: len(block_losses) // size * size].reshape(-1, size)
            return float(np.nanmin(chunks.mean(axis=1), initial=np.inf))

        steps, best, start = len(losses), lowest(losses), fit.start
        run = [losses]
        falling = best <= 0.9 * start and lowest(losses[len(losses) // 2 :]) <= best
        for block in range(1, LONG_OVERFIT):
            if best <= FITTED_SHARE * start or not falling:
                break
            hist = _probe.fit_curve(
                self.model,
                self.xt[: self.small],
                self.yt[: self.small],
                steps=self.steps,
                batch_size=self.small,
                seed=self.ctx.seed + block,
            )
            steps += len(hist["step_loss"])
            run.append(np.asarray(hist["step_loss"]))
            low = lowest(run[-1])
            falling, best = low < 0.97 * best, min(best, low)
        fit.long_end = best if np.isfinite(best) else math.nan
        fit.long_steps = steps
        return np.concatenate(run)

    def real_labels(self):
        r, model, bs = self.result, self.model, self.bs
        hist = _probe.fit_curve(
            model,
            self.xt,
            self.yt,
            steps=self.steps,
            batch_size=bs,
            validation=(self.xh, self.yh),
            seed=self.ctx.seed,
            sample_weight=self.wt,
        )
        r.curves.update(loss=hist["loss"], val_loss=hist["val_loss"])
        r.steps_run = len(hist["step_loss"])
        r.train_loss_end = hist["loss"][-1]
        r.train_nan = not np.all(np.isfinite(hist["loss"]))
        r.val_loss_real = hist["val_loss"][-1] if hist.get("val_loss") else math.nan
        r.val_acc_real, recalls = _probe.accuracy_stats(model, self.xh, self.idh, bs)
        r.val_bacc_real = float(np.mean(list(recalls.values())))
        counts = np.bincount(self.idt)
        minority = int(np.argmin(np.where(counts > 0, counts, counts.max() + 1)))
        if minority in recalls:
            r.minority_recall = recalls[minority]
            r.minority_holdout = int(np.sum(self.idh == minority))
        sub = _probe.mixed_rows(len(self.xt), self.ctx.seed)
        xs, ys = self.xt[sub], self.yt[sub]
        # Inference mode first: a training-mode call moves BatchNormalization's
        # moving statistics.
        r.loss_inference_mode = _probe.batch_loss(model, xs, ys, training=False)
        r.loss_training_mode = _probe.batch_loss(model, xs, ys, training=True)

    def shuffled_labels(self):
        # A new array: the user's y is untouched.
        shuffled = self.yt[self.rng.permutation(len(self.yt))]
        _probe.fit_curve(
            self.model,
            self.xt,
            shuffled,
            steps=self.steps,
            batch_size=self.bs,
            sample_weight=self.wt,
        )
        acc, recalls = _probe.accuracy_stats(self.model, self.xh, self.idh, self.bs)
        self.result.val_acc_shuffled = acc
        self.result.val_bacc_shuffled = float(np.mean(list(recalls.values())))

    def learning_curve(self):
        half = self.rng.permutation(len(self.xt))[: max(2, len(self.xt) // 2)]
        _probe.fit_curve(
            self.model,
            self.xt[half],
            self.yt[half],
            steps=self.steps,
            batch_size=self.bs,
            sample_weight=None if self.wt is None else self.wt[half],
        )
        self.result.val_acc_half, _ = _probe.accuracy_stats(
            self.model, self.xh, self.idh, self.bs
        )


def _probe_data(ctx, max_samples):
    """The probe's rows (finite inputs, labels in range, up to `max_samples`),
    split into training rows and a holdout; None if fewer than 4."""
    rng = np.random.default_rng(ctx.seed)
    keep = _probe.finite_rows(ctx.x, ctx.y) & (ctx.labels.ids >= 0)
    index = np.flatnonzero(keep)
    if len(index) > max_samples:
        index = np.sort(rng.choice(index, max_samples, replace=False))
    if len(index) < 4:
        return None
    x, y, ids = ctx.x[index], ctx.y[index], ctx.labels.ids[index]
    train, holdout = _probe.split_holdout(ctx, x, y, ids, rng)
    # The trainings on many batches weigh the loss as your `fit` does.
    wt = None if ctx.sample_weight is None else ctx.sample_weight[index][train]
    return x[train], y[train], ids[train], wt, holdout


def steps_to_fit(losses, start):
    """The steps a one-batch run would still need to reach 60% of `start` (where
    `BatchFit.fits` counts it fitted) at the pace its loss fell over its last
    quarter: the mean of the last eighth against the mean of the eighth before
    the last quarter, so that step noise does not read as a pace. 0 when it is
    already there, inf when the loss did not fall or is not finite."""
    losses = np.asarray(losses, dtype=float)
    n = len(losses)
    if n < 8 or not (math.isfinite(start) and start > 0):
        return math.inf
    eighth = n // 8
    last = float(np.mean(losses[-eighth:]))
    before = float(np.mean(losses[n - 3 * eighth : n - 2 * eighth]))
    if not (math.isfinite(last) and math.isfinite(before)):
        return math.inf
    target = FITTED_SHARE * start
    if last <= target:
        return 0.0
    pace = (before - last) / (2 * eighth)  # per step, centre to centre
    return (last - target) / pace if pace > 0 else math.inf


def second_batch_rate(batch, user_lr, probe_lr, suggestion):
    """The rate for a second one-batch overfit after `batch` at your rate, or None.

    The probes' rate when they moved off yours; else the range test's suggestion
    in two cases: a batch loss frozen at your rate (within 5% of its start), which
    is what a rate far too low looks like, signal or none, so it is tried even if
    the test was too flat to move the data probes; and a batch not fitted where
    the test suggests a rate ten times lower, which is what a rate far too high
    looks like where bounded activations (tanh, sigmoid) keep the loss from
    diverging. None when the batch fitted or no other rate is worth a try.
    """
    fitted = batch.end <= FITTED_SHARE * batch.start
    if fitted:
        return None
    rate = probe_lr
    frozen = batch.end >= 0.95 * batch.start
    higher = frozen and suggestion > 1.01 * user_lr
    lower = suggestion < user_lr / 10
    if rate == user_lr and math.isfinite(suggestion) and (higher or lower):
        rate = float(np.clip(suggestion, 1e-6, 1.0))
    return None if rate == user_lr else rate


def run_probes(ctx, *, max_samples, probe_steps, lr_test, log):
    """Measure init loss, gradients, the LR range test, one-batch overfit, real vs
    shuffled labels, a learning curve and training vs inference-mode loss.

    The one-batch overfit runs at the user's learning rate (and, if that fails, at
    the range test's suggestion); the trainings that question the data (real vs
    shuffled labels, half the data) run at the suggestion, so that a learning rate
    fault does not pass for a data fault.

    Returns the `ProbeResult`. A probe that fails is named in `ctx.missing` and
    skipped (its fields stay NaN), never raised.
    """
    data = _probe_data(ctx, max_samples)
    if data is None:
        ctx.missing.append(
            "probe not run: fewer than 4 samples with finite inputs and labels"
        )
        return ProbeResult()
    xt, yt, idt, wt, holdout = data
    # The copy's initial weights come from Keras's global generator: seed it, so
    # that the same call gives the same probes (and verdict) every time.
    keras.utils.set_random_seed(ctx.seed)
    model, cloned = _probe.probe_model(ctx.model)
    if not cloned:
        ctx.notes.append("model could not be cloned: probed in place from its weights")
    p = _Probes(ctx, model, xt, yt, idt, wt, holdout, probe_steps, log)
    r = p.result
    r.on_copy, r.samples, r.holdout_samples = cloned, len(xt), len(holdout[0])
    held = np.bincount(holdout[2])
    r.holdout_class_counts = [int(c) for c in held[held > 0]]
    user_lr = ctx.info.learning_rate
    r.probe_lr = user_lr
    p.attempt("loss at init and gradient norms", p.init_and_gradients)
    if lr_test and user_lr is not None:
        p.attempt("learning-rate range test", lambda: p.lr_range_test(user_lr))
    # The last one-batch overfit may run longer (see `memorise_longer`): the one
    # at your rate if no second one at the suggestion follows.
    last_is_yours = user_lr is None or r.probe_lr is None or r.probe_lr == user_lr
    r.batch = BatchFit(rate=user_lr)
    p.attempt(
        "overfit one small batch at your learning rate",
        lambda: p.overfit_batch(r.batch, extend=last_is_yours),
        user_lr,
    )
    if user_lr is not None and r.probe_lr is not None:
        batch_lr = second_batch_rate(r.batch, user_lr, r.probe_lr, r.lr_suggestion)
        if batch_lr is not None:
            r.batch_best_lr = BatchFit(rate=batch_lr)
            p.attempt(
                f"overfit one small batch at {batch_lr:.2g}",
                lambda: p.overfit_batch(r.batch_best_lr, extend=True),
                lr=batch_lr,
            )
    else:
        r.probe_lr = None  # no learning rate to report (the model's own is used)
    p.attempt("short training on real labels", p.real_labels, lr=r.probe_lr)
    r.val_acc_majority = float(held.max() / held.sum())
    if _clearly_learned(r, ctx.num_classes):
        # Shuffled labels cannot score 6 standard errors above chance: skip them.
        ctx.notes.append("shuffled-labels probe skipped: the real labels were learned")
    elif clearly_above_chance(ctx.reference):
        # The shuffled labels ask whether x carries the labels at all; a reference
        # that learned them has answered (yes), and a copy that did not is the
        # model's or the training's failure (see demote_no_signal).
        ctx.notes.append(
            "shuffled-labels probe skipped: the reference learned the labels, so x "
            "carries them"
        )
    else:
        p.attempt("short training on shuffled labels", p.shuffled_labels, r.probe_lr)
    counts = np.bincount(idt)
    if counts[counts > 0].min() < 50 and len(xt) >= 8:
        p.attempt("learning curve (half the data)", p.learning_curve, lr=r.probe_lr)
    return r
