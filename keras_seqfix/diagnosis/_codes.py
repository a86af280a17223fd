"""The cause vocabulary of `diagnose`: each code with its cause, evidence and fix."""

CAUSE_CODES = (
    "label_loss_mismatch",
    "output_activation_mismatch",
    "invalid_values",
    "unscaled_inputs",
    "class_imbalance",
    "conflicting_labels",
    "split_leakage",
    "padding_without_mask",
    "insufficient_data",
    "no_signal",
    "lr_too_high",
    "lr_too_low",
    "vanishing_gradients",
    "exploding_gradients",
    "underfitting",
    "overfitting",
    "train_inference_discrepancy",
    "architecture_mismatch",
    "noisy_labels",
    "per_frame_augmentation",
    "frame_feature_width",
)
"""Every cause code a `Finding` can carry: the 17 of the spec, the codes that read
the reference (`architecture_mismatch`, `noisy_labels`), then the codes read from
how a model over frames is built (`per_frame_augmentation`,
`frame_feature_width`).

Examples:

    >>> import keras_seqfix as ksf
    >>> len(ksf.diagnosis.CAUSE_CODES), ksf.diagnosis.CAUSE_CODES[:2]
    (21, ('label_loss_mismatch', 'output_activation_mismatch'))
"""

# code -> (cause, evidence measured, default fix). The checks write fixes with the
# user's numbers in them; these are the generic forms, also used in the docs table.
CATALOGUE = {
    "label_loss_mismatch": (
        "The label format does not match the compiled loss (one-hot labels with a "
        "sparse loss, integer labels with a categorical or binary loss, labels out "
        "of range).",
        "label shape and values, number of model outputs, loss name",
        'ksf.build_lstm_classifier(num_classes, ..., labels="one_hot")  # or "sparse"',
    ),
    "output_activation_mismatch": (
        "The output activation does not match the loss (logits with "
        "`from_logits=False`, softmax with `from_logits=True`, softmax on one unit).",
        "output activation, `from_logits`, loss at initialisation vs log K",
        "keras.layers.Dense(num_classes, activation='softmax')  # with from_logits=False",
    ),
    "invalid_values": (
        "NaN or inf in the inputs or labels: the loss becomes NaN.",
        "count and fraction of NaN/inf values and affected samples",
        "keep = np.isfinite(x).reshape(len(x), -1).all(axis=1); x, y = x[keep], y[keep]",
    ),
    "unscaled_inputs": (
        "Numeric inputs far from unit scale saturate tanh/sigmoid units and make "
        "the gradients uneven.",
        "largest absolute value, per-feature mean and standard deviation",
        "norm = keras.layers.Normalization(axis=-1); norm.adapt(x_train)",
    ),
    "class_imbalance": (
        "One class dominates: the model learns to predict it and the minority "
        "classes are missed.",
        "class counts, majority/minority ratio, minority recall in the probe",
        "model.fit(x, y, class_weight=ksf.class_weights(y))",
    ),
    "conflicting_labels": (
        "Identical inputs carry different labels: no model can fit them.",
        "fraction of samples in groups of identical inputs with different labels",
        "deduplicate: keep one label per identical input (majority vote)",
    ),
    "split_leakage": (
        "Validation samples also appear in the training set: validation scores are "
        "optimistic.",
        "fraction of validation samples identical to a training sample",
        "split by group (source, subject) with sklearn.model_selection.GroupShuffleSplit",
    ),
    "padding_without_mask": (
        "Sequences are padded but the model has no mask, so recurrent layers read "
        "the padding as data.",
        "fraction of padded steps, padding side, masking layers found",
        "keras.layers.Masking(mask_value=0.0)  # or Embedding(..., mask_zero=True)",
    ),
    "insufficient_data": (
        "Too few samples per class for the model to generalise.",
        "samples per class, validation accuracy with half vs all the data",
        "ksf.TimeSeriesAugmentation(jitter=0.03, scaling=0.1) or more data",
    ),
    "no_signal": (
        "The model does no better on real labels than on shuffled labels: the "
        "inputs carry no usable information about the labels.",
        "validation accuracy with real vs shuffled labels, one-batch overfit",
        "check that x and y are aligned (same order) and that y is the right column",
    ),
    "lr_too_high": (
        "The learning rate is above the stable range: the loss jumps or diverges.",
        "loss during the probe at your learning rate, LR range test",
        "result = ksf.find_lr(model, x, y); model.optimizer.learning_rate = result.suggestion",
    ),
    "lr_too_low": (
        "The learning rate is so low that the loss hardly moves.",
        "loss decrease during the probe, LR range test suggestion",
        "result = ksf.find_lr(model, x, y); model.optimizer.learning_rate = result.suggestion",
    ),
    "vanishing_gradients": (
        "Gradients shrink towards the input layers: the early layers do not learn.",
        "per-layer gradient norms at initialisation (first/last ratio)",
        "use LSTM/GRU with tanh, ReLU or GELU hidden layers, LayerNormalization",
    ),
    "exploding_gradients": (
        "Gradients are huge or not finite: steps overshoot and the loss jumps.",
        "global and per-layer gradient norms at initialisation",
        "keras.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0)",
    ),
    "underfitting": (
        "The model cannot fit the training data (too small, too regularised, or "
        "trained too briefly).",
        "one-batch overfit, training loss vs log K, training curve",
        "ksf.build_lstm_classifier(num_classes, units=128, ...), then "
        "model.fit(x, y, **ksf.fit_recipe(x))",
    ),
    "overfitting": (
        "Training loss falls while validation loss rises: the model memorises.",
        "best vs last validation loss, train/validation gap from `history`",
        'model.fit(..., validation_data=..., callbacks=[ksf.early_stopping("patient")])',
    ),
    "train_inference_discrepancy": (
        "The same data has very different loss in training and in inference mode "
        "(BatchNormalization statistics, heavy dropout).",
        "loss of the same batch with training=True vs training=False",
        "keras.layers.LayerNormalization() instead of BatchNormalization; lower dropout",
    ),
    "architecture_mismatch": (
        "A fast reference model that needs no tuning does far better than your "
        "trained model: the architecture (or its training) does not suit the data.",
        "reference vs your trained model's balanced accuracy on the same held-out "
        "samples (untrained: vs the probe copy's, which stays near chance)",
        "model = ksf.build_rocket_classifier(k, input_shape=..., adapt_data=x, "
        "adapt_labels=y)  # or the builder for your data",
    ),
    "noisy_labels": (
        "Some labels contradict what the rest of the data says: mislabelled samples "
        "set a floor under the loss.",
        "confident learning (cleanlab) on the reference's out-of-fold probabilities: "
        "count, fraction, most likely mislabelled samples",
        "check the listed samples' labels; drop or relabel them",
    ),
    "per_frame_augmentation": (
        "A random augmentation inside TimeDistributed (or a per-frame backbone) "
        "draws a new transformation for every frame, so the frames of one clip "
        "disagree and the motion between them becomes noise.",
        "random preprocessing layers found inside TimeDistributed wrappers",
        "ksf.layers.SequenceAugmentation(flip='horizontal')  # one draw per clip, "
        "before the per-frame backbone",
    ),
    "frame_feature_width": (
        "The per-frame vector entering the recurrent layers is far too wide (a "
        "TimeDistributed(Flatten()) of a conv map) or narrower than the number of "
        "classes.",
        "features per frame at the first recurrent layer, against the classes and "
        "the training clips",
        "keras.layers.TimeDistributed(keras.layers.GlobalAveragePooling2D()), or "
        "ksf.build_cnn_lstm(num_classes, input_shape=...)",
    ),
}


# What each code is in the ranking: a root cause (found with confidence, it ranks
# above the symptoms it produces), a symptom of one, or a cause of its own (ranked
# by its score alone). Declared once here; `diagnose` reads it.
ROLE = {
    **dict.fromkeys(
        (
            "label_loss_mismatch",
            "output_activation_mismatch",
            "invalid_values",
            "unscaled_inputs",
            "conflicting_labels",
            "padding_without_mask",
            "per_frame_augmentation",
            "frame_feature_width",
        ),
        "root",
    ),
    **dict.fromkeys(
        (
            "architecture_mismatch",
            "no_signal",
            "underfitting",
            "lr_too_high",
            "lr_too_low",
            "vanishing_gradients",
            "exploding_gradients",
            "train_inference_discrepancy",
        ),
        "symptom",
    ),
    **dict.fromkeys(
        (
            "class_imbalance",
            "split_leakage",
            "insufficient_data",
            "overfitting",
            "noisy_labels",
        ),
        "own",
    ),
}


def catalogue_markdown():
    """The cause table (code, cause, evidence, fix) as markdown, for the docs."""
    lines = ["| code | cause | evidence | fix |", "|---|---|---|---|"]
    for code in CAUSE_CODES:
        cause, evidence, fix = CATALOGUE[code]
        lines.append(f"| `{code}` | {cause} | {evidence} | `{fix}` |")
    return "\n".join(lines)


#: The codes that say the model does not learn, whatever the cause: the
#: reference and the over-time gradient look for what explains them.
FAILURES = ("no_signal", "underfitting", "architecture_mismatch")
#: Causes that keep a model from learning by themselves, each measured by its
#: own check: found at medium or above, one of them explains the failure.
OTHER_EXPLANATIONS = (
    "label_loss_mismatch",
    "output_activation_mismatch",
    "invalid_values",
    "unscaled_inputs",
    "padding_without_mask",
    "per_frame_augmentation",
    "frame_feature_width",
    "lr_too_high",
    "lr_too_low",
    "vanishing_gradients",
    "exploding_gradients",
)
