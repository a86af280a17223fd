"""Checks on the compiled model against the labels: loss, label format, activation."""

from keras_seqfix.diagnosis.finding import make_finding

_LOSS_CODE = {
    "sparse_cce": "sparse_categorical_crossentropy",
    "cce": "categorical_crossentropy",
    "bce": "binary_crossentropy",
}


def _loss_evidence(ctx):
    evidence = {
        "loss": ctx.info.loss_label,
        "label_format": ctx.labels.kind,
        "label_shape": str(tuple(ctx.y.shape)),
        "model_outputs": ctx.info.units,
        "output_activation": ctx.info.activation,
    }
    for key in ("loss_now", "expected_loss_at_init"):
        if key in ctx.measurements:
            evidence[key] = round(float(ctx.measurements[key]), 4)
    return evidence


def check_label_loss_mismatch(ctx):
    """The label format against the loss and the number of outputs."""
    info, labels, k = ctx.info, ctx.labels, ctx.info.units
    if info.loss_name == "unknown":
        return []
    ids = labels.ids
    problem, score, fix = None, 0.0, None
    one_hot_fix = (
        'ksf.build_lstm_classifier(num_classes, ..., labels="one_hot")\n'
        "# or: model.compile(loss='categorical_crossentropy', ...)"
    )
    sparse_fix = (
        'ksf.build_lstm_classifier(num_classes, ..., labels="sparse")\n'
        "# or: model.compile(loss='sparse_categorical_crossentropy', ...)"
    )
    if info.loss_name in ("sparse_cce", "cce") and labels.kind == "other":
        problem, score = "labels are not class ids or one-hot rows", 0.9
        fix = "y = np.unique(y, return_inverse=True)[1]  # class ids 0..K-1"
    elif info.loss_name == "sparse_cce" and labels.kind in ("one_hot", "multi_label"):
        problem, score, fix = "one-hot labels with a sparse loss", 0.95, one_hot_fix
    elif info.loss_name == "cce" and labels.kind == "sparse" and k > 1:
        problem, score, fix = "integer labels with a categorical loss", 0.95, sparse_fix
    elif (
        info.loss_name in ("sparse_cce", "cce")
        and ids is not None
        and (ids.min() < 0 or ids.max() >= k)
    ):
        problem, score = f"class ids {ids.min()}..{ids.max()} for {k} outputs", 0.95
        fix = (
            "y = np.unique(y, return_inverse=True)[1]  # ids 0..K-1\n"
            f"# and one output per class: keras.layers.Dense({ids.max() + 1}, "
            "activation='softmax')"
        )
    elif info.loss_name == "bce" and labels.kind == "sparse" and ids is not None:
        if labels.num_classes > 2 or ids.max() > 1:
            problem = f"{labels.num_classes} classes with a binary loss"
            score, fix = 0.95, sparse_fix
        elif k > 1:
            problem = f"0/1 labels with a binary loss on {k} outputs"
            score = 0.8
            fix = (
                "keras.layers.Dense(1, activation='sigmoid')  # one output for 0/1\n"
                "# or keep the softmax and compile with sparse_categorical_crossentropy"
            )
    elif info.loss_name == "bce" and labels.kind == "one_hot" and k > 2:
        # Every row holds exactly one class: a single-label task scored as K
        # independent yes/no questions, whose loss the K-1 zeros of each row
        # dominate (and whose "accuracy" counts them).
        problem = (
            f"one-hot rows (one class per sample) with a binary loss on {k} outputs"
        )
        score = 0.7
        fix = (
            f"keras.layers.Dense({k}, activation='softmax')\n"
            "model.compile(loss='categorical_crossentropy', ...)  # one-hot rows\n"
            "# or: ksf.build_lstm_classifier(num_classes, ..., labels='one_hot')"
        )
    elif info.loss_name == "mse" and labels.kind in ("sparse", "one_hot"):
        problem = "a regression loss for class labels"
        score, fix = 0.6, sparse_fix
    if problem is None:
        return []
    title = f"Labels do not match the loss: {problem}"
    return [make_finding("label_loss_mismatch", score, title, _loss_evidence(ctx), fix)]


# Activations whose outputs are one-sided or bounded: not logits.
_BOUNDED = (
    "relu",
    "relu6",
    "elu",
    "selu",
    "softplus",
    "tanh",
    "hard_sigmoid",
    "hard_tanh",
    "exponential",
    "leaky_relu",
    "gelu",
    "silu",
)


def check_output_activation_mismatch(ctx):
    """The output activation against the loss and its `from_logits`."""
    info = ctx.info
    act, logits, k = info.activation, info.from_logits, info.units
    if info.loss_name not in ("sparse_cce", "cce", "bce") or act == "unknown":
        return []
    probs = act in ("softmax", "sigmoid", "log_softmax")
    problem, score = None, 0.0
    if act == "softmax" and k == 1:
        problem, score = "softmax on a single output is always 1.0", 0.95
    elif not logits and not probs:
        problem = f"'{act}' outputs with from_logits=False (probabilities expected)"
        score = 0.9
    elif logits and act in ("softmax", "sigmoid"):
        problem = f"'{act}' outputs with from_logits=True (logits expected)"
        score = 0.75
    elif logits and act in _BOUNDED:
        # Logits must range over the reals: a ReLU cuts every negative logit to 0
        # (where it gets no gradient), tanh caps them at 1, which puts a floor
        # under the loss (log(1 + (K-1) e^-2) for K classes, at best).
        problem = f"'{act}' on the logits: they cannot take the values the loss needs"
        score = 0.75
    elif info.loss_name in ("sparse_cce", "cce") and act == "sigmoid" and k > 1:
        problem, score = "sigmoid outputs with a categorical loss", 0.45
    elif info.loss_name == "bce" and act == "softmax" and k > 1:
        problem, score = "softmax outputs with a binary loss", 0.45
    if problem is None:
        return []
    if info.loss_name == "bce":
        fix = (
            "keras.layers.Dense(1, activation='sigmoid')\n"
            "model.compile(loss=keras.losses.BinaryCrossentropy(), ...)"
        )
    else:
        fix = (
            f"keras.layers.Dense({k}, activation='softmax')\n"
            "model.compile(loss=keras.losses.SparseCategoricalCrossentropy(), ...)\n"
            "# or: ksf.build_lstm_classifier(num_classes, ...), which matches them"
        )
    evidence = _loss_evidence(ctx)
    evidence["from_logits"] = logits
    title = f"Output activation does not match the loss: {problem}"
    return [make_finding("output_activation_mismatch", score, title, evidence, fix)]


MODEL_CHECKS = (check_label_loss_mismatch, check_output_activation_mismatch)
