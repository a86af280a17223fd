"""`diagnose` takes what `fit` takes: arrays, a `tf.data.Dataset`, a
`keras.utils.PyDataset` (`BalancedBatches` too) or a generator of `(x, y)` or
`(x, y, sample_weight)` batches, read up to `max_samples`; and the probe trainings
weigh the loss by `class_weight` and `sample_weight` as `fit` does."""

import keras
import numpy as np
import pytest

import keras_seqfix as ksf
from keras_seqfix.diagnosis import diagnose
from tests.diagnosis._synthetic import make_data, tiny_model


def _quick(model, x, y=None, **kwargs):
    kwargs.setdefault("probe", False)
    kwargs.setdefault("reference", False)
    return diagnose(model, x, y, verbose=0, **kwargs)


class _Batches(keras.utils.PyDataset):
    """A PyDataset that records what is asked of it."""

    def __init__(self, x, y, batch_size, weights=None):
        super().__init__()
        self.x, self.y, self.w, self.size = x, y, weights, batch_size
        self.asked, self.epochs_ended = [], 0

    def __len__(self):
        return int(np.ceil(len(self.x) / self.size))

    def __getitem__(self, index):
        self.asked.append(index)
        part = slice(index * self.size, (index + 1) * self.size)
        if self.w is None:
            return self.x[part], self.y[part]
        return self.x[part], self.y[part], self.w[part]

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_a_tf_data_dataset_gives_the_report_of_its_arrays():
    tf = pytest.importorskip("tensorflow")
    x, y = make_data(n=120)
    x[:, :, 0] *= 400  # a finding to compare: unscaled inputs
    by_arrays = _quick(tiny_model(), x, y)
    batched = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    by_batches = _quick(tiny_model(), batched)
    unbatched = _quick(tiny_model(), tf.data.Dataset.from_tensor_slices((x, y)))
    assert by_arrays.codes[0] == "unscaled_inputs"
    for report in (by_batches, unbatched):
        assert report.codes == by_arrays.codes
        assert report.measurements["samples"] == 120
        assert any("all of it" in note for note in report.notes)


def test_a_stream_is_read_up_to_max_samples_and_the_report_says_so():
    tf = pytest.importorskip("tensorflow")
    x, y = make_data(n=120)
    endless = tf.data.Dataset.from_tensor_slices((x, y)).repeat().batch(16)
    report = _quick(tiny_model(), endless, max_samples=50)
    assert report.measurements["samples"] == 50
    assert any("the first 50 (max_samples)" in note for note in report.notes)


def test_a_generator_is_consumed_only_up_to_max_samples():
    x, y = make_data(n=96)
    batches = ((x[i : i + 8], y[i : i + 8]) for i in range(0, 96, 8))
    report = _quick(tiny_model(), batches, max_samples=24)
    assert report.measurements["samples"] == 24
    assert any("consumed from your generator" in note for note in report.notes)
    following, _ = next(batches)  # three batches were read, no more
    np.testing.assert_array_equal(following, x[24:32])


def test_a_pydataset_is_read_from_batch_zero_and_not_advanced():
    x, y = make_data(n=96)
    data = _Batches(x, y, batch_size=16)
    report = _quick(tiny_model(), data, max_samples=40)
    assert data.asked == [0, 1, 2] and data.epochs_ended == 0
    assert report.measurements["samples"] == 40


def test_balanced_batches_are_diagnosed_without_touching_their_draw():
    x, y = make_data(n=120, classes=2)
    keep = np.concatenate([np.flatnonzero(y == 0), np.flatnonzero(y == 1)[:12]])
    x, y = x[keep], y[keep]
    batches = ksf.BalancedBatches(x, y, batch_size=16, random_state=0)
    before = [np.array(b[1]) for b in (batches[i] for i in range(len(batches)))]
    report = _quick(tiny_model(classes=2), batches)
    after = [np.array(b[1]) for b in (batches[i] for i in range(len(batches)))]
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    # The balanced stream holds both classes about equally: no imbalance to report.
    assert "class_imbalance" not in report.codes


def test_validation_data_may_be_a_stream():
    x, y = make_data(n=96)
    xv, yv = make_data(n=48, seed=1)
    data = _Batches(xv, yv, batch_size=16)
    report = _quick(tiny_model(), x, y, validation_data=data)
    by_arrays = _quick(tiny_model(), x, y, validation_data=(xv, yv))
    assert report.codes == by_arrays.codes
    assert any(note.startswith("validation_data: read 48") for note in report.notes)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m, d, x, y: _quick(m, d, y), "`y` should be None when `x` is a"),
        (lambda m, d, x, y: _quick(m, x), "`y` should be the labels of `x`"),
        (lambda m, d, x, y: _quick(m, iter([])), "at least one batch"),
        (lambda m, d, x, y: _quick(m, iter([x[:8]])), "`x` should yield `\\(x, y\\)`"),
        (
            lambda m, d, x, y: _quick(m, iter([(x[:8], y[:8]), (x[:8, :5], y[:8])])),
            "batches of one shape",
        ),
        (
            lambda m, d, x, y: _quick(m, x, y, sample_weight=np.ones(3)),
            "`sample_weight` should be one number per sample",
        ),
        (
            lambda m, d, x, y: _quick(
                m, x, y, sample_weight=np.where(y == 0, -1.0, 1.0)
            ),
            "`sample_weight` should be finite and non-negative",
        ),
        (
            lambda m, d, x, y: _quick(m, x, y, class_weight=[1.0, 2.0, 3.0]),
            "`class_weight` should be a dict",
        ),
        (
            lambda m, d, x, y: _quick(m, x, y, class_weight={0: 1.0, 1: float("nan")}),
            "`class_weight` should map integer class ids",
        ),
        (
            lambda m, d, x, y: _quick(
                m, _Batches(x, y, 16, np.ones(len(x))), sample_weight=np.ones(len(x))
            ),
            "`sample_weight` should be None when `x` is a stream",
        ),
    ],
)
def test_bad_streams_and_weights_are_refused_before_any_probe(call, match):
    x, y = make_data(n=48)
    model = tiny_model()
    weights = [keras.ops.convert_to_numpy(v) for v in model.weights]
    with pytest.raises((ValueError, TypeError), match=match):
        call(model, _Batches(x, y, 16), x, y)
    assert all(
        np.array_equal(a, keras.ops.convert_to_numpy(b))
        for a, b in zip(weights, model.weights, strict=True)
    )


def test_stream_sample_weights_count_as_weighting():
    x, y = make_data(n=220, classes=2)
    keep = np.concatenate([np.flatnonzero(y == 0), np.flatnonzero(y == 1)[:10]])
    x, y = x[keep], y[keep]
    weights = ksf.class_weights(y)
    per_sample = np.array([weights[int(c)] for c in y])
    plain = _quick(tiny_model(classes=2), _Batches(x, y, 16))
    weighted = _quick(tiny_model(classes=2), _Batches(x, y, 16, per_sample))
    imbalance = [f for f in plain.findings if f.code == "class_imbalance"]
    assert imbalance and imbalance[0].severity in ("high", "medium")
    assert all(
        f.severity in ("low", "info")
        for f in weighted.findings
        if f.code == "class_imbalance"
    )


@pytest.mark.parametrize(
    "labels, weighting",
    [("binary", "class_weight"), ("one_hot", "sample_weight"), ("sparse", "both")],
)
def test_every_probe_runs_with_weights(labels, weighting):
    x, y = make_data(n=96, classes=2)
    if labels == "binary":
        model = tiny_model(classes=1, loss="binary_crossentropy", activation="sigmoid")
        target = y.astype("float32")
    elif labels == "one_hot":
        model = tiny_model(classes=2, loss="categorical_crossentropy")
        target = np.eye(2, dtype="float32")[y]
    else:
        model = tiny_model(classes=2)
        target = y
    kwargs = {}
    if weighting in ("class_weight", "both"):
        kwargs["class_weight"] = {0: 1.0, 1: 3.0}
    if weighting in ("sample_weight", "both"):
        kwargs["sample_weight"] = np.linspace(0.5, 1.5, len(y))
    report = diagnose(
        model,
        x,
        target,
        probe_steps=12,
        lr_test=False,
        reference=False,
        verbose=0,
        **kwargs,
    )
    assert not report.missing, report.missing
    for key in ("loss_at_init", "batch_end", "val_acc_real", "val_acc_half"):
        assert key in report.measurements, key
