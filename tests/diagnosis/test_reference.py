"""The reference of `diagnose` (what the data supports) and the causes that read it:
`architecture_mismatch`, `noisy_labels`, the per-class view. Synthetic data unlike
the benchmarks: sine frequencies, token markers, a square moving left or right."""

import json
import math
import types

import keras
import numpy as np
import pytest

import keras_seqfix as ksf
from keras_seqfix._labels import label_info
from keras_seqfix.diagnosis import _reference_checks
from keras_seqfix.diagnosis._inputs import Context
from keras_seqfix.diagnosis._reference import fit_reference
from keras_seqfix.diagnosis.finding import Finding


def _context(x, y, x_val=None, y_val=None, seed=0):
    ctx = Context(None, x, y, label_info(y), None, seed=seed)
    if x_val is not None:
        ctx.x_val, ctx.y_val, ctx.val_ids = x_val, y_val, label_info(y_val).ids
    return ctx


def _sines(n=120, steps=48, seed=0):
    """Class = frequency; level and scale equal across classes."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    t = np.arange(steps)
    freq = np.where(y == 1, 0.4, 0.15)[:, None]
    x = np.sin(freq * t + rng.uniform(0, 2 * np.pi, (n, 1)))
    x = x + 0.3 * rng.normal(size=(n, steps))
    return x[..., None].astype("float32"), y.astype("int64")


def _tokens(n=200, steps=20, seed=0):
    """Class 1 sequences hold marker token 7 somewhere; padding is 0."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.integers(8, 60, size=(n, steps))
    x[:, -3:] = 0
    where = rng.integers(0, steps - 3, n)
    x[y == 1, where[y == 1]] = 7
    return x.astype("int64"), y.astype("int64")


def _clips(n=48, frames=6, size=12, seed=0):
    """A bright square moving right (class 1) or left (class 0): only the frame
    order tells the classes apart (every frame alone is alike)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = 0.1 * rng.random((n, frames, size, size, 1)).astype("float32")
    for i in range(n):
        row = rng.integers(0, size - 3)
        for f in range(frames):
            col = f * 2 if y[i] == 1 else (frames - 1 - f) * 2
            x[i, f, row : row + 3, col : col + 3, 0] = 1.0
    return x, y.astype("int64")


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (_sines, "MiniRocket + ridge"),
        (_tokens, "TF-IDF + ridge"),
        (_clips, "frame grid + ridge"),
    ],
)
def test_reference_learns_each_kind_of_data_and_is_at_chance_on_random_labels(
    make, name
):
    x, y = make()
    ref = fit_reference(_context(x, y), max_samples=2000)
    assert ref["name"] == name
    assert ref["balanced_accuracy"] >= 0.9, ref
    assert ref["split"].startswith("leave-one-out")
    random_y = np.random.default_rng(1).permutation(y)
    chance = fit_reference(_context(x, random_y), max_samples=2000)
    assert chance["balanced_accuracy"] <= 0.7, chance


def test_reference_sees_a_label_carried_by_the_level_alone():
    # MiniRocket's kernels sum to zero and cannot see a series' level: the
    # reference's summary features must.
    rng = np.random.default_rng(0)
    y = np.arange(80) % 2
    x = rng.normal(size=(80, 30, 1)).astype("float32") + y[:, None, None] * 0.8
    ref = fit_reference(_context(x, y.astype("int64")), max_samples=2000)
    assert ref["balanced_accuracy"] >= 0.85


def test_reference_scores_on_validation_data_when_given_and_is_deterministic():
    x, y = _sines(160)
    ctx = _context(x[:100], y[:100], x[100:], y[100:])
    first = fit_reference(ctx, max_samples=2000)
    again = fit_reference(
        _context(x[:100], y[:100], x[100:], y[100:]), max_samples=2000
    )
    assert first["split"] == "validation_data, 60 samples"
    assert first["held_out"] == 60
    assert first["accuracy"] == again["accuracy"]
    np.testing.assert_array_equal(ctx.reference_rows, np.arange(100))


def test_reference_sample_is_capped_and_stratified():
    x, y = _tokens(400)
    ctx = _context(x, y)
    ref = fit_reference(ctx, max_samples=100)
    assert ref["samples"] == len(ctx.reference_rows) == 100
    assert np.bincount(y[ctx.reference_rows]).tolist() == [50, 50]


def _trained_mean_model(x, y, epochs=4):
    """A model that sees only the mean over time: it cannot tell sine frequencies."""
    model = keras.Sequential(
        [
            keras.Input(x.shape[1:]),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=epochs, verbose=0)
    return model, history


def test_architecture_mismatch_when_a_trained_model_is_far_below_the_reference():
    x, y = _sines(160)
    model, history = _trained_mean_model(x[:120], y[:120])
    report = ksf.diagnose(
        model,
        x[:120],
        y[:120],
        validation_data=(x[120:], y[120:]),
        history=history,
        probe=False,
        verbose=0,
    )
    assert report.codes[0] == "architecture_mismatch"
    finding = report.findings[0]
    assert finding.evidence["reference_balanced_accuracy"] >= 0.9
    assert finding.evidence["model_balanced_accuracy"] <= 0.7
    assert "build_rocket_classifier" in finding.fix
    ref = report.reference
    assert ref["model_scored_on"] == "validation_data"
    assert "Reference (MiniRocket + ridge" in str(report)
    view = report.per_class
    assert set(view["recall"]) == {0, 1}
    losses = [row["loss"] for row in view["top_losses"]]
    assert losses == sorted(losses, reverse=True)
    assert all(0 <= row["index"] < 40 for row in view["top_losses"])
    assert "Per class" in report.to_markdown()
    data = json.loads(json.dumps(report.to_dict()))
    assert data["reference"]["name"] == "MiniRocket + ridge"
    assert data["per_class"]["samples"] == 40


def test_an_untrained_model_is_not_compared_with_the_reference():
    x, y = _sines(80)
    model, _ = _trained_mean_model(x, y, epochs=0)
    report = ksf.diagnose(model, x, y, probe=False, verbose=0)
    assert "architecture_mismatch" not in report.codes
    assert report.per_class is None
    assert report.reference["balanced_accuracy"] >= 0.9
    assert any("untrained" in note for note in report.notes)


def test_noisy_labels_lists_mostly_the_flipped_samples_and_clean_labels_pass():
    x, y = _tokens(300, seed=2)
    rng = np.random.default_rng(3)
    flipped = rng.choice(len(y), 45, replace=False)
    noisy = y.copy()
    noisy[flipped] = 1 - noisy[flipped]
    ctx = _context(x, noisy)
    findings = _reference_checks.noisy_labels(ctx, fit_reference(ctx, max_samples=2000))
    assert [f.code for f in findings] == ["noisy_labels"]
    listed = [
        int(i) for i in findings[0].evidence["most_likely_mislabelled"].split(",")
    ]
    assert np.isin(listed, flipped).mean() >= 0.7
    assert findings[0].severity in ("medium", "high")
    clean = _context(x, y)
    assert (
        _reference_checks.noisy_labels(clean, fit_reference(clean, max_samples=2000))
        == []
    )


def test_random_labels_are_not_called_noisy_labels():
    # A reference at chance contradicts every label: that proves nothing.
    x, y = _sines(100)
    ctx = _context(x, np.random.default_rng(0).permutation(y))
    assert (
        _reference_checks.noisy_labels(ctx, fit_reference(ctx, max_samples=2000)) == []
    )


def test_a_reference_that_learns_the_labels_demotes_no_signal():
    finding = Finding("no_signal", "high", "no signal", {}, "fix", 0.8)
    reference = {
        "balanced_accuracy": 0.95,
        "chance_balanced_accuracy": 0.5,
        "held_out": 100,
    }
    _reference_checks.demote_no_signal([finding], reference)
    assert (
        finding.score < 0.4 and finding.evidence["reference_balanced_accuracy"] == 0.95
    )
    at_chance = Finding("no_signal", "high", "no signal", {}, "fix", 0.8)
    reference["balanced_accuracy"] = 0.52
    _reference_checks.demote_no_signal([at_chance], reference)
    assert at_chance.score == 0.8


def test_a_copy_that_learns_nothing_where_the_reference_learns_is_not_healthy():
    # The model discards its input (Rescaling by 0): the probe's copy stays at
    # chance, so `no_signal` is found and then demoted by the reference, which
    # learns the labels. The report must name the model, not read healthy.
    x, y = _sines(120)
    model = keras.Sequential(
        [
            keras.Input(x.shape[1:]),
            keras.layers.Rescaling(0.0),
            keras.layers.LSTM(4),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    report = ksf.diagnose(model, x, y, probe_steps=24, verbose=0)
    assert not report.healthy, str(report)
    assert "architecture_mismatch" in report.codes[:2], str(report)
    found = report.findings[report.codes.index("architecture_mismatch")]
    # At its initialisation the model gives one output for every sample: its
    # layers discard the inputs, which names the architecture with confidence.
    assert found.evidence["input_free"] is True and found.severity == "high"
    assert found.evidence["probe_copy_balanced_accuracy"] < 0.7
    assert found.evidence["reference_balanced_accuracy"] > 0.9
    # The reference answered whether x carries the labels: no shuffled probe.
    assert any(
        "shuffled-labels probe skipped: the reference" in n for n in report.notes
    )


@pytest.mark.parametrize("sigmoid", [True, False])
def test_class_probabilities_read_every_output_kind(sigmoid):
    units, activation = (1, "sigmoid") if sigmoid else (3, None)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(units, activation=activation)]
    )
    loss = (
        "binary_crossentropy"
        if sigmoid
        else keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    model.compile("adam", loss)
    from keras_seqfix.diagnosis._inputs import model_info

    ctx = Context(model, None, None, None, model_info(model, units))
    probs = _reference_checks.class_probabilities(
        ctx, np.random.default_rng(0).normal(size=(10, 4)).astype("float32")
    )
    assert probs.shape == (10, 2 if sigmoid else 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    assert (probs >= 0).all()


def test_diagnose_without_the_reference_states_none():
    x, y = _sines(40)
    model, _ = _trained_mean_model(x, y, epochs=1)
    report = ksf.diagnose(model, x, y, probe=False, reference=False, verbose=0)
    assert report.reference is None and report.per_class is None


def test_a_weak_reference_does_not_call_clean_labels_noisy():
    # Six overlapping classes, clean labels: the reference reaches about 0.5
    # balanced accuracy, and confident learning flags over a third of the labels,
    # its own errors. Where the reference still errs on the labels it keeps, it
    # is too weak a judge: no finding, and a note says why.
    rng = np.random.default_rng(0)
    y = np.arange(240) % 6
    t = np.arange(48)
    x = np.sin((0.1 + 0.05 * y)[:, None] * t + rng.uniform(0, 2 * np.pi, (240, 1)))
    x = (x + rng.normal(size=(240, 48)))[..., None].astype("float32")
    ctx = _context(x, y)
    reference = fit_reference(ctx, max_samples=2000)
    assert 0.3 < reference["balanced_accuracy"] < 0.8
    assert _reference_checks.noisy_labels(ctx, reference) == []
    assert ctx.measurements["label_issue_fraction"] > 0.2
    assert ctx.measurements["reference_error_on_unflagged"] > 0.15
    assert any("too weak a judge" in note for note in ctx.notes)


def _pooled_and_recurrent(x):
    pooled = keras.Sequential(
        [
            keras.Input(x.shape[1:]),
            keras.layers.Dense(4, activation="tanh"),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    recurrent = keras.Sequential(
        [
            keras.Input(x.shape[1:]),
            keras.layers.GRU(4),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    silent = keras.Sequential(
        [
            keras.Input(x.shape[1:]),
            keras.layers.Rescaling(0.0),
            keras.layers.GRU(4),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    return pooled, recurrent, silent


def test_order_free_tells_pooling_over_steps_from_a_recurrent_model():
    x, y = _sines(40, steps=16)
    pooled, recurrent, silent = _pooled_and_recurrent(x)
    ctx = _context(x, y)
    verdicts = []
    for model in (pooled, recurrent, silent):
        ctx.model = model
        verdicts.append(_reference_checks.order_free(ctx))
    # A model with one output for every input cannot be told: None, not True.
    assert verdicts == [True, False, None]
    assert _reference_checks.input_free(ctx) is True  # the silent model
    ctx.trained = True  # a trained model may have collapsed: not asked
    assert _reference_checks.input_free(ctx) is False
    ctx.trained, ctx.model = False, recurrent
    assert _reference_checks.input_free(ctx) is False
    tokens, labels = _tokens(40)
    bag = keras.Sequential(
        [
            keras.Input(tokens.shape[1:], dtype="int32"),
            keras.layers.Embedding(64, 4),
            keras.layers.GlobalMaxPooling1D(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    ctx = _context(tokens, labels)
    ctx.model = bag
    assert _reference_checks.order_free(ctx) is True


# A reference that learned the labels, as `fit_reference` reports it.
_LEARNED = {
    "balanced_accuracy": 0.95,
    "chance_balanced_accuracy": 0.5,
    "held_out": 100,
    "seconds": 1.0,
    "name": "MiniRocket + ridge",
}


def _gap_inputs(fitted, monkeypatch, model):
    x, y = _sines(40, steps=16)
    ctx = _context(x, y, x[:20], y[:20])
    ctx.model, ctx.reference_rows = model, np.arange(40)
    ctx.info = types.SimpleNamespace(units=2)  # what the builder fix reads
    monkeypatch.setattr(
        _reference_checks, "_training_balanced_accuracy", lambda ctx: fitted
    )
    reference = dict(_LEARNED)
    view = {"on": "validation_data", "balanced_accuracy": 0.6, "samples": 100}
    return ctx, reference, view


def test_a_model_that_fits_its_training_samples_is_overfitting_not_mismatched(
    monkeypatch,
):
    x, _ = _sines(4, steps=16)
    _, recurrent, _ = _pooled_and_recurrent(x)
    ctx, reference, view = _gap_inputs(1.0, monkeypatch, recurrent)
    [finding] = _reference_checks.architecture_mismatch(ctx, reference, view)
    assert finding.code == "overfitting"
    assert finding.evidence["model_train_balanced_accuracy"] == 1.0
    assert finding.evidence["reference_balanced_accuracy"] == 0.95
    # Fitting the training samples no better than the validation ones: the
    # model cannot reach what the reference reaches.
    ctx, reference, view = _gap_inputs(0.62, monkeypatch, recurrent)
    [finding] = _reference_checks.architecture_mismatch(ctx, reference, view)
    assert finding.code == "architecture_mismatch"
    assert "order_free" not in finding.evidence


def _copy_at_chance(model, findings):
    x, y = _sines(40, steps=16)
    ctx = _context(x, y)
    ctx.model = model
    ctx.info = types.SimpleNamespace(units=2, learning_rate=None)
    ctx.probe.val_bacc_real, ctx.probe.holdout_samples = 0.5, 100
    reference = dict(_LEARNED)
    findings = [Finding("no_signal", "high", "no signal", {}, "fix", 0.8), *findings]
    _reference_checks.demote_no_signal(findings, reference, ctx)
    return [f for f in findings if f.code == "architecture_mismatch"], ctx


def test_a_copy_that_learns_nothing_names_order_free_pooling_and_yields_to_causes():
    x, _ = _sines(4, steps=16)
    pooled, recurrent, _ = _pooled_and_recurrent(x)
    stalls = Finding("underfitting", "high", "cannot fit a batch", {}, "fix", 0.8)
    [order_free], _ = _copy_at_chance(pooled, [stalls])
    assert order_free.evidence["order_free"] is True
    assert order_free.score == 0.7 and "order of the steps" in order_free.title
    assert stalls.score == 0.6  # the failure it explains ranks below it
    stalls = Finding("underfitting", "high", "cannot fit a batch", {}, "fix", 0.8)
    [plain], _ = _copy_at_chance(recurrent, [stalls])
    assert plain.score == 0.45 and "order_free" not in plain.evidence
    # A model that fits a batch but whose copy learns nothing in the probe's
    # few steps may need more steps: low, below the alarm line.
    [alone], _ = _copy_at_chance(recurrent, [])
    assert alone.severity == "low"
    # A cause that by itself keeps the copy from learning explains it.
    low = Finding("lr_too_low", "medium", "rate too low", {}, "fix", 0.5)
    found, ctx = _copy_at_chance(recurrent, [low])
    assert found == [] and any("lr_too_low explains" in n for n in ctx.notes)
    # ... but not one found at low severity only.
    weak = Finding("lr_too_low", "low", "rate too low", {}, "fix", 0.3)
    found, _ = _copy_at_chance(recurrent, [weak])
    assert [f.code for f in found] == ["architecture_mismatch"]


def _ramps(n=60, steps=16, seed=0, by="order"):
    """Rising (class 1) or falling (class 0) ramps: the same values, so only the
    order tells them apart; `by="level"`: the class is the level, order-free."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    ramp = np.linspace(-1, 1, steps)
    if by == "order":
        x = np.where(y[:, None] == 1, ramp, ramp[::-1])
    else:
        x = rng.permutation(np.tile(ramp, (n, 1)).T).T + 1.5 * y[:, None]
    x = x + 0.2 * rng.normal(size=(n, steps))
    return x[..., None].astype("float32"), y.astype("int64")


def _untrained_copy_short_of_reference(x, y, model):
    """structural_mismatch on an untrained `model` whose probe copy, trained at a
    rate 20x yours, reached 0.55 balanced accuracy, beside a rate-too-low finding."""
    ctx = _context(x, y)
    reference = fit_reference(ctx, max_samples=200)
    ctx.model, ctx.trained = model, False
    ctx.info = types.SimpleNamespace(units=2, learning_rate=1e-3)
    ctx.probe.val_bacc_real, ctx.probe.holdout_samples = 0.55, 100
    ctx.probe.probe_lr = 2e-2
    slow = Finding("lr_too_low", "high", "rate too low", {}, "fix", 0.85)
    findings = [slow]
    _reference_checks.structural_mismatch(findings, reference, ctx)
    return [f for f in findings if f.code == "architecture_mismatch"], slow


def test_an_order_free_model_is_mismatched_only_where_the_order_carries_the_labels():
    x, y = _ramps()
    pooled, recurrent, _ = _pooled_and_recurrent(x)
    [found], slow = _untrained_copy_short_of_reference(x, y, pooled)
    assert found.score == 0.7 and found.evidence["order_free"] is True
    # Refitted on shuffled steps, the reference falls to near chance.
    assert found.evidence["reference_on_shuffled_steps"] < 0.75
    # The copy fell short at a rate 20x yours: the rate is not what binds.
    assert slow.score == pytest.approx(0.85 * 0.75, abs=1e-3)
    assert _untrained_copy_short_of_reference(x, y, recurrent)[0] == []
    # The level carries the class: an order-free model can read it, and a copy
    # short of the reference after a few steps is not the structure's fault.
    x, y = _ramps(by="level")
    found, slow = _untrained_copy_short_of_reference(x, y, pooled)
    assert found == [] and slow.score == 0.85


def test_an_order_free_model_is_mismatched_at_your_rate_when_no_rate_fits_a_batch():
    # The copy trained at your rate (nothing corrected), beside a rate-too-low
    # finding: where the one-batch overfit at the higher rate did not fit either,
    # the rate is not what binds an order-free model; where it fitted, the rate
    # explains the copy.
    from keras_seqfix.diagnosis._probe_result import BatchFit

    x, y = _ramps()
    pooled, _, _ = _pooled_and_recurrent(x)
    for higher_end, claimed in ((1.3, True), (0.2, False)):
        ctx = _context(x, y)
        reference = fit_reference(ctx, max_samples=200)
        ctx.model, ctx.trained = pooled, False
        ctx.info = types.SimpleNamespace(units=2, learning_rate=1e-3)
        ctx.measurements["expected_loss_at_init"] = math.log(2)
        ctx.probe.val_bacc_real, ctx.probe.holdout_samples = 0.5, 100
        ctx.probe.probe_lr = 1e-3
        ctx.probe.batch_best_lr = BatchFit(
            rate=5e-2, start=1.39, end=higher_end, completed=True
        )
        slow = Finding("lr_too_low", "high", "rate too low", {}, "fix", 0.85)
        findings = [slow]
        _reference_checks.structural_mismatch(findings, reference, ctx)
        found = [f for f in findings if f.code == "architecture_mismatch"]
        if claimed:
            assert found and found[0].score == 0.7
            assert slow.score == pytest.approx(0.85 * 0.75, abs=1e-3)
        else:
            assert found == [] and slow.score == 0.85
            assert any("lr_too_low explains" in n for n in ctx.notes)


def _markers(n, markers, seed):
    """Class c holds one of its own `markers` ids at step 5 among filler ids: a
    few markers are learned from few samples; many need many samples to cover."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.integers(1000, 1050, size=(n, 10))
    x[:, 5] = 1 + y * markers + rng.integers(0, markers, n)
    return x.astype("int64"), y.astype("int64")


def test_reference_learning_curve_is_steep_only_where_more_data_helps():
    gains = {}
    for markers in (3, 100):
        x, y = _markers(400, markers, seed=0)
        x_val, y_val = _markers(400, markers, seed=1)
        ref = fit_reference(_context(x, y, x_val, y_val), max_samples=2000)
        gains[markers] = ref["learning_curve_gain"]
    # Three markers per class: half the rows already hold them all.
    assert abs(gains[3]) < 0.05
    # A hundred: half the rows miss many that the validation samples use.
    assert gains[100] >= gains[3] + 0.05, gains


def test_padding_is_halved_where_the_probe_copy_reads_past_it():
    from keras_seqfix.diagnosis._probe_result import ProbeResult

    reference = {
        "balanced_accuracy": 0.62,
        "chance_balanced_accuracy": 1 / 3,
        "held_out": 500,
    }

    def padding_score(probe_bacc):
        finding = Finding("padding_without_mask", "medium", "pad", {}, "fix", 0.6)
        ctx = types.SimpleNamespace(
            probe=ProbeResult(val_bacc_real=probe_bacc, holdout_samples=500)
        )
        _reference_checks.padding_coped_with([finding], reference, ctx)
        return finding.score

    # A bidirectional copy at the reference's level: the padding is a risk.
    assert padding_score(0.61) == 0.3
    # A copy far below it (the LSTM ends on padding): the padding stays.
    assert padding_score(0.40) == 0.6
    # No probe: nothing to compare.
    assert padding_score(float("nan")) == 0.6


def test_the_out_of_fold_ranking_reads_order_not_the_argmax():
    from keras_seqfix.diagnosis._reference import _oof_ranking, sees_no_signal

    rng = np.random.default_rng(0)
    targets = (rng.random(800) < 0.12).astype(int)
    # Every argmax is the majority class, but the minority ranks higher: a
    # signal that balanced accuracy (0.5 here) cannot show and AUC does.
    ranked = np.stack([0.9 - 0.1 * targets, 0.1 + 0.1 * targets], axis=1)
    auc, se = _oof_ranking(ranked, targets)
    assert auc == 1.0 and 0.02 < se < 0.05
    noise = rng.random(800)
    auc, _ = _oof_ranking(np.stack([1 - noise, noise], axis=1), targets)
    assert abs(auc - 0.5) < 0.1
    at_chance = {
        "balanced_accuracy": 0.5,
        "chance_balanced_accuracy": 0.5,
        "held_out": 800,
        "oof_auc": auc,
        "oof_auc_chance_se": se,
    }
    assert sees_no_signal(at_chance)
    assert not sees_no_signal({**at_chance, "oof_auc": 1.0})
    assert not sees_no_signal({**at_chance, "balanced_accuracy": 0.9})
    assert not sees_no_signal({"accuracy": None})  # not measured: not claimed
    # A class of 19 is too small to read a ranking at chance as no signal.
    small = np.r_[np.zeros(200, int), np.ones(19, int)]
    assert _oof_ranking(np.full((219, 2), 0.5), small) is None
