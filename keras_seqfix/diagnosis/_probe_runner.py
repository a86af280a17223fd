"""Run the probes of `diagnose` and record what they measure in `ctx.measurements`."""

import math

import keras
import numpy as np

from keras_seqfix.diagnosis import _probe

# The longest one-batch overfit, in multiples of `probe_steps` (see run_probes).
_LONG_OVERFIT = 4


def _finite_rows(x, y):
    keep = np.ones(len(x), dtype=bool)
    for array in (x, y):
        if array.dtype.kind == "f":
            keep &= np.isfinite(array.reshape(len(array), -1)).all(axis=1)
    return keep


def _clearly_learned(m, num_classes):
    """Held-out accuracy (or balanced accuracy) of the real-labels training three
    margins (6 standard errors) above what no signal gives: the majority class,
    or 1/K balanced."""
    holdout = max(int(m.get("holdout_samples", 1)), 1)
    chance = m["val_acc_majority"]
    margin = max(0.05, 2 * math.sqrt(max(chance * (1 - chance), 0.05) / holdout))
    real, b_real = m.get("val_acc_real", math.nan), m.get("val_bacc_real", math.nan)
    b_chance = 1.0 / max(num_classes, 2)
    return bool(real >= chance + 3 * margin or b_real >= b_chance + 3 * margin)


def _fits_batch(m):
    start, end = m.get("batch_start", math.nan), m.get("batch_end", math.nan)
    return bool(end <= 0.6 * start)


def lr_curve_position(result, lr):
    """Where the user's learning rate `lr` sits on the LR range test curve."""
    lrs = np.asarray(result.lrs, dtype=float)
    losses = np.asarray(result.losses, dtype=float)
    ok = np.isfinite(losses)
    if ok.sum() < 3:
        return {"lr_test_diverged": True, "lr_test_beyond_divergence": True}
    lrs_ok, losses_ok = lrs[ok], losses[ok]
    start, low = float(losses_ok[0]), float(losses_ok.min())
    at_min = float(lrs_ok[int(np.argmin(losses_ok))])
    diverged = bool(result.diverged)
    beyond = diverged and lr >= float(lrs_ok[-1])
    if lr <= lrs_ok[0]:
        at_lr = start
    elif lr >= lrs_ok[-1]:
        at_lr = math.inf if diverged else float(losses_ok[-1])
    else:
        at_lr = float(np.interp(np.log(lr), np.log(lrs_ok), losses_ok))
    drop = (start - at_lr) / (start - low) if start - low > 1e-12 else 0.0
    return {
        "lr_test_diverged": diverged,
        "lr_test_beyond_divergence": bool(beyond or at_lr > start * 1.05),
        "lr_test_start_loss": start,
        "lr_test_min_loss": low,
        "lr_test_lr_at_min": at_min,
        "lr_test_max_lr": float(lrs_ok[-1]),
        "lr_test_drop_at_your_lr": float(drop) if math.isfinite(drop) else -1.0,
    }


def run_probes(ctx, *, max_samples, probe_steps, lr_test, log):
    """Measure init loss, gradients, the LR range test, one-batch overfit, real vs
    shuffled labels, a learning curve and training vs inference-mode loss.

    The one-batch overfit runs at the user's learning rate (and, if that fails, at
    the range test's suggestion); the trainings that question the data (real vs
    shuffled labels, half the data) run at the suggestion, so that a learning rate
    fault does not pass for a data fault.

    Returns `(probe_history, gradient_norms, lr_result)`; every number lands in
    `ctx.measurements`. A probe that fails is noted and skipped, never raised.
    """
    from keras_seqfix._backend.state import restore_state, snapshot_state

    m = ctx.measurements
    rng = np.random.default_rng(ctx.seed)
    keep = _finite_rows(ctx.x, ctx.y) & (ctx.labels.ids >= 0)
    index = np.flatnonzero(keep)
    if len(index) > max_samples:
        index = np.sort(rng.choice(index, max_samples, replace=False))
    if len(index) < 4:
        ctx.missing.append(
            "probe not run: fewer than 4 samples with finite inputs and labels"
        )
        return {}, {}, None
    x, y, ids = ctx.x[index], ctx.y[index], ctx.labels.ids[index]
    train, (xh, yh, idh) = _probe.split_holdout(ctx, x, y, ids, rng)
    xt, yt, idt = x[train], y[train], ids[train]
    # The trainings on many batches weigh the loss as your `fit` does.
    wt = None if ctx.sample_weight is None else ctx.sample_weight[index][train]
    m["probe_samples"], m["holdout_samples"] = len(xt), len(xh)
    held = np.bincount(idh)
    m["holdout_class_counts"] = [int(c) for c in held[held > 0]]
    # The copy's initial weights come from Keras's global generator: seed it, so
    # that the same call gives the same probes (and verdict) every time.
    keras.utils.set_random_seed(ctx.seed)
    model, cloned = _probe.probe_model(ctx.model)
    m["probe_on_copy"] = cloned
    if not cloned:
        ctx.notes.append("model could not be cloned: probed in place from its weights")
    model(xt[:2], training=False)  # build
    initial = snapshot_state(model)
    user_lr = ctx.info.learning_rate
    bs = min(ctx.batch_size, len(xt))
    small = bs  # the one-batch overfit uses the same batch shape: no retracing
    curves, norms, state = {}, {}, {"lr_result": None, "probe_lr": user_lr}

    def attempt(name, fn, lr=None):
        try:
            log(f"probe: {name}")
            if lr is not None:
                model.optimizer.learning_rate = lr
            fn()
        except Exception as exc:  # a probe failing is missing evidence, not a crash
            ctx.missing.append(
                f"probe '{name}' failed: {type(exc).__name__}: {exc}"[:300]
            )
        finally:
            restore_state(model, initial)

    def init_and_gradients():
        m["loss_at_init"] = _probe.batch_loss(model, xt[:bs], yt[:bs], training=False)
        _, total, per_layer = _probe.layer_gradient_norms(model, xt[:bs], yt[:bs])
        m["grad_norm_global"] = total
        norms.update(per_layer)

    def lr_range_test():
        from keras_seqfix.callbacks import find_lr

        result = find_lr(
            model,
            xt,
            yt,
            batch_size=bs,
            start_lr=1e-6,
            end_lr=10.0,
            num_steps=max(40, probe_steps * 3 // 4),
            verbose=0,
        )
        state["lr_result"] = result
        m["lr_suggestion"] = float(result.suggestion)
        m.update(lr_curve_position(result, user_lr))
        # The data probes run at the suggestion when it is higher (a slow learning
        # rate must not pass for a data fault); lower only if yours diverges. A
        # test whose loss never fell by 2% (labels without signal, say) suggests
        # noise: then the probes keep your rate.
        suggestion = float(result.suggestion)
        start, low = m.get("lr_test_start_loss"), m.get("lr_test_min_loss")
        informative = start is not None and low is not None and low <= 0.98 * start
        raise_lr = (suggestion > 1.01 * user_lr and informative) or m.get(
            "lr_test_beyond_divergence"
        )
        if math.isfinite(suggestion) and suggestion > 0 and raise_lr:
            state["probe_lr"] = float(np.clip(suggestion, 1e-6, 1.0))

    def overfit_batch(prefix, extend=False):
        def run():
            start = _probe.batch_loss(model, xt[:small], yt[:small], training=False)
            m[f"{prefix}_start"] = start
            hist = _probe.fit_curve(
                model,
                xt[:small],
                yt[:small],
                steps=probe_steps,
                batch_size=small,
                seed=ctx.seed,
            )
            losses = np.asarray(hist["step_loss"])
            m[f"{prefix}_end"] = float(hist["loss"][-1])
            m[f"{prefix}_nan"] = not np.all(np.isfinite(losses))
            diffs = np.diff(losses)
            m[f"{prefix}_rises"] = float(np.mean(diffs > 0)) if len(diffs) else 0.0
            if extend:
                memorise_longer(prefix, start, losses)

        return run

    def memorise_longer(prefix, start, losses):
        # Memorising a batch of labels that carry no signal takes several times
        # the steps that learnable labels take; a loss that is still falling
        # is capacity at work, not its absence. Keep going (at most
        # `_LONG_OVERFIT` times the steps) while each block brings the lowest
        # loss (mean of an eighth of a block) 3% lower, until the batch fits.
        def lowest(block_losses):
            size = max(1, len(block_losses) // 8)
            chunks = block_losses[: len(block_losses) // size * size].reshape(-1, size)
            return float(np.nanmin(chunks.mean(axis=1), initial=np.inf))

        steps, best = len(losses), lowest(losses)
        falling = best <= 0.9 * start and lowest(losses[len(losses) // 2 :]) <= best
        for block in range(1, _LONG_OVERFIT):
            if best <= 0.6 * start or not falling:
                break
            hist = _probe.fit_curve(
                model,
                xt[:small],
                yt[:small],
                steps=probe_steps,
                batch_size=small,
                seed=ctx.seed + block,
            )
            steps += len(hist["step_loss"])
            low = lowest(np.asarray(hist["step_loss"]))
            falling, best = low < 0.97 * best, min(best, low)
        m[f"{prefix}_long_end"] = best if np.isfinite(best) else math.nan
        m[f"{prefix}_long_steps"] = steps

    def real_labels():
        hist = _probe.fit_curve(
            model,
            xt,
            yt,
            steps=probe_steps,
            batch_size=bs,
            validation=(xh, yh),
            seed=ctx.seed,
            sample_weight=wt,
        )
        curves.update(loss=hist["loss"], val_loss=hist["val_loss"])
        m["probe_steps_run"] = len(hist["step_loss"])
        m["train_loss_end"] = hist["loss"][-1]
        m["train_nan"] = not np.all(np.isfinite(hist["loss"]))
        m["val_loss_real"] = hist["val_loss"][-1] if hist.get("val_loss") else math.nan
        m["val_acc_real"], recalls = _probe.accuracy_stats(model, xh, idh, bs)
        m["val_bacc_real"] = float(np.mean(list(recalls.values())))
        counts = np.bincount(idt)
        minority = int(np.argmin(np.where(counts > 0, counts, counts.max() + 1)))
        if minority in recalls:
            m["probe_minority_recall"] = recalls[minority]
        sub = _probe.mixed_rows(len(xt), ctx.seed)
        xs, ys = xt[sub], yt[sub]
        # Inference mode first: a training-mode call moves BatchNormalization's
        # moving statistics.
        m["loss_inference_mode"] = _probe.batch_loss(model, xs, ys, training=False)
        m["loss_training_mode"] = _probe.batch_loss(model, xs, ys, training=True)

    def shuffled_labels():
        shuffled = yt[
            rng.permutation(len(yt))
        ]  # a new array: the user's y is untouched
        _probe.fit_curve(
            model, xt, shuffled, steps=probe_steps, batch_size=bs, sample_weight=wt
        )
        m["val_acc_shuffled"], recalls = _probe.accuracy_stats(model, xh, idh, bs)
        m["val_bacc_shuffled"] = float(np.mean(list(recalls.values())))

    def learning_curve():
        half = rng.permutation(len(xt))[: max(2, len(xt) // 2)]
        _probe.fit_curve(
            model,
            xt[half],
            yt[half],
            steps=probe_steps,
            batch_size=bs,
            sample_weight=None if wt is None else wt[half],
        )
        m["val_acc_half"], _ = _probe.accuracy_stats(model, xh, idh, bs)
        if "val_acc_real" in m:
            m["learning_curve_gain"] = m["val_acc_real"] - m["val_acc_half"]

    attempt("loss at init and gradient norms", init_and_gradients)
    if lr_test and user_lr is not None:
        attempt("learning-rate range test", lr_range_test)
    probe_lr = state["probe_lr"]
    # The last one-batch overfit may run longer (see `memorise_longer`): the one
    # at your rate if no second one at the suggestion follows.
    last_is_yours = user_lr is None or probe_lr is None or probe_lr == user_lr
    attempt(
        "overfit one small batch at your learning rate",
        overfit_batch("batch", extend=last_is_yours),
        user_lr,
    )
    if user_lr is not None and probe_lr is not None:
        m["probe_lr"] = probe_lr
        # A batch loss frozen at your rate (within 5% of its start) is what a
        # rate far too low looks like, signal or none: try the range test's
        # suggestion then, even if the test was too flat to move the data
        # probes off your rate.
        batch_lr = probe_lr
        suggestion = m.get("lr_suggestion", math.nan)
        start, end = m.get("batch_start", math.nan), m.get("batch_end", math.nan)
        frozen = end >= 0.95 * start
        if (
            batch_lr == user_lr
            and frozen
            and math.isfinite(suggestion)
            and suggestion > 1.01 * user_lr
        ):
            batch_lr = float(np.clip(suggestion, 1e-6, 1.0))
        if batch_lr != user_lr and not _fits_batch(m):
            m["batch_best_lr_rate"] = batch_lr
            attempt(
                f"overfit one small batch at {batch_lr:.2g}",
                overfit_batch("batch_best_lr", extend=True),
                lr=batch_lr,
            )
    attempt("short training on real labels", real_labels, lr=probe_lr)
    m["val_acc_majority"] = float(np.bincount(idh).max() / len(idh))
    if _clearly_learned(m, ctx.num_classes):
        # Shuffled labels cannot score 6 standard errors above chance: skip them.
        ctx.notes.append("shuffled-labels probe skipped: the real labels were learned")
    else:
        attempt("short training on shuffled labels", shuffled_labels, lr=probe_lr)
    counts = np.bincount(idt)
    if counts[counts > 0].min() < 50 and len(xt) >= 8:
        attempt("learning curve (half the data)", learning_curve, lr=probe_lr)
    return curves, norms, state["lr_result"]
