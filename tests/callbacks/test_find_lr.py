import contextlib
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_seqfix.callbacks import LRRangeFinder, find_lr


def _model(optimizer=None, steps_per_execution=1):
    model = keras.Sequential(
        [
            keras.Input((6, 2)),
            keras.layers.LSTM(4),
            keras.layers.BatchNormalization(),
            keras.layers.Dropout(0.2, seed=3),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(
        optimizer or keras.optimizers.Adam(1e-3),
        "sparse_categorical_crossentropy",
        steps_per_execution=steps_per_execution,
    )
    return model


def _data(n=64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 6, 2)).astype("float32")
    return x, (x[:, :, 0].mean(1) > 0).astype("int64") + (x[:, 0, 1] > 1)


def _state(model):
    variables = list(model.variables) + list(model.optimizer.variables)
    return [np.array(keras.ops.convert_to_numpy(v.value)) for v in variables]


def _assert_same(before, after):
    assert len(before) == len(after)
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)


def _trained_model():
    model = _model()
    x, y = _data()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # non-zero moments
    return model, x, y


def test_restores_exactly_after_diverging_run():
    model, x, y = _trained_model()
    before = _state(model)
    history = model.history
    result = find_lr(
        model, x, y, batch_size=8, start_lr=1e-3, end_lr=1e6, num_steps=40, verbose=0
    )
    assert result.diverged
    _assert_same(before, _state(model))
    assert model.history is history
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_restores_exactly_after_exception_mid_run(monkeypatch, error):
    model, x, y = _trained_model()
    before = _state(model)
    original = LRRangeFinder.on_train_batch_end

    def explode(self, batch, logs=None):
        original(self, batch, logs)
        if self._step == 5:
            raise error("interrupted")

    monkeypatch.setattr(LRRangeFinder, "on_train_batch_end", explode)
    with pytest.raises(error):
        find_lr(model, x, y, batch_size=8, num_steps=20, verbose=0)
    _assert_same(before, _state(model))


def test_nan_loss_stops_and_restores():
    model = _model(keras.optimizers.SGD(0.01))
    x, y = _data()
    # NaN arrays are refused up front (tests/callbacks/test_callback_bad_inputs.py); a
    # dataset is not read ahead, so its fourth batch gives a NaN loss.
    x[5 * 8] = np.nan

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            return x[i * 8 : (i + 1) * 8], y[i * 8 : (i + 1) * 8]

    model.build((None, 6, 2))
    model.optimizer.build(model.trainable_variables)
    before = _state(model)
    result = find_lr(model, Batches(), num_steps=30, verbose=0)
    assert result.diverged and 0 < len(result.lrs) < 30
    _assert_same(before, _state(model))


def test_accepts_tf_data_and_pydataset():
    x, y = _data()

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[i * 16 : (i + 1) * 16], y[i * 16 : (i + 1) * 16]

    for data in (tf.data.Dataset.from_tensor_slices((x, y)).batch(16), Batches()):
        model = _model()
        result = find_lr(model, data, num_steps=10, verbose=0)
        assert len(result.lrs) == 10
        np.testing.assert_allclose(result.lrs[[0, -1]], [1e-7, 10.0])


def test_shows_progbar_and_suggestion(capsys):
    model = _model()
    x, y = _data()
    find_lr(model, x, y, batch_size=16, num_steps=8, verbose=1)
    out = capsys.readouterr().out
    assert "8/8" in out and "Suggested learning rate" in out


def test_refuses_schedules_and_bad_inputs():
    x, y = _data()
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.9)
    with pytest.raises(ValueError, match="constant `learning_rate`"):
        find_lr(_model(keras.optimizers.Adam(schedule)), x, y, verbose=0)
    with pytest.raises(ValueError, match="`y` should be given"):
        find_lr(_model(), x, verbose=0)
    uncompiled = keras.Sequential([keras.Input((6, 2)), keras.layers.Flatten()])
    with pytest.raises(ValueError, match="should be compiled"):
        find_lr(uncompiled, x, y, verbose=0)


def test_array_batches_are_full_and_every_sample_is_drawn():
    # 70 samples in batches of 32: `fit` would end each epoch with a batch of 6
    # and slicing to whole batches would never show the last 6.
    from keras_seqfix.callbacks.find_lr import _FullBatches

    x, y = _data(70)
    ids = np.arange(70)
    batches = _FullBatches(([x, ids], y), batch_size=32, num_steps=9)
    assert len(batches) == 9
    seen = []
    for i in range(len(batches)):
        (xb, idb), yb = batches[i]
        assert xb.shape == (32, 6, 2) and yb.shape == (32,)
        np.testing.assert_array_equal(xb, x[idb])  # inputs and targets stay paired
        np.testing.assert_array_equal(yb, y[idb])
        seen.append(idb)
    # Each pass over the data is one permutation: the first 3 batches (96 draws)
    # hold every sample, and 9 batches (288 draws) every sample 4 or 5 times.
    np.testing.assert_array_equal(np.unique(np.concatenate(seen[:3])), ids)
    counts = np.bincount(np.concatenate(seen), minlength=70)
    assert counts.min() == 4 and counts.max() == 5, counts


def test_multi_input_arrays_run_and_restore_exactly():
    series = keras.Input((6, 2))
    extra = keras.Input((3,))
    h = keras.layers.Concatenate()([keras.layers.LSTM(4)(series), extra])
    model = keras.Model([series, extra], keras.layers.Dense(3, "softmax")(h))
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    x, y = _data(50)
    side = np.random.default_rng(1).normal(size=(50, 3)).astype("float32")
    model([x[:2], side[:2]])
    model.optimizer.build(model.trainable_variables)
    before = _state(model)
    result = find_lr(model, [x, side], y, batch_size=16, num_steps=12, verbose=0)
    assert len(result.lrs) > 0
    _assert_same(before, _state(model))


@contextlib.contextmanager
def _range_test_warnings():
    """The finder's warnings (Keras's own and its DeprecationWarnings left out)."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", UserWarning)
        ours = []
        yield ours
    ours.extend(str(w.message) for w in record if "range test" in str(w.message))


# Keras's torch trainer refuses steps_per_execution > 1.
_SEVERAL_PER_CALL = pytest.mark.backend("tensorflow", "jax")


@_SEVERAL_PER_CALL
def test_steps_per_execution_ramp_reaches_end_lr_and_suggests_sensibly():
    # Before, each call of 4 batches counted as one step: 25 points ending at
    # 1e-5 * 1e6 ** (24 / 99) = 2.8e-4 and a suggestion near start_lr.
    x, y = _data(256)
    suggestions = {}
    for per_call in (1, 4):
        keras.utils.set_random_seed(0)
        model = _model(steps_per_execution=per_call)
        model.build((None, 6, 2))
        model.optimizer.build(model.trainable_variables)
        before = _state(model)
        result = find_lr(
            model,
            x,
            y,
            batch_size=16,
            start_lr=1e-5,
            end_lr=10.0,
            num_steps=100,
            verbose=0,
        )
        _assert_same(before, _state(model))
        assert result.lrs[0] == pytest.approx(1e-5)
        if not result.diverged:
            assert len(result.lrs) == 100 // per_call
            assert result.lrs[-1] == pytest.approx(10.0)
        assert result.lrs[-1] > 1e-1
        suggestions[per_call] = result.suggestion
        # Sensible: inside the ramp, below the lowest smoothed loss.
        best = result.lrs[np.nanargmin(result.losses)]
        assert 1e-4 < result.suggestion < best
    # One point per 4 batches: the valley lands lower (5x here, 2x to 5x on
    # other seeds), the size of the spread between seeds, not 3 decades.
    ratio = suggestions[4] / suggestions[1]
    assert 1 / 10 < ratio < 2, suggestions


@pytest.mark.parametrize("per_call", [1, pytest.param(2, marks=_SEVERAL_PER_CALL)])
def test_progbar_counts_batches_and_prints_the_last_line_once(capsys, per_call):
    # With no divergence the final 8/8 line is printed once (it was twice); with
    # steps_per_execution=2 (4 points of 2 batches) the bar counts the batches.
    model = _model(steps_per_execution=per_call)
    x, y = _data()
    find_lr(model, x, y, batch_size=16, num_steps=8, verbose=1)
    out = capsys.readouterr().out
    assert out.count("8/8") == 1, out


class _NoLossModel(keras.Model):
    """A custom `train_step` whose logs lack "loss"."""

    def train_step(self, data):
        logs = super().train_step(data)
        return {"objective": logs["loss"]}


@pytest.mark.backend("tensorflow", "torch")
def test_custom_train_step_without_loss_raises_and_restores():
    inputs = keras.Input((6, 2))
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.LSTM(4)(inputs))
    model = _NoLossModel(inputs, outputs, name="no_loss_model")
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    x, y = _data()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # non-zero moments
    before = _state(model)
    with pytest.raises(ValueError, match=r"\['objective'\].*`\{\"loss\": loss"):
        find_lr(model, x, y, batch_size=8, num_steps=20, verbose=0)
    _assert_same(before, _state(model))
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)


def test_mixed_precision_refuses_schedule_and_restores_constant_rate():
    # Under "mixed_float16" compile wraps the optimizer in a LossScaleOptimizer;
    # the schedule used to reach Keras's raw "not settable" TypeError mid-run.
    x, y = _data()

    def dense(optimizer):
        model = keras.Sequential(
            [
                keras.Input((6, 2)),
                keras.layers.Flatten(),
                keras.layers.Dense(3, activation="softmax"),
            ]
        )
        model.compile(optimizer, "sparse_categorical_crossentropy")
        return model

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.9)
        model = dense(keras.optimizers.Adam(schedule))
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        with pytest.raises(ValueError, match="constant `learning_rate`"):
            find_lr(model, x, y, batch_size=8, num_steps=20, verbose=0)
        model = dense(keras.optimizers.Adam(1e-3))
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
        before = _state(model)
        result = find_lr(model, x, y, batch_size=8, num_steps=20, verbose=0)
        assert len(result.lrs) > 0
        _assert_same(before, _state(model))
        assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_refuses_generators_and_other_types():
    x, y = _data()

    def batches():
        while True:
            yield x[:8], y[:8]

    model = _model()
    with pytest.raises(TypeError, match="generator.*PyDataset.*from_generator"):
        find_lr(model, batches(), verbose=0)
    with pytest.raises(TypeError, match="`x` should be NumPy.*holding int"):
        find_lr(model, [[1, 2], [3, 4]], [0, 1], verbose=0)
    with pytest.raises(TypeError, match="`y` should be NumPy.*generator"):
        find_lr(model, x, iter(y), verbose=0)
    assert not model.optimizer.built  # nothing trained


@pytest.mark.backend("tensorflow")
def test_truncated_dataset_warns_and_restores():
    # A finite dataset of unknown cardinality: 4 batches for num_steps=100.
    x, y = _data()
    data = (
        tf.data.Dataset.from_tensor_slices((x, y)).batch(16).filter(lambda a, b: True)
    )
    assert int(data.cardinality()) < 0
    model, _, _ = _trained_model()
    before = _state(model)
    with _range_test_warnings() as messages:
        result = find_lr(model, data, num_steps=100, verbose=0)
    (message,) = messages
    assert "ran 4 of num_steps=100" in message and "dataset.repeat()" in message
    assert not result.diverged and len(result.lrs) == 4
    _assert_same(before, _state(model))
    empty = data.filter(lambda a, b: False)
    with _range_test_warnings() as messages:
        result = find_lr(model, empty, num_steps=100, verbose=0)
    assert len(messages) == 1 and "no point" in messages[0]
    assert np.isnan(result.suggestion)
    _assert_same(before, _state(model))


def test_complete_run_does_not_warn():
    model = _model()
    x, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        find_lr(model, x, y, batch_size=16, start_lr=1e-5, num_steps=10, verbose=0)
