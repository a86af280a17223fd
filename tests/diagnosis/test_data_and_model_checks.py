"""Data and compiled-model checks of `diagnose` (probe=False: fast, no training)."""

import keras
import numpy as np
import pytest

from keras_seqfix.diagnosis import diagnose
from tests.diagnosis._synthetic import make_data, tiny_model


def _run(model, x, y, **kwargs):
    return diagnose(model, x, y, probe=False, verbose=0, **kwargs)


def test_clean_data_and_matching_model_are_healthy():
    x, y = make_data(n=120)
    xv, yv = make_data(n=48, seed=1)
    report = _run(tiny_model(), x, y, validation_data=(xv, yv))
    assert report.healthy, str(report)
    assert not report.problems


def test_invalid_values_rank_first():
    x, y = make_data()
    x = x.copy()
    x[3, 4, 0] = np.nan
    x[7, 1, 1] = np.inf
    report = _run(tiny_model(), x, y)
    assert report.codes[0] == "invalid_values"
    finding = report.findings[0]
    assert finding.severity == "high"
    assert finding.evidence["nan_count"] == 1 and finding.evidence["inf_count"] == 1
    assert finding.evidence["samples_affected"] == 2


def test_unscaled_inputs_found_and_silenced_by_a_normalization_layer():
    x, y = make_data()
    x = x * 300 + 1000
    report = _run(tiny_model(), x, y)
    assert report.codes[0] == "unscaled_inputs"
    assert report.findings[0].evidence["max_abs_value"] > 500
    norm = keras.layers.Normalization(axis=-1)
    norm.adapt(x)
    model = keras.Sequential(
        [
            keras.Input((12, 2)),
            norm,
            keras.layers.GRU(8),
            keras.layers.Dense(3, "softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    assert _run(model, x, y).healthy


@pytest.mark.parametrize("layer", ["frozen_batchnorm", "rescaling_by_one"])
def test_a_scaling_layer_that_does_not_scale_leaves_unscaled_inputs_found(layer):
    # A frozen BatchNormalization at its initial statistics (mean 0, variance 1)
    # passes raw values on in every mode; so does Rescaling(1.0).
    x, y = make_data()
    x = x * 300 + 1000
    if layer == "frozen_batchnorm":
        scaler = keras.layers.BatchNormalization()
        scaler.trainable = False
    else:
        scaler = keras.layers.Rescaling(1.0)
    model = keras.Sequential(
        [
            keras.Input((12, 2)),
            scaler,
            keras.layers.GRU(8),
            keras.layers.Dense(3, "softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    report = _run(model, x, y)
    assert report.codes[0] == "unscaled_inputs", str(report)
    assert report.findings[0].evidence["scale_after_normalization"] > 500
    trainable = keras.Sequential(
        [
            keras.Input((12, 2)),
            keras.layers.BatchNormalization(),
            keras.layers.GRU(8),
            keras.layers.Dense(3, "softmax"),
        ]
    )
    trainable.compile("adam", "sparse_categorical_crossentropy")
    assert all(
        f.severity in ("low", "info")
        for f in _run(trainable, x, y).findings
        if f.code == "unscaled_inputs"
    )


def test_class_imbalance_found_and_informational_with_class_weight():
    x, y = make_data(n=220, classes=2)
    keep = np.concatenate([np.flatnonzero(y == 0), np.flatnonzero(y == 1)[:8]])
    x, y = x[keep], y[keep]
    report = _run(tiny_model(classes=2), x, y)
    assert "class_imbalance" in report.codes[:3]
    finding = report.findings[report.codes.index("class_imbalance")]
    assert finding.evidence["imbalance_ratio"] >= 10
    assert "class_weights" in finding.fix
    weighted = _run(tiny_model(classes=2), x, y, class_weight={0: 1.0, 1: 10.0})
    assert all(
        f.severity in ("low", "info")
        for f in weighted.findings
        if f.code == "class_imbalance"
    )


def test_conflicting_labels():
    x, y = make_data()
    x = np.concatenate([x, x[:40]])
    y = np.concatenate([y, (y[:40] + 1) % 3])
    report = _run(tiny_model(), x, y)
    assert report.codes[0] == "conflicting_labels"
    assert report.findings[0].evidence["samples_in_conflict"] == 80


def test_split_leakage():
    x, y = make_data(n=120)
    report = _run(tiny_model(), x, y, validation_data=(x[:30].copy(), y[:30].copy()))
    assert report.codes[0] == "split_leakage"
    assert report.findings[0].evidence["fraction_of_validation"] == 1.0


def test_padding_without_mask_and_its_fix():
    x, y = make_data(steps=30)
    x = x.copy()
    x[:, 12:] = 0.0  # post-padding: 60% of the steps
    report = _run(tiny_model((30, 2)), x, y)
    assert report.codes[0] == "padding_without_mask"
    assert report.findings[0].evidence["padding_side"] == "post"
    assert "Masking" in report.findings[0].fix
    assert _run(tiny_model((30, 2), masking=True), x, y).healthy


def test_token_padding_without_mask_suggests_mask_zero():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 50, size=(80, 20))
    x[:, 8:] = 0
    y = np.arange(80) % 2
    model = keras.Sequential(
        [
            keras.Input((20,), dtype="int32"),
            keras.layers.Embedding(50, 4),
            keras.layers.GRU(4),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    report = _run(model, x, y)
    assert report.codes[0] == "padding_without_mask"
    assert "mask_zero=True" in report.findings[0].fix


def test_insufficient_data():
    x, y = make_data(n=9)
    report = _run(tiny_model(), x, y)
    assert report.codes[0] == "insufficient_data"
    assert report.findings[0].evidence["min_samples_per_class"] == 3
    # Small data: train on every sample with the recipe, not on a held-out split.
    assert "ksf.models.fit_recipe(x)" in report.findings[0].fix


@pytest.mark.parametrize(
    "loss, labels",
    [
        ("sparse_categorical_crossentropy", "one_hot"),
        ("categorical_crossentropy", "sparse"),
        ("binary_crossentropy", "sparse"),
        ("sparse_categorical_crossentropy", "one_based"),
        ("binary_crossentropy", "one_hot_sigmoid"),
    ],
)
def test_label_loss_mismatch(loss, labels):
    x, y = make_data()
    if labels == "one_hot":
        y = np.eye(3, dtype="float32")[y]
    elif labels == "one_based":
        y = y + 1
    activation = "softmax"
    if labels == "one_hot_sigmoid":  # single-label one-hot rows, K sigmoid units
        y, activation = np.eye(3, dtype="float32")[y], "sigmoid"
    report = _run(tiny_model(loss=loss, activation=activation), x, y)
    assert report.codes[0] == "label_loss_mismatch"
    assert report.findings[0].severity == "high"


def test_multi_label_rows_with_a_binary_loss_are_not_a_mismatch():
    x, y = make_data()
    rows = np.eye(3, dtype="float32")[y]
    rows[::3, (y[::3] + 1) % 3] = 1.0  # some samples carry two labels
    report = _run(tiny_model(loss="binary_crossentropy", activation="sigmoid"), x, rows)
    assert "label_loss_mismatch" not in report.codes


@pytest.mark.parametrize(
    "activation, loss, classes",
    [
        ("linear", "sparse_categorical_crossentropy", 3),
        ("softmax", keras.losses.SparseCategoricalCrossentropy(from_logits=True), 3),
        ("softmax", "binary_crossentropy", 1),
        ("relu", keras.losses.SparseCategoricalCrossentropy(from_logits=True), 3),
        ("tanh", keras.losses.SparseCategoricalCrossentropy(from_logits=True), 3),
    ],
)
def test_output_activation_mismatch(activation, loss, classes):
    x, y = make_data(classes=2 if classes == 1 else 3)
    report = _run(tiny_model(classes=classes, activation=activation, loss=loss), x, y)
    assert report.codes[0] == "output_activation_mismatch"


def test_logits_with_from_logits_true_are_healthy():
    x, y = make_data()
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    assert _run(tiny_model(activation="linear", loss=loss), x, y).healthy


def test_inputs_are_not_modified():
    x, y = make_data()
    x[0, 0, 0] = np.nan
    x_before, y_before = x.copy(), y.copy()
    _run(tiny_model(), x, y)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(y, y_before)


def test_errors_name_the_argument():
    x, y = make_data()
    model = keras.Sequential([keras.Input((12, 2)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="should be compiled"):
        _run(model, x, y)
    with pytest.raises(TypeError, match="`model` should be"):
        _run("model", x, y)
    with pytest.raises(ValueError, match="same number of samples"):
        _run(tiny_model(), x, y[:10])
    with pytest.raises(ValueError, match="does not fit the model"):
        _run(tiny_model(), x[:, :, :1], y)
    with pytest.raises(ValueError, match="`seed` should be a non-negative integer"):
        _run(tiny_model(), x, y, seed=-1)


def test_overfitting_from_history():
    x, y = make_data()
    history = {
        "loss": [1.0, 0.6, 0.4, 0.25, 0.15, 0.08, 0.04, 0.02],
        "val_loss": [1.0, 0.7, 0.6, 0.65, 0.8, 0.95, 1.1, 1.3],
    }
    report = _run(tiny_model(), x, y, history=history)
    assert report.codes[0] == "overfitting"
    finding = report.findings[0]
    assert finding.evidence["best_epoch"] == 3 and finding.severity == "high"
    assert "early_stopping" in finding.fix
    assert report.history == history


def test_underfitting_from_history():
    x, y = make_data()
    history = {"loss": [1.10, 1.09, 1.08, 1.08, 1.07], "val_loss": [1.1] * 5}
    report = _run(tiny_model(), x, y, history=history)
    assert report.codes[0] == "underfitting"


def test_a_run_stopped_while_still_learning_is_underfitting():
    x, y = make_data()
    falling = [3.0 - 0.07 * i for i in range(30)]  # 0.07 a step to the last epoch
    history = {"loss": falling, "val_loss": [v + 0.3 for v in falling]}
    report = _run(tiny_model(), x, y, history=history)
    assert report.codes[0] == "underfitting", str(report)
    assert report.findings[0].severity == "medium"
    assert "still learning" in report.findings[0].title
    # The same end, reached by epoch 15 and flat since: converged, not underfitting.
    converged = [3.0 - 0.145 * i for i in range(15)] + [falling[-1]] * 15
    history = {"loss": converged, "val_loss": [v + 0.3 for v in converged]}
    assert "underfitting" not in _run(tiny_model(), x, y, history=history).codes


def test_healthy_history_is_healthy():
    x, y = make_data()
    history = {
        "loss": [1.0, 0.5, 0.3, 0.2, 0.15],
        "val_loss": [1.0, 0.6, 0.4, 0.3, 0.3],
    }
    assert _run(tiny_model(), x, y, history=history).healthy


def test_history_of_wrong_type():
    x, y = make_data()
    with pytest.raises(TypeError, match="`history` should be"):
        _run(tiny_model(), x, y, history=[1.0, 0.5])


def test_overfitting_from_a_long_slow_rise_is_at_least_medium():
    # Best val loss a third into the run, then a slow but steady 10% rise while
    # the training loss goes to ~0: clearly overfit, though the rise is small.
    x, y = make_data()
    epochs = 60
    train = [0.7 * 0.9**e for e in range(epochs)]
    val = [0.5 - 0.01 * e for e in range(20)]  # best: 0.31 at epoch 20
    val += [0.31 * (1 + 0.1 * k / 40) for k in range(1, epochs - 19)]
    report = _run(tiny_model(), x, y, history={"loss": train, "val_loss": val})
    assert report.codes[0] == "overfitting", str(report)
    assert report.findings[0].severity in ("medium", "high")
    assert not report.healthy


def test_short_wobble_in_val_loss_stays_low():
    x, y = make_data()
    history = {
        "loss": [1.0, 0.6, 0.4, 0.3, 0.25, 0.22, 0.2, 0.19, 0.18, 0.17],
        "val_loss": [1.0, 0.6, 0.45, 0.4, 0.38, 0.36, 0.35, 0.34, 0.36, 0.38],
    }
    assert _run(tiny_model(), x, y, history=history).healthy


def test_wide_accuracy_gap_is_overfitting_though_val_loss_still_falls():
    # Training accuracy 30 points above validation accuracy and a validation
    # loss three times the training loss: high variance, whatever the trend.
    x, y = make_data()
    epochs = 12
    history = {
        "loss": [1.1 * 0.8**e for e in range(epochs)],
        "val_loss": [1.1 - 0.04 * e for e in range(epochs)],
        "accuracy": [0.4 + 0.05 * e for e in range(epochs)],
        "val_accuracy": [0.4 + 0.02 * e for e in range(epochs)],
    }
    report = _run(tiny_model(), x, y, history=history)
    assert report.codes[0] == "overfitting", str(report)
    assert report.findings[0].severity == "medium"
    assert report.findings[0].evidence["train_minus_val_accuracy"] >= 0.2
    # The same curves with validation accuracy 5 points behind: healthy.
    history["val_accuracy"] = [a - 0.05 for a in history["accuracy"]]
    history["val_loss"] = [v * 1.1 + 0.02 for v in history["loss"]]
    assert _run(tiny_model(), x, y, history=history).healthy


def _insufficient(
    per_class,
    gain,
    reference=None,
    reference_held_out=0,
    probe=None,
    *,
    learned=True,
    reference_gain=None,
):
    """check_insufficient_data on a 3-class set of `per_class` samples each: the
    probe's learning curve gains `gain` (its copy learned the labels when
    `learned`), the reference's `reference_gain`."""
    from types import SimpleNamespace

    from keras_seqfix.diagnosis._data_checks import check_insufficient_data
    from keras_seqfix.diagnosis._probe_result import ProbeResult

    ids = np.repeat(np.arange(3), per_class)
    measurements = {"learned_signal": learned}
    ref = None
    if reference is not None:
        measurements["reference_balanced_accuracy"] = reference
        measurements["reference_held_out"] = reference_held_out
        ref = {
            "balanced_accuracy": reference,
            "chance_balanced_accuracy": 1 / 3,
            "held_out": reference_held_out,
        }
    if reference_gain is not None:
        measurements["reference_learning_curve_gain"] = reference_gain
    acc, held_out = probe if probe is not None else (0.7, 9)
    ctx = SimpleNamespace(
        labels=SimpleNamespace(ids=ids),
        y=ids,
        measurements=measurements,
        reference=ref,
        probe=ProbeResult(
            val_acc_real=acc, val_acc_half=acc - gain, holdout_samples=held_out
        ),
    )
    return check_insufficient_data(ctx)


def test_a_steep_learning_curve_on_few_samples_is_insufficient_data():
    (finding,) = _insufficient(12, gain=0.3, reference=0.8, reference_held_out=36)
    assert finding.code == "insufficient_data" and finding.severity == "high"
    assert finding.evidence["best_held_out_accuracy"] == 0.8


def test_the_curve_of_a_copy_that_learned_nothing_is_not_evidence():
    # A learning rate of 1e-5 leaves both halves at chance: the curve is flat
    # for that reason, so only the count speaks (15 per class: low).
    steep = _insufficient(15, gain=0.3, learned=False)
    flat = _insufficient(15, gain=0.0, learned=False)
    assert [f.score for f in steep] == [f.score for f in flat] == [0.15]


def test_the_reference_curve_counts_when_the_copy_learned_nothing():
    # The reference, fitted to convergence, gains 0.2 from half the rows: more
    # data helps whatever the user's model does.
    (finding,) = _insufficient(
        15,
        gain=0.0,
        reference=0.6,
        reference_held_out=45,
        learned=False,
        reference_gain=0.2,
    )
    assert finding.severity == "high"
    # A reference at chance is no learner: its curve does not count.
    weak = _insufficient(
        15,
        gain=0.0,
        reference=0.34,
        reference_held_out=45,
        learned=False,
        reference_gain=0.2,
    )
    assert [f.score for f in weak] == [0.15]


def test_a_weak_learner_flat_curve_does_not_lower_the_prior():
    (finding,) = _insufficient(8, gain=0.0, reference=0.5, reference_held_out=24)
    assert finding.score == 0.45


@pytest.mark.parametrize(
    "reference, probe",
    [((1.0, 36), None), (None, (0.96, 24))],
    ids=["reference-learns-it", "full-data-probe-learns-it"],
)
def test_a_small_set_that_is_learned_held_out_is_not_short_of_data(reference, probe):
    # Steep curve, 12 per class: but a held-out accuracy within 0.05 of perfect
    # leaves more data nothing to add (a healthy BasicMotions model).
    ref, count = reference or (None, 0)
    assert _insufficient(12, 0.3, ref, count, probe) == []


def test_a_perfect_score_on_too_few_held_out_samples_is_not_evidence():
    (finding,) = _insufficient(12, gain=0.3, reference=1.0, reference_held_out=12)
    assert finding.severity == "high"


def _late_checks(counts, **probe):
    """{code: score} of class_imbalance and insufficient_data on class counts."""
    from types import SimpleNamespace

    from keras_seqfix.diagnosis._data_checks import LATE_DATA_CHECKS
    from keras_seqfix.diagnosis._probe_result import ProbeResult

    ids = np.repeat(np.arange(len(counts)), counts)
    ctx = SimpleNamespace(
        labels=SimpleNamespace(ids=ids),
        y=ids,
        measurements={},
        weighted=False,
        probe=ProbeResult(**probe),
    )
    return {f.code: f.score for check in LATE_DATA_CHECKS for f in check(ctx)}


def test_a_tiny_class_beside_a_large_one_is_imbalance_first():
    # Eight classes of 3-4 beside one of 90: the majority is not short of data.
    scores = _late_checks([3, 3, 90, 4, 3, 3, 4, 4, 3])
    assert scores["class_imbalance"] > scores["insufficient_data"] > 0
    # Every class tiny, none large: short of data first, as before.
    scores = _late_checks([3, 4, 3])
    assert scores == {"insufficient_data": 0.8}
    # 2, 2, 16, 2: the largest class is small too, so the shortage comes first.
    scores = _late_checks([2, 2, 16, 2])
    assert scores["insufficient_data"] > scores["class_imbalance"]


@pytest.mark.parametrize("held_out, moved", [(1, False), (8, True)])
def test_minority_recall_moves_imbalance_only_when_enough_were_held_out(
    held_out, moved
):
    # A recall of 1.0 on one held-out sample is chance; on eight it is evidence.
    scores = _late_checks([200, 12], minority_recall=1.0, minority_holdout=held_out)
    assert scores["class_imbalance"] == pytest.approx(0.4 if moved else 0.55)
