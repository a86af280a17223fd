import csv
import subprocess
import sys
import warnings

import keras
import numpy as np
import pytest

from keras_seqfix._backend.gradient_tap import GuardedTrainFunction
from keras_seqfix._backend.gradients import compute_gradients
from keras_seqfix.callbacks import GradientNormMonitor


def _data(n=16, steps=6):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, steps, 2)).astype("float32")
    return x, rng.integers(0, 3, n)


def _model(jit_compile=False, lr=0.05):
    model = keras.Sequential(
        [
            keras.Input((6, 2)),
            keras.layers.LSTM(4, name="rnn"),
            keras.layers.Dense(5, activation="tanh", name="hidden"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ]
    )
    model.compile(
        keras.optimizers.SGD(lr),
        "sparse_categorical_crossentropy",
        jit_compile=jit_compile,
    )
    return model


def _fit(model, monitor, x, y, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(
            x, y, verbose=0, callbacks=[monitor], shuffle=False, **kwargs
        )
    ours = [str(w.message) for w in caught if "GradientNormMonitor" in str(w.message)]
    return history, ours


@pytest.mark.parametrize("jit_compile", [False, True])
def test_norms_equal_gradient_tape_on_same_batch(jit_compile):
    model = _model(jit_compile)
    x, y = _data()
    weights = [np.array(w) for w in model.get_weights()]
    # compute_gradients equals tf.GradientTape (tests/_backend/test_gradients.py)
    # and NumPy backpropagation on every backend (tests/backends).
    _, grads = compute_gradients(model, x, y)
    owner = {id(v): layer.name for layer in model.layers for v in layer.weights}
    expected = {"rnn": 0.0, "hidden": 0.0, "out": 0.0}
    for variable, grad in zip(model.trainable_variables, grads, strict=True):
        expected[owner[id(variable)]] += float(np.sum(grad**2))
    monitor = GradientNormMonitor(update_ratio=True, per_batch=True)
    history, _ = _fit(model, monitor, x, y, batch_size=16, epochs=1)
    logs = history.history
    for name, sq in expected.items():
        assert logs[f"grad_norm/{name}"][0] == pytest.approx(np.sqrt(sq), rel=1e-5)
    assert logs["grad_norm"][0] == pytest.approx(
        np.sqrt(sum(expected.values())), rel=1e-5
    )
    # SGD: the update is lr * grad, so the ratio is lr * |g| / |w|.
    out = [
        w
        for v, w in zip(model.trainable_variables, weights, strict=True)
        if "out" in v.path
    ]
    w_norm = np.sqrt(sum(np.sum(w**2) for w in out))
    ratio = 0.05 * np.sqrt(expected["out"]) / w_norm
    assert logs["update_ratio/out"][0] == pytest.approx(ratio, rel=1e-4)
    assert monitor.batch_history["grad_norm"] == pytest.approx(logs["grad_norm"])


def test_epoch_means_in_history_and_summary():
    model = _model()
    x, y = _data(32)
    monitor = GradientNormMonitor()
    history, ours = _fit(model, monitor, x, y, batch_size=8, epochs=2)
    assert ours == []
    assert len(history.history["grad_norm/rnn"]) == 2
    assert monitor.layer_names == ["rnn", "hidden", "out"]
    assert not any(k.startswith("update_ratio") for k in history.history)
    text = monitor.summary()
    assert "rnn" in text and "No vanishing or exploding" in text


def test_vanishing_on_deep_saturated_recurrent_stack():
    layers = [
        keras.layers.SimpleRNN(8, activation="sigmoid", return_sequences=True)
        for _ in range(5)
    ]
    model = keras.Sequential(
        [
            keras.Input((30, 2)),
            *layers,
            keras.layers.SimpleRNN(8, activation="sigmoid"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(keras.optimizers.SGD(1e-3), "sparse_categorical_crossentropy")
    x, y = _data(32, steps=30)
    monitor = GradientNormMonitor()
    _, ours = _fit(model, monitor, x, y, batch_size=8, epochs=2)
    assert len(ours) == 1 and "vanishing gradients" in ours[0]
    assert "Fix:" in ours[0] and "LSTM" in ours[0]
    (problem,) = monitor.problems
    assert problem.code == "vanishing_gradients"
    assert problem.evidence["kind"] == "vanishing"
    assert problem.evidence["first_norm"] < problem.evidence["last_norm"]
    assert "LSTM" in problem.fix and "vanishing gradients" in problem.title
    assert problem.severity == "high"
    # The dict of earlier releases, for one release, with a warning.
    with pytest.warns(DeprecationWarning, match="problems"):
        assert "vanishing" in monitor.problems
    with pytest.warns(DeprecationWarning, match="problems"):
        assert monitor.problems["vanishing"] == ours[0]
    with pytest.warns(DeprecationWarning, match="problems"):
        assert list(monitor.problems.keys()) == ["vanishing"]
    with pytest.warns(DeprecationWarning), pytest.raises(KeyError):
        monitor.problems["exploding"]
    assert monitor.problems[0] is problem  # list indexing as usual


def test_exploding_on_bad_initialisation_and_stop_on_nonfinite():
    bad = keras.initializers.RandomNormal(stddev=3.0, seed=1)
    model = keras.Sequential(
        [
            keras.Input((30, 2)),
            keras.layers.SimpleRNN(
                16, activation="relu", kernel_initializer=bad, recurrent_initializer=bad
            ),
            keras.layers.Dense(3),
        ]
    )
    # Logits: on JAX and PyTorch Keras computes a softmax output's cross-entropy
    # from clipped probabilities, which turns these gradients into exact zeros.
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(keras.optimizers.SGD(1e-3), loss)
    x, y = _data(32, steps=30)
    monitor = GradientNormMonitor(stop_on_nonfinite=True)
    history, ours = _fit(model, monitor, x, y, batch_size=8, epochs=3)
    assert len(ours) == 1 and "exploding gradients" in ours[0]
    assert "clipnorm" in ours[0]
    assert len(history.history["loss"]) == 1  # stopped in the first epoch


def _train_with_monitor():
    model = _model()
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    counts = (len(model.variables), len(model.optimizer.variables))
    _fit(model, GradientNormMonitor(update_ratio=True), x, y, epochs=1)
    return model, counts


def test_nothing_left_on_model_or_optimizer():
    model, counts = _train_with_monitor()
    assert "apply" not in vars(model.optimizer)
    assert (len(model.variables), len(model.optimizer.variables)) == counts
    assert not any("ksf" in v.path for v in model.variables + model.optimizer.variables)


@pytest.mark.slow
def test_saved_model_loads_without_keras_seqfix(tmp_path):
    model, counts = _train_with_monitor()
    path = tmp_path / "model.keras"
    model.save(path)
    assert _load_elsewhere(path) == [str(n) for n in counts]


def _load_elsewhere(path):
    """Load `path` in a fresh Python without keras_seqfix; its variable counts."""
    code = (
        "import sys, keras\n"
        f"m = keras.saving.load_model({str(path)!r}, safe_mode=True)\n"
        "assert 'keras_seqfix' not in sys.modules\n"
        "print(len(m.variables), len(m.optimizer.variables))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.split()


def test_plot_and_argument_errors():
    plt = pytest.importorskip("matplotlib.pyplot")
    model = _model()
    x, y = _data()
    monitor = GradientNormMonitor()
    _fit(model, monitor, x, y, epochs=2)
    ax = monitor.plot()
    assert {line.get_label() for line in ax.get_lines()} >= {"rnn", "out", "global"}
    plt.close("all")
    with pytest.raises(ValueError, match="exploding_threshold"):
        GradientNormMonitor(exploding_threshold=0)


# --- interrupted fit, several monitors, logging order, stop_on_nonfinite -----------


class _RaiseAtEpochEnd(keras.callbacks.Callback):
    """Stands for any failure outside the train step (a callback, validation)."""

    def on_epoch_end(self, epoch, logs=None):
        raise RuntimeError("interrupted")


def _interrupted(model, monitor, x, y):
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(
            x,
            y,
            epochs=2,
            batch_size=8,
            verbose=0,
            callbacks=[monitor, _RaiseAtEpochEnd()],
        )
    return float(monitor._read()["count"])  # steps the monitor recorded


def _is_clean(model):
    return "apply" not in vars(model.optimizer) and not isinstance(
        model.train_function, GuardedTrainFunction
    )


@pytest.mark.parametrize("jit_compile", [False, True])
def test_fit_after_an_interrupted_fit_does_not_go_through_the_monitor(jit_compile):
    model = _model(jit_compile)
    x, y = _data()
    monitor = GradientNormMonitor()
    recorded = _interrupted(model, monitor, x, y)
    assert recorded == 2.0  # the two steps of epoch 0
    assert not _is_clean(model)  # on_train_end never ran: the tap is still there
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[])
    assert float(monitor._read()["count"]) == recorded  # not one step recorded
    assert _is_clean(model)
    # The same monitor in a later fit attaches again and records afresh.
    history = model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[monitor])
    assert np.isfinite(history.history["grad_norm"][0])
    assert float(monitor._read()["count"]) == 2.0
    assert _is_clean(model)


def test_train_on_batch_after_an_interrupted_fit_is_clean():
    model = _model()
    x, y = _data()
    monitor = GradientNormMonitor()
    recorded = _interrupted(model, monitor, x, y)
    model.train_on_batch(x, y)
    assert float(monitor._read()["count"]) == recorded
    assert _is_clean(model)


class _RaiseAtSecondBatchBegin(keras.callbacks.Callback):
    """Fails after the monitor's `on_train_batch_begin` armed it for a step."""

    def on_train_batch_begin(self, batch, logs=None):
        if batch == 1:
            raise RuntimeError("interrupted")


def test_a_step_armed_by_an_interrupted_fit_is_not_recorded_in_the_next():
    # The monitor armed itself for batch 1, which never ran: the next plain
    # `fit` must not count as that step (it belongs to another `fit`).
    model = _model()
    x, y = _data()
    monitor = GradientNormMonitor()
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(
            x,
            y,
            epochs=1,
            batch_size=8,
            verbose=0,
            callbacks=[monitor, _RaiseAtSecondBatchBegin()],
        )
    assert float(monitor._read()["count"]) == 1.0
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[])
    assert float(monitor._read()["count"]) == 1.0
    assert _is_clean(model)


def test_recompiled_after_an_interrupted_fit_records_nothing():
    # `compile` drops the guarded train function but keeps the optimizer and
    # its tap: the step traced next takes the tap off and records nothing.
    model = _model()
    x, y = _data()
    monitor = GradientNormMonitor()
    recorded = _interrupted(model, monitor, x, y)
    model.compile(model.optimizer, "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[])
    assert float(monitor._read()["count"]) == recorded
    assert _is_clean(model)


def test_interrupt_inside_a_step_detaches_at_once():
    class _CtrlC(keras.layers.Layer):
        calls = 0

        def call(self, inputs, training=False):
            # Count training steps only: the backends call a layer a different
            # number of times while they build the model.
            _CtrlC.calls += bool(training)
            if training and _CtrlC.calls == 2:  # the second training step
                raise KeyboardInterrupt
            return inputs

    model = keras.Sequential([keras.Input((6, 2)), _CtrlC(), keras.layers.LSTM(3)])
    model.compile(
        keras.optimizers.SGD(0.05), "sparse_categorical_crossentropy", run_eagerly=True
    )
    x, y = _data()
    with pytest.raises(KeyboardInterrupt):
        model.fit(
            x, y, epochs=1, batch_size=8, verbose=0, callbacks=[GradientNormMonitor()]
        )
    assert _is_clean(model)


def test_detach_by_hand_is_idempotent():
    model = _model()
    x, y = _data()
    monitor = GradientNormMonitor()
    monitor.detach()  # never attached: a no-op
    _interrupted(model, monitor, x, y)
    traced = model.train_function
    monitor.detach()
    assert _is_clean(model) and model.train_function is not traced
    rebuilt = model.train_function
    monitor.detach()
    assert model.train_function is rebuilt
    assert len(monitor.history["grad_norm"]) == 1  # what it recorded stays


@pytest.mark.slow
def test_model_saved_after_an_interrupted_fit_loads_without_keras_seqfix(tmp_path):
    model = _model()
    x, y = _data()
    counts = (len(model.variables), len(model.optimizer.variables))
    _interrupted(model, GradientNormMonitor(update_ratio=True), x, y)
    path = tmp_path / "model.keras"
    model.save(path)  # right after the interruption, nothing detached yet
    assert _load_elsewhere(path) == [str(n) for n in counts]


def test_two_monitors_in_one_fit_raise_and_leave_the_model_clean():
    model = _model()
    x, y = _data()
    first, second = GradientNormMonitor(), GradientNormMonitor()
    for callbacks in ([first, second], [first, first]):
        with pytest.raises(ValueError, match="One GradientNormMonitor per `fit`"):
            model.fit(x, y, epochs=1, verbose=0, callbacks=callbacks)
        assert _is_clean(model)
    history = model.fit(x, y, epochs=1, verbose=0, callbacks=[second])
    assert np.isfinite(history.history["grad_norm"][0])


def test_monitor_listed_before_csv_logger_reaches_the_csv(tmp_path):
    model = _model()
    x, y = _data()
    path = tmp_path / "log.csv"
    monitor = GradientNormMonitor()
    model.fit(
        x,
        y,
        epochs=2,
        verbose=0,
        callbacks=[monitor, keras.callbacks.CSVLogger(str(path))],
    )
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 2
    for key in ("grad_norm", "grad_norm/rnn", "grad_norm/out"):
        written = [float(row[key]) for row in rows]
        assert written == pytest.approx(monitor.history[key], rel=1e-6)


class _NaNInSecondEpoch(keras.utils.PyDataset):
    """Two batches per epoch; from epoch 1 on the second batch holds a NaN."""

    def __init__(self):
        super().__init__()
        self.x, self.y = _data()
        self.epoch = 0  # set by the callback below, at each epoch's begin

    def __len__(self):
        return 2

    def __getitem__(self, index):
        x = self.x[index * 8 : (index + 1) * 8].copy()
        if self.epoch >= 1 and index == 1:
            x[0, 0, 0] = np.nan
        return x, self.y[index * 8 : (index + 1) * 8]


@pytest.mark.parametrize("keep", ["checkpoint", "early_stopping"])
def test_stop_on_nonfinite_leaves_nan_weights_that_the_documented_fix_restores(
    tmp_path, keep
):
    from keras_seqfix.callbacks import early_stopping

    model = _model()
    first_epoch = []
    path = str(tmp_path / "best.weights.h5")
    keeper = {
        "checkpoint": keras.callbacks.ModelCheckpoint(
            path, monitor="loss", save_best_only=True, save_weights_only=True
        ),
        "early_stopping": early_stopping("quick", monitor="loss"),
    }[keep]
    data = _NaNInSecondEpoch()
    bookkeeping = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: setattr(data, "epoch", epoch),
        on_epoch_end=lambda epoch, logs: (
            epoch == 0 and first_epoch.extend(model.get_weights())
        ),
    )
    monitor = GradientNormMonitor(stop_on_nonfinite=True, warn=False)
    history = model.fit(
        data,
        epochs=5,
        verbose=0,
        shuffle=False,
        callbacks=[bookkeeping, monitor, keeper],
    )
    assert len(history.history["loss"]) == 2  # stopped in epoch 1
    if keep == "checkpoint":
        # The NaN step was applied before training stopped.
        assert not all(np.isfinite(w).all() for w in model.get_weights())
        model.load_weights(path)
    for restored, expected in zip(model.get_weights(), first_epoch, strict=True):
        np.testing.assert_array_equal(restored, expected)
