"""Findings from inside the layers: gradients and training vs inference mode.

* Gradient norms per layer at initialisation: `vanishing_gradients` when one
  layer gets a tiny fraction of the largest layer's gradient, and
  `exploding_gradients` when the global norm is huge, not finite, or exactly
  zero behind a saturated output (how exploding activations look on backends
  that clip the probabilities in the cross-entropy).
* The same samples scored in training and in inference mode:
  `train_inference_discrepancy` from BatchNormalization statistics or heavy
  dropout (UMLAUT's configuration checks, confirmed by a measured gap).

`_probe_checks` combines these with the learning-rate and signal checks.
"""

import math

from keras_seqfix.diagnosis._codes import FAILURES, OTHER_EXPLANATIONS
from keras_seqfix.diagnosis._inputs import all_layers
from keras_seqfix.diagnosis.finding import make_finding


def _get(m, key, default=math.nan):
    """`m[key]`, or `default` where it is missing or None (a skipped measurement)."""
    value = m.get(key, default)
    return default if value is None else value


def _saturated(ctx):
    """Every gradient exactly zero while the loss at initialisation is far above
    log K: the output saturated (what exploding activations look like on
    backends whose cross-entropy clips the probabilities)."""
    init = ctx.probe.loss_at_init
    expected = _get(ctx.measurements, "expected_loss_at_init", 1.0)
    total = ctx.probe.grad_norm_global
    return total == 0.0 and math.isfinite(init) and init > 5 * expected + 1


def blown_at_init(ctx):
    """Gradients of 50 or more with a loss at initialisation far above log K
    (Karpathy's first check): the outputs are already blown up before any step,
    so the initialisation, not the rate, is where the divergence starts."""
    init = ctx.probe.loss_at_init
    expected = _get(ctx.measurements, "expected_loss_at_init", 1.0)
    total = ctx.probe.grad_norm_global
    return (
        math.isfinite(total)
        and total >= 50
        and math.isfinite(init)
        and init > 5 * expected + 1
    )


def explodes_at_init(ctx):
    """A finite global norm of 1e3 or more, a saturated output, or a norm of 50
    with the loss blown up (`blown_at_init`): gradients that by themselves
    explain a divergence, whatever the learning rate."""
    total = ctx.probe.grad_norm_global
    return total >= 1e3 or _saturated(ctx) or blown_at_init(ctx)


def check_gradients(ctx, summary):
    """Vanishing or exploding per-layer gradient norms at initialisation.

    `summary` (a `ProbeSummary`): whether the model fits a batch at your rate,
    how far its loss fell, whether it diverged at your rate.
    """
    m, p, findings = ctx.measurements, ctx.probe, []
    norms = p.layer_grad_norms
    if not norms:
        return []
    values = list(norms.values())
    names = list(norms)
    total = p.grad_norm_global
    finite = [v for v in values if math.isfinite(v)]
    progress = summary.progress
    trained_ok = summary.fit_user and (not math.isfinite(progress) or progress >= 0.2)
    evidence = {"grad_norm_global": total, "layers": len(values)}
    if math.isfinite(p.loss_at_init):
        evidence["loss_at_init"] = p.loss_at_init
    if "expected_loss_at_init" in m:
        evidence["expected_loss_at_init"] = m["expected_loss_at_init"]
    if finite:
        largest, smallest = max(finite), min(finite)
        ratio = smallest / largest if largest > 0 else 0.0
        m["grad_norm_min_over_max"] = ratio
        evidence.update(
            largest_layer=names[values.index(largest)],
            largest_norm=largest,
            smallest_layer=names[values.index(smallest)],
            smallest_norm=smallest,
            min_over_max=ratio,
        )
    evidence = {
        k: round(v, 8) if isinstance(v, float) else v for k, v in evidence.items()
    }
    init, expected = p.loss_at_init, _get(m, "expected_loss_at_init", 1.0)
    init_off = math.isfinite(init) and init > 5 * expected + 1  # Karpathy: vs log K
    explode = 0.0
    if len(finite) < len(values) or not math.isfinite(total):
        explode = 0.9
    elif explodes_at_init(ctx):
        # JAX and PyTorch compute cross-entropy from clipped probabilities, so
        # the activations that give TensorFlow huge gradients give them exactly
        # zero ones (a saturated softmax): the same cause, the same fix. A loss
        # at initialisation far above log K makes a norm of 50 just as telling.
        explode = 0.85
    elif total >= 50:
        explode = 0.55
    # Fitting at the range test's (much lower) rate does not excuse gradients that
    # make your own learning rate diverge: there the divergence is their symptom.
    diverged = summary.diverged
    if explode and trained_ok and not init_off and not diverged:
        explode = min(explode, 0.3)
    if explode:
        title = f"Exploding gradients: global norm {total:.3g} at initialisation"
        if _saturated(ctx):
            title = (
                f"Exploding activations: loss {init:.3g} at initialisation "
                f"(expected {expected:.3g}), saturated output, zero gradients"
            )
        fix = (
            "keras.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0)  # clip\n"
            "# and keep default initialisers (glorot_uniform), scale the inputs"
        )
        findings.append(
            make_finding("exploding_gradients", explode, title, evidence, fix)
        )
    if finite and len(finite) >= 2 and largest > 0:
        vanish = 0.0
        if ratio < 1e-6 or smallest == 0.0:
            vanish = 0.85
        elif ratio < 1e-5:
            vanish = 0.75
        elif ratio < 1e-4:
            vanish = 0.6
        elif ratio < 1e-3:
            # About what five or six stacked sigmoid layers give (their slope is
            # at most 1/4 each); a model that trains well is capped below.
            vanish = 0.5
        if vanish and trained_ok:
            vanish = min(vanish, 0.25)
        if vanish:
            title = (
                f"Vanishing gradients: layer '{evidence['smallest_layer']}' gets "
                f"{ratio:.1e} of the largest layer's gradient"
            )
            fix = (
                "# use LSTM/GRU (tanh) or ReLU/GELU hidden layers instead of deep sigmoid stacks,\n"
                "# residual connections and LayerNormalization; fewer stacked layers:\n"
                "model = ksf.build_lstm_classifier(num_classes, input_shape=...)"
            )
            findings.append(
                make_finding("vanishing_gradients", vanish, title, evidence, fix)
            )
    return findings


def _mode_gap_score(train, infer, expected, *, strict):
    """Score of a training/inference-mode loss gap; `strict` for the probe copy,
    which was trained only briefly (moving statistics not yet settled)."""
    if train is None or infer is None or not math.isfinite(train):
        return 0.0, "inference"
    gap_up = infer - train if math.isfinite(infer) else math.inf  # inference worse
    if strict:
        if gap_up >= 0.5 * expected and infer >= 5 * train:
            return 0.65, "inference"
        # Learned in training mode, worse than chance in inference mode on the
        # very same samples: only the mode switch (moving statistics) explains it.
        if infer >= expected and train <= 0.75 * expected and infer >= 2 * train:
            return 0.6, "inference"
        return 0.0, "inference"
    if gap_up >= 0.3 * expected and infer >= 3 * train:
        return 0.85, "inference"
    if gap_up >= 0.2 * expected and infer >= 1.8 * train:
        return 0.55, "inference"
    # Training mode worse (heavy dropout): only when the loss you see while
    # training is itself high.
    if train >= 0.5 * expected and train >= 2.5 * infer:
        return 0.75, "training"
    if train >= 0.4 * expected and train >= 2 * infer:
        return 0.45, "training"
    return 0.0, "training"


#: A training-mode loss above this fraction of log K is high enough for heavy
#: dropout to be its cause.
_HIGH_TRAINING_LOSS = 0.25


def _max_dropout(model):
    """The highest dropout rate in the model and the name of its layer."""
    rates = [(0.0, None)]
    for layer in all_layers(model):
        for attr in ("rate", "dropout", "recurrent_dropout"):
            value = getattr(layer, attr, None)
            if (
                isinstance(value, int | float)
                and "dropout" in type(layer).__name__.lower() + attr
            ):
                rates.append((float(value), layer.name))
    return max(rates, key=lambda pair: pair[0])


def check_train_inference(ctx):
    """Loss of the same samples in training vs inference mode, on the user's
    trained model (if it was trained) and on the probe copy after its training."""
    m = ctx.measurements
    expected = _get(m, "expected_loss_at_init", math.log(2))
    # (train, infer) of your trained model (if trained) and of the probe copy.
    pairs = {
        "your model": (
            m.get("user_loss_training_mode"),
            m.get("user_loss_inference_mode"),
        ),
        "probe copy": (ctx.probe.loss_training_mode, ctx.probe.loss_inference_mode),
    }
    candidates = []
    for where, strict in (("your model", False), ("probe copy", True)):
        train, infer = pairs[where]
        score, worse = _mode_gap_score(train, infer, expected, strict=strict)
        if score:
            candidates.append((score, worse, where, train, infer))
    # UMLAUT-style configuration check, confirmed by a measured gap: a dropout
    # rate this heavy keeps the training-mode loss well above the model's own.
    # Only where that loss is itself high: 0.027 against 0.020 (LSTM-FCN's 0.8
    # dropout on a fitted GunPoint model) is dropout working, not a high loss.
    rate, rate_layer = _max_dropout(ctx.model)
    for where, (train, infer) in pairs.items():
        if train is None or infer is None or not math.isfinite(train):
            continue
        heavy = rate >= 0.6 and train >= _HIGH_TRAINING_LOSS * expected
        if heavy and math.isfinite(infer) and train >= 1.2 * infer:
            candidates.append((0.75, "training", where, train, infer))
    if not candidates:
        return []
    score, worse, where, train, infer = max(candidates)
    m["mode_discrepancy"] = True
    evidence = {
        "loss_training_mode": round(train, 5),
        "loss_inference_mode": round(infer, 5),
        "measured_on": where,
        "max_dropout_rate": rate,
    }
    if rate_layer is not None:
        evidence["max_dropout_layer"] = rate_layer
    title = (
        f"Train/inference discrepancy: loss {train:.3g} in training mode vs "
        f"{infer:.3g} in inference mode ({where})"
    )
    if worse == "inference":
        fix = (
            "keras.layers.LayerNormalization()  # instead of BatchNormalization\n"
            "# or BatchNormalization(momentum=0.9) with batches of >= 32"
        )
    else:
        fix = "keras.layers.Dropout(0.2)  # instead of a heavier rate\n"
        if rate_layer == "recurrent_branch_dropout":  # the numeric builder's 0.8
            fix += "# or: ksf.build_lstm_classifier(..., branch_dropout=0.5)"
        else:
            fix += "# or: ksf.build_lstm_classifier(..., dropout=0.2)"
    return [make_finding("train_inference_discrepancy", score, title, evidence, fix)]


_HEAVY_DROPOUT_SCORE = 0.8


def heavy_dropout_explains(findings, ctx):
    """A model that does not learn, with a dropout rate of 0.6 or more and no
    other cause found: the dropout is the first thing to change.

    The measured train/inference gap (`check_train_inference`) may not show it,
    since a model that learns nothing has a high loss in both modes; where it
    did, its finding is raised to the same score. Like a root cause found with
    confidence, the explanation ranks above the failures it produces: those are
    scaled by 0.75 (as `_rank` does).
    """
    from keras_seqfix.diagnosis.finding import severity_of

    if any(f.code in OTHER_EXPLANATIONS and f.score >= 0.4 for f in findings):
        return
    failures = [f for f in findings if f.code in FAILURES and f.score >= 0.4]
    rate, layer = _max_dropout(ctx.model)
    if not failures or rate < 0.6:
        return
    for f in failures:
        f.score = round(f.score * 0.75, 3)
        f.severity = severity_of(f.score)
    measured = [f for f in findings if f.code == "train_inference_discrepancy"]
    if measured:
        for f in measured:
            f.score = max(f.score, _HEAVY_DROPOUT_SCORE)
            f.severity = severity_of(f.score)
            f.evidence["failures"] = ", ".join(g.code for g in failures)
        return
    evidence = {
        "max_dropout_rate": rate,
        "failures": ", ".join(f.code for f in failures),
    }
    if layer is not None:
        evidence["max_dropout_layer"] = layer
    title = (
        f"Dropout {rate:g} ({layer}) keeps {1 - rate:.0%} of the units in "
        f"training, and the model does not learn ({failures[0].code})"
    )
    fix = "keras.layers.Dropout(0.2)  # instead of the heavier rate, then fit again"
    findings.append(
        make_finding(
            "train_inference_discrepancy", _HEAVY_DROPOUT_SCORE, title, evidence, fix
        )
    )
