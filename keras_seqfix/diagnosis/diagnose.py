"""`diagnose`: why a sequence classifier's loss stays high, ranked, with the fix."""

import numbers
import time

import keras
import numpy as np

from keras_seqfix._labels import label_info
from keras_seqfix.diagnosis import (
    _data_checks,
    _history_checks,
    _layer_checks,
    _model_checks,
    _reference_checks,
    _structure_checks,
)
from keras_seqfix.diagnosis._codes import ROLE
from keras_seqfix.diagnosis._collect import collect, describe, kind_of
from keras_seqfix.diagnosis._inputs import (
    Context,
    as_array,
    expected_init_loss,
    model_info,
)
from keras_seqfix.diagnosis._reference import sees_no_signal
from keras_seqfix.diagnosis.diagnosis_report import DiagnosisReport

# Root causes found with confidence rank above the symptoms they produce (no
# learning, odd gradients): see `_codes.ROLE`.
_ROOT_CAUSES = tuple(code for code, role in ROLE.items() if role == "root")
_SYMPTOMS = tuple(code for code, role in ROLE.items() if role == "symptom")


def diagnose(
    model,
    x,
    y=None,
    *,
    validation_data=None,
    history=None,
    probe=True,
    batch_size=32,
    seed=0,
    verbose=1,
    max_samples=2000,
    probe_steps=80,
    lr_test=True,
    class_weight=None,
    sample_weight=None,
    reference=True,
):
    """Find out why a sequence classifier's loss stays high.

    Runs fast checks on the data (NaN/inf, scale, class counts, conflicting labels,
    train/validation leakage, padding), on the compiled model against the labels
    (loss, label format, output activation), on the training curves in `history`,
    and a short probe (loss at initialisation vs log K, overfitting one small batch,
    real vs shuffled labels, a learning curve, the learning-rate range test,
    per-layer gradient norms and training vs inference-mode loss). The probes train
    a fresh copy of the model made with `keras.models.clone_model`; the model itself
    is only run forward, inside `keras_seqfix._backend.preserved_state`, so its
    weights and optimizer state are bit for bit what they were (subclassed models,
    which cannot be cloned, are probed in place and restored the same way). `x` and
    `y` are never modified.

    Args:
        model (keras.Model): a compiled `keras.Model` with one output (a classifier).
        x (np.ndarray or tf.data.Dataset or keras.utils.PyDataset or generator): the
            training inputs, as given to `fit`: a NumPy array `(samples, steps, ...)` of
            token ids, numeric series or frame sequences, or a `tf.data.Dataset`, a
            `keras.utils.PyDataset` (such as `ksf.imbalance.BalancedBatches`) or a
            generator yielding `(x, y)` or `(x, y, sample_weight)` batches (or unbatched
            elements). A stream is read in order until `max_samples` samples, and the
            report says how many (`report.measurements["samples"]`); a PyDataset is
            indexed from batch 0 and not advanced, but the batches read from a generator
            are consumed. Shuffle a class-sorted stream first: its first samples may
            hold one class.
        y (np.ndarray or None): the training labels: integer class ids `(samples,)` or
            one-hot rows `(samples, classes)`, as given to `fit`; `None` when `x` is a
            stream (the labels come from it). Defaults to `None`.
        validation_data (tuple or stream or None): `(x_val, y_val)` or a stream, as
            given to `fit`. Defaults to `None` (the probe then holds out 20% of `x`).
        history (keras.callbacks.History or dict or None): the `History` returned by
            `model.fit`, or its `.history` dict; its curves add evidence of overfitting
            and underfitting. Defaults to `None`.
        probe (bool): run the short probe trainings. `False` runs only the data, model
            and history checks (under a second). Defaults to `True`.
        batch_size (int): batch size of the probes. Defaults to `32`.
        seed (int): seed of the probes' sampling and training. Defaults to `0`.
        verbose (int): `1` prints one line per step, `0` is silent. Defaults to `1`.
        max_samples (int): the probes use at most this many samples (the data checks use
            all). Defaults to `2000`.
        probe_steps (int): training steps of each probe training. Defaults to `80`.
        lr_test (bool): run the learning-rate range test (`ksf.find_lr`). Defaults to
            `True`.
        class_weight (dict or None): the `class_weight` you give `fit`, if any (a dict
            of class id to weight): the probe trainings use it as `fit` does, and the
            imbalance check then only informs. Defaults to `None`.
        sample_weight (np.ndarray or None): the `sample_weight` you give `fit`, if any,
            one weight per sample of `x` (a stream's third element is used the same
            way). Defaults to `None`.
        reference (bool): fit the reference, a fast model that needs no tuning, to
            measure what the data supports: MiniRocket features for numeric
            series, TF-IDF of the token ids for token sequences, a coarse grid
            of each frame for image sequences, each with ridge regression
            (`sklearn.linear_model.RidgeClassifierCV`). Its held-out accuracy
            (on `validation_data`, else leave-one-out on `x`) is in
            `report.reference`; set against your trained model it finds an
            `architecture_mismatch`, and its out-of-fold probabilities find
            `noisy_labels` by confident learning (`cleanlab`). A few seconds on
            up to `max_samples` samples. Defaults to `True`.

    Returns:
        (DiagnosisReport): A `DiagnosisReport`: `.findings` most likely cause first,
            `.healthy`, `str(report)`, `.to_markdown()`, `.to_dict()` and `.plot()`.

    Raises:
        TypeError: if `model` is not a `keras.Model` or `x`/`y` are not arrays
            or a stream of `(x, y)` batches.
        ValueError: if the model is not compiled, has several outputs, or `x`,
            `y`, `validation_data` or the weights do not match it.

    Examples:
        >>> import keras, numpy as np
        >>> import keras_seqfix as ksf
        >>> x = np.random.default_rng(0).normal(size=(64, 10, 2)).astype("float32") * 500
        >>> y = np.arange(64) % 2
        >>> model = keras.Sequential([keras.Input((10, 2)), keras.layers.LSTM(4),
        ...                           keras.layers.Dense(2, activation="softmax")])
        >>> model.compile("adam", "categorical_crossentropy")
        >>> report = ksf.diagnose(model, x, y, probe=False, verbose=0)
        >>> report.codes[:2]
        ['label_loss_mismatch', 'unscaled_inputs']
    """
    start = time.perf_counter()

    def log(message):
        if verbose:
            print(
                f"[diagnose {time.perf_counter() - start:5.1f}s] {message}", flush=True
            )

    for name, value in (
        ("batch_size", batch_size),
        ("max_samples", max_samples),
        ("probe_steps", probe_steps),
    ):
        _check_positive_int(name, value)
    ctx = _context(model, x, y, validation_data, batch_size, seed, max_samples)
    _set_weights(ctx, class_weight, sample_weight)
    curves = _history_checks.history_dict(history)
    # Trained means an optimizer step taken (`model.save` keeps the step count);
    # a `history` alone may come with a fresh model, which says nothing about its
    # architecture.
    ctx.trained = _optimizer_steps(model) > 0
    log(f"{len(ctx.x)} samples, {ctx.num_classes} classes, loss {ctx.info.loss_label}")
    findings = []
    # Inference-mode forward passes change no state; everything that could (the
    # training-mode loss, probes in place) runs inside preserved_state.
    rows = _user_rows(ctx)
    _measure_user_model(ctx, log, rows, training_mode=False)
    log("data and model checks")
    for check in (
        _data_checks.DATA_CHECKS
        + _model_checks.MODEL_CHECKS
        + _structure_checks.STRUCTURE_CHECKS
    ):
        findings += check(ctx)
    ref, view = None, None
    if reference:
        ref, view = _run_reference(ctx, log, max_samples)
        findings += _reference_checks.architecture_mismatch(ctx, ref, view)
        try:
            findings += _reference_checks.noisy_labels(ctx, ref)
        except Exception as exc:  # evidence missing, not a crash
            ctx.missing.append(
                f"noisy_labels (confident learning): {type(exc).__name__}: {exc}"[:300]
            )
    if probe:
        from keras_seqfix._backend.state import preserved_state
        from keras_seqfix.diagnosis._probe_checks import run_probe_checks
        from keras_seqfix.diagnosis._probe_runner import run_probes

        with preserved_state(model):
            _measure_user_model(ctx, log, rows, training_mode=True)
            ctx.probe = run_probes(
                ctx,
                max_samples=max_samples,
                probe_steps=probe_steps,
                lr_test=lr_test,
                log=log,
            )
        ctx.measurements.update(ctx.probe.measurements())
        findings += run_probe_checks(ctx)
    _structure_checks.unbounded_state_excused(findings, ctx)
    for check in _data_checks.LATE_DATA_CHECKS:
        findings += check(ctx)
    findings += _history_checks.run_history_checks(ctx, curves)
    _imbalance_before_no_signal(findings, ctx)
    _reference_checks.demote_no_signal(findings, ref, ctx)
    if probe and ref is not None:
        _reference_checks.structural_mismatch(findings, ref, ctx)
        _reference_checks.padding_coped_with(findings, ref, ctx)
    if ref is not None:
        findings += _over_time(ctx, ref, findings, max_samples, log)
    _layer_checks.heavy_dropout_explains(findings, ctx)
    findings = _rank(findings)
    ctx.measurements["seconds"] = round(time.perf_counter() - start, 2)
    log(f"done: {len(findings)} findings")
    return DiagnosisReport(
        findings,
        measurements=ctx.measurements,
        lr_result=ctx.probe.lr_test,
        gradient_norms=ctx.probe.layer_grad_norms,
        history=curves or ctx.probe.curves,
        notes=ctx.notes,
        missing=ctx.missing,
        reference=ref,
        per_class=view,
    )


def _input_rank(model):
    """The rank of one sample as the model takes it, or None if it does not say."""
    inputs = _symbolic(model, "inputs")
    return len(inputs[0].shape) - 1 if len(inputs) == 1 else None


def _context(model, x, y, validation_data, batch_size, seed, max_samples):
    if not isinstance(model, keras.Model):
        raise TypeError(
            "`model` should be a compiled `keras.Model`. "
            f"Received: model of type {type(model).__name__}"
        )
    if not getattr(model, "compiled", False) or model.optimizer is None:
        raise ValueError(
            "`model` should be compiled: `diagnose` reads its loss and optimizer. "
            "Received: an uncompiled model. Call `model.compile(optimizer, loss)` first."
        )
    if model.loss is None:
        raise ValueError(
            "`model` should be compiled with a loss: every probe measures it. "
            "Received: a model compiled without `loss`. Call e.g. "
            '`model.compile(optimizer, loss="sparse_categorical_crossentropy")`.'
        )
    rank = _input_rank(model)
    read = collect(x, y, name="x", max_samples=max_samples, input_rank=rank)
    if read.y is None:
        raise ValueError(
            "`y` should be the labels of `x` (class ids or one-hot rows), as given "
            "to `fit`. Received: y=None with `x` an array. Fix: diagnose(model, x, "
            "y), or pass a dataset of `(x, y)` batches as `x`."
        )
    x, y = as_array(read.x, "x"), as_array(read.y, "y")
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y) or len(x) < 2:
        raise ValueError(
            "`x` and `y` should be arrays with the same number of samples (at least 2)."
            f" Received: x.shape={x.shape}, y.shape={y.shape}"
        )
    try:
        output = model(x[:2], training=False)
    except Exception as exc:
        raise ValueError(
            f"`x` does not fit the model's input. Received: x.shape={x.shape}; the "
            f"model raised {type(exc).__name__}: {str(exc)[:200]}"
        ) from exc
    outputs = _symbolic(model, "outputs")
    if isinstance(output, list | tuple | dict) or len(outputs) > 1:
        count = len(output) if isinstance(output, list | tuple | dict) else len(outputs)
        raise ValueError(
            "`model` should have one output (a classifier). Received: a model with "
            f"{count} outputs. Diagnose a model of the output "
            "whose loss stays high: `keras.Model(model.inputs, model.outputs[i])`, "
            "compiled with that output's loss."
        )
    output = keras.ops.convert_to_numpy(output)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(
            "`seed` should be a non-negative integer (NumPy's generators take no "
            f"negative seeds). Received: seed={seed!r}"
        )
    labels = label_info(y)
    info = model_info(model, output.reshape(2, -1).shape[1])
    ctx = Context(model, x, y, labels, info, batch_size=int(batch_size), seed=int(seed))
    ctx.stream_weights = read.sample_weight
    note = describe(read, max_samples)
    if note:
        ctx.notes.append(f"x: {note}")
    if validation_data is not None:
        if kind_of(validation_data) != "arrays":
            val = collect(
                validation_data,
                None,
                name="validation_data",
                max_samples=max_samples,
                input_rank=rank,
            )
            note = describe(val, max_samples)
            ctx.notes.append(f"validation_data: {note}")
            validation_data = (val.x, val.y)
        if not isinstance(validation_data, tuple | list) or len(validation_data) < 2:
            raise ValueError(
                "`validation_data` should be `(x_val, y_val)` or a dataset of "
                "`(x, y)` batches, as given to `fit`. "
                f"Received: validation_data of type {type(validation_data).__name__}"
            )
        ctx.x_val = as_array(validation_data[0], "x_val")
        ctx.y_val = as_array(validation_data[1], "y_val")
        _check_validation(model, x, y, ctx.x_val, ctx.y_val)
        val_labels = label_info(ctx.y_val)
        ctx.val_ids = val_labels.ids
        if val_labels.ids is None:
            ctx.x_val = ctx.y_val = None
    if labels.ids is None:
        ctx.labels.ids = np.zeros(len(y), dtype=np.int64)
        ctx.notes.append("labels are not class ids or one-hot: class checks skipped")
    ctx.measurements["samples"] = len(x)
    counts = np.bincount(ctx.labels.ids[ctx.labels.ids >= 0], minlength=1)
    present = counts[counts > 0]
    ctx.measurements["min_samples_per_class"] = (
        int(present.min()) if len(present) else 0
    )
    if len(present) >= 2:
        ctx.measurements["imbalance_ratio"] = float(present.max() / present.min())
        freq = present / present.sum()
        ctx.measurements["prior_entropy"] = float(-(freq * np.log(freq)).sum())
    ctx.measurements["num_classes"] = ctx.num_classes
    expected = expected_init_loss(info, ctx.num_classes)
    if expected is not None:
        ctx.measurements["expected_loss_at_init"] = expected
    return ctx


def _set_weights(ctx, class_weight, sample_weight):
    """`ctx.sample_weight`: one weight per sample, as `fit` would weigh them."""
    n = len(ctx.x)
    weights = ctx.stream_weights
    if sample_weight is not None:
        if weights is not None:
            raise ValueError(
                "`sample_weight` should be None when `x` is a stream that yields "
                "`(x, y, sample_weight)`: its weights are used. Received: both."
            )
        weights = as_array(sample_weight, "sample_weight")
        if weights.shape != (n,) or weights.dtype.kind not in "iuf":
            raise ValueError(
                "`sample_weight` should be one number per sample of `x`, shape "
                f"({n},). Received: sample_weight of shape {weights.shape} and dtype "
                f"{weights.dtype}. Fix: pass the array you give `fit`."
            )
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64).reshape(n, -1)[:, 0]
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ValueError(
                "`sample_weight` should be finite and non-negative. Received: "
                f"{int((~np.isfinite(weights)).sum())} non-finite and "
                f"{int((weights < 0).sum())} negative weights. Fix: clip or drop them."
            )
    if class_weight is not None:
        if not isinstance(class_weight, dict) or not class_weight:
            raise TypeError(
                "`class_weight` should be a dict of class id to weight, as `fit` "
                f"takes it. Received: class_weight of type {type(class_weight).__name__}"
                ". Fix: e.g. class_weight=ksf.imbalance.class_weights(y)."
            )
        bad = {
            k: v
            for k, v in class_weight.items()
            if isinstance(k, bool)
            or not isinstance(k, numbers.Integral)
            or isinstance(v, bool)
            or not isinstance(v, numbers.Real)
            or not np.isfinite(v)
            or v < 0
        }
        if bad:
            raise ValueError(
                "`class_weight` should map integer class ids to finite, non-negative "
                f"weights. Received: {dict(list(bad.items())[:3])!r}."
            )
        table = np.ones(max(max(class_weight) + 1, ctx.num_classes))
        for k, v in class_weight.items():
            table[int(k)] = float(v)
        per_class = table[np.clip(ctx.labels.ids, 0, len(table) - 1)]
        weights = per_class if weights is None else weights * per_class
    ctx.sample_weight = weights
    ctx.weighted = weights is not None


def _over_time(ctx, ref, findings, max_samples, log):
    """Vanishing gradients over time (see `_time_checks`); a failure is missing
    evidence."""
    from keras_seqfix.diagnosis._time_checks import vanishing_over_time

    try:
        found = vanishing_over_time(ctx, ref, findings, max_samples=max_samples)
    except Exception as exc:
        ctx.missing.append(
            f"where in time the labels are: {type(exc).__name__}: {exc}"[:300]
        )
        return []
    if found:
        log("the model does not reach the steps that carry the labels")
    return found


def _optimizer_steps(model):
    try:
        return int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    except Exception:  # an optimizer without a step counter: treat as untrained
        return 0


def _run_reference(ctx, log, max_samples):
    """The reference and the user's model beside it; a failure is missing evidence."""
    from keras_seqfix.diagnosis._reference import fit_reference

    log("reference: what the data supports")
    try:
        ref = fit_reference(ctx, max_samples=max_samples)
    except Exception as exc:
        ctx.missing.append(
            f"the reference could not be fitted: {type(exc).__name__}: {exc}"[:300]
        )
        return None, None
    ctx.reference = ref
    if ref.get("accuracy") is not None:
        ctx.measurements["reference_balanced_accuracy"] = ref["balanced_accuracy"]
        ctx.measurements["reference_held_out"] = ref["held_out"]
        if "learning_curve_gain" in ref:
            ctx.measurements["reference_learning_curve_gain"] = ref[
                "learning_curve_gain"
            ]
    try:
        view = _reference_checks.model_view(ctx, ref)
    except Exception as exc:
        ctx.missing.append(
            f"your model's predictions: {type(exc).__name__}: {exc}"[:300]
        )
        return ref, None
    if view is not None:
        ref["model_accuracy"] = view["accuracy"]
        ref["model_balanced_accuracy"] = view["balanced_accuracy"]
        ref["model_scored_on"] = view["on"]
    elif ref.get("accuracy") is not None and not ctx.trained:
        ctx.notes.append(
            "your model is untrained (no optimizer step): it is not "
            "compared with the reference"
        )
    return ref, view


def _symbolic(model, name):
    """`model.inputs` or `model.outputs`; a subclassed model has none (`[]`)."""
    try:
        return list(getattr(model, name) or [])
    except AttributeError:
        return []


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(
            f"`{name}` should be a positive integer. Received: {name}={value!r}. "
            f"Pass e.g. {name}=32."
        )


def _check_validation(model, x, y, x_val, y_val):
    """`validation_data` must be shaped like `(x, y)` and fit the model."""
    if x_val.ndim == 0 or y_val.ndim == 0 or len(x_val) != len(y_val):
        raise ValueError(
            "`validation_data` should be `(x_val, y_val)` with as many labels as "
            f"samples. Received: x_val.shape={x_val.shape}, y_val.shape={y_val.shape}"
        )
    inputs = _symbolic(model, "inputs")
    if x_val.shape[1:] != x.shape[1:] and inputs:
        expected = tuple(inputs[0].shape[1:])
        fits = len(expected) == x_val.ndim - 1 and all(
            e is None or e == r for e, r in zip(expected, x_val.shape[1:], strict=True)
        )
        if not fits:
            raise ValueError(
                "`validation_data` does not fit the model: the model takes inputs of "
                f"shape (batch, *{expected}), x has shape {x.shape}. Received: "
                f"x_val.shape={x_val.shape}. Pass the validation split of the same "
                "arrays you train on."
            )
    if y_val.shape[1:] != y.shape[1:]:
        raise ValueError(
            "`validation_data` labels should have the format of `y`. Received: "
            f"y.shape={y.shape}, y_val.shape={y_val.shape}. Use the same labels "
            "(class ids or one-hot rows) for both."
        )


def _user_rows(ctx):
    """The random rows with finite inputs that both passes on the user's model use."""
    from keras_seqfix.diagnosis._probe import mixed_rows

    keep = np.ones(len(ctx.x), dtype=bool)
    if ctx.x.dtype.kind == "f":
        keep = np.isfinite(ctx.x.reshape(len(ctx.x), -1)).all(axis=1)
    return mixed_rows(np.flatnonzero(keep), ctx.seed)


def _measure_user_model(ctx, log, rows, *, training_mode):
    """Forward passes on the user's model: its loss now (inference mode) or, for
    a model that has been trained, its loss on the same samples in training mode."""
    from keras_seqfix.diagnosis._probe import batch_loss

    if len(rows) == 0:
        return
    x, y = ctx.x[rows], ctx.y[rows]
    try:
        if not training_mode:
            ctx.measurements["loss_now"] = batch_loss(ctx.model, x, y, training=False)
            return
        iterations = int(keras.ops.convert_to_numpy(ctx.model.optimizer.iterations))
        if iterations > 0 and "loss_now" in ctx.measurements:
            log("training vs inference mode on your trained model")
            ctx.measurements["user_loss_inference_mode"] = ctx.measurements["loss_now"]
            ctx.measurements["user_loss_training_mode"] = batch_loss(
                ctx.model, x, y, training=True
            )
    except Exception as exc:  # the labels may not fit the loss: a finding, not a crash
        ctx.missing.append(
            f"the loss of your model on x: {type(exc).__name__}: {exc}"[:300]
        )


def _imbalance_before_no_signal(findings, ctx):
    """On unweighted data where the majority class alone scores >= 0.9, held-out
    accuracy cannot show a signal: `no_signal` never outranks `class_imbalance`,
    unless the reference's ranking, which the class frequencies do not move,
    shows there is none (`sees_no_signal`)."""
    majority = ctx.probe.val_acc_majority
    if ctx.weighted or not majority >= 0.9:  # NaN: the probe did not run
        return
    if sees_no_signal(ctx.reference):
        return
    imbalance = [f for f in findings if f.code == "class_imbalance"]
    if not imbalance:
        return
    from keras_seqfix.diagnosis.finding import severity_of

    ceiling = max(f.score for f in imbalance) - 0.05
    for f in findings:
        if f.code == "no_signal" and f.score > ceiling:
            f.score = round(max(ceiling, 0.0), 3)
            f.severity = severity_of(f.score)


def _rank(findings):
    """One finding per code (the strongest, agreeing evidence merged); root causes
    found with confidence rank above the symptoms they produce."""
    by_code = {}
    for finding in findings:
        kept = by_code.get(finding.code)
        if kept is None:
            by_code[finding.code] = finding
            continue
        strong, weak = (
            (kept, finding) if kept.score >= finding.score else (finding, kept)
        )
        for key, value in weak.evidence.items():
            strong.evidence.setdefault(key, value)
        by_code[finding.code] = strong
    merged = list(by_code.values())
    if any(f.code in _ROOT_CAUSES and f.score >= 0.7 for f in merged):
        from keras_seqfix.diagnosis.finding import severity_of

        for f in merged:
            if f.code in _SYMPTOMS:
                f.score = round(f.score * 0.75, 3)
                f.severity = severity_of(f.score)
    return sorted(merged, key=lambda f: -f.score)
