"""Bad inputs to the callbacks: each one refused with a sentence that names it.

`find_lr` cases also check that the arrays and the model (weights and optimizer
variables) are bit-identical after the refused call.
"""

import math
import pathlib
import re
import warnings

import keras
import numpy as np
import pytest

from keras_seqfix.callbacks import (
    GradientNormMonitor,
    LRFinderResult,
    LRRangeFinder,
    early_stopping,
    find_lr,
)
from tests.bad_inputs import assert_refused

NAN, INF = math.nan, math.inf


@pytest.mark.parametrize(
    ("overrides", "error", "name"),
    [
        (dict(patience="10"), TypeError, "patience"),
        (dict(patience=-1), ValueError, "patience"),
        (dict(patience=2.5), TypeError, "patience"),
        (dict(patience=None), TypeError, "patience"),
        (dict(min_delta=-0.1), ValueError, "min_delta"),
        (dict(min_delta=NAN), ValueError, "min_delta"),
        (dict(min_delta="0.01"), TypeError, "min_delta"),
        (dict(mode="minimum"), ValueError, "mode"),
        (dict(mode=None), TypeError, "mode"),
        (dict(monitor=3), TypeError, "monitor"),
        (dict(baseline=NAN), ValueError, "baseline"),
        (dict(baseline="0.5"), TypeError, "baseline"),
        (dict(start_from_epoch=-2), ValueError, "start_from_epoch"),
        (dict(start_from_epoch=1.5), TypeError, "start_from_epoch"),
        (dict(restore_best_weights="yes"), TypeError, "restore_best_weights"),
        (dict(verbose=5), ValueError, "verbose"),
        (dict(patiense=3), TypeError, "patiense"),
    ],
)
def test_early_stopping_overrides(overrides, error, name):
    message = assert_refused(lambda: early_stopping(**overrides), error, name)
    assert "Received" in message or "unexpected" in message


def test_early_stopping_string_patience_says_how_to_fix_it():
    message = assert_refused(
        lambda: early_stopping(patience="10"), TypeError, "patience"
    )
    assert "Received: patience='10' (str)" in message
    assert "e.g. patience=10" in message


@pytest.mark.parametrize(
    ("preset", "error"), [("fast", ValueError), (None, TypeError), (3, TypeError)]
)
def test_early_stopping_preset(preset, error):
    assert_refused(lambda: early_stopping(preset), error, "preset")


def test_early_stopping_valid_overrides_still_work():
    callback = early_stopping("quick", patience=np.int64(4), min_delta=0, verbose=True)
    assert callback.patience == 4 and callback.restore_best_weights


_RAMP = [
    (dict(start_lr=0), ValueError, "start_lr"),
    (dict(start_lr=-1e-3), ValueError, "start_lr"),
    (dict(start_lr=NAN), ValueError, "start_lr"),
    (dict(start_lr="1e-7"), TypeError, "start_lr"),
    (dict(end_lr=INF), ValueError, "end_lr"),
    (dict(end_lr=None), TypeError, "end_lr"),
    (dict(start_lr=1.0, end_lr=0.1), ValueError, "start_lr"),
    (dict(num_steps=1), ValueError, "num_steps"),
    (dict(num_steps=-5), ValueError, "num_steps"),
    (dict(num_steps=50.5), TypeError, "num_steps"),
    (dict(num_steps="100"), TypeError, "num_steps"),
    (dict(smoothing=1.0), ValueError, "smoothing"),
    (dict(smoothing=-0.1), ValueError, "smoothing"),
    (dict(smoothing=NAN), ValueError, "smoothing"),
    (dict(diverge_factor=1.0), ValueError, "diverge_factor"),
    (dict(diverge_factor=0.5), ValueError, "diverge_factor"),
    (dict(diverge_factor="4"), TypeError, "diverge_factor"),
    (dict(method="best"), ValueError, "method"),
    (dict(method=None), TypeError, "method"),
]


@pytest.mark.parametrize(("kwargs", "error", "name"), _RAMP)
def test_lr_range_finder_arguments(kwargs, error, name):
    assert_refused(lambda: LRRangeFinder(**kwargs), error, name)


def _thresholds():
    for name in ("vanishing_ratio", "vanishing_threshold", "exploding_threshold"):
        for value in (0, -1.0, NAN, INF):
            yield pytest.param(name, value, ValueError, id=f"{name}={value}")
        for value in ("1e3", None):
            yield pytest.param(name, value, TypeError, id=f"{name}={value!r}")
    for name in ("per_layer", "update_ratio", "per_batch", "stop_on_nonfinite"):
        yield pytest.param(name, "yes", TypeError, id=f"{name}='yes'")
    # An int where a bool is expected is refused (scikit-learn's validate_params
    # does the same): `1` is more often a misplaced threshold than a flag.
    for name in ("stop_on_nonfinite", "per_layer", "warn"):
        for value in (1, 0, np.int64(1)):
            yield pytest.param(name, value, TypeError, id=f"{name}={value!r}")


@pytest.mark.parametrize(("name", "value", "error"), list(_thresholds()))
def test_gradient_norm_monitor_arguments(name, value, error):
    assert_refused(lambda: GradientNormMonitor(**{name: value}), error, name)


def test_gradient_norm_monitor_int_flag_says_to_pass_a_bool():
    message = assert_refused(
        lambda: GradientNormMonitor(stop_on_nonfinite=1), TypeError, "stop_on_nonfinite"
    )
    assert "Received: stop_on_nonfinite=1 (int)" in message
    assert "e.g. stop_on_nonfinite=True" in message
    assert GradientNormMonitor(stop_on_nonfinite=np.bool_(True)).stop_on_nonfinite


@pytest.mark.parametrize(
    ("make", "wrong", "meant", "valid"),
    [
        (
            GradientNormMonitor,
            "threshold",
            "vanishing_threshold",
            "exploding_threshold",
        ),
        (GradientNormMonitor, "stop_on_nan", "stop_on_nonfinite", "per_layer"),
        (LRRangeFinder, "num_step", "num_steps", "divergence_factor"),
        (
            lambda **kw: find_lr(None, None, **kw),
            "batchsize",
            "batch_size",
            "class_weight",
        ),
    ],
    ids=["monitor-threshold", "monitor-stop_on_nan", "finder-num_step", "find_lr"],
)
def test_unknown_keyword_names_it_lists_the_valid_ones_and_guesses(
    make, wrong, meant, valid
):
    message = assert_refused(lambda: make(**{wrong: 1.0}), TypeError, wrong)
    assert f"`{meant}` instead of `{wrong}`" in message
    assert "Valid arguments:" in message and valid in message
    assert "self" not in message.split("Valid arguments:")[1]


@pytest.mark.parametrize(
    ("lrs", "losses", "raw"),
    [
        ([1e-3, 1e-2], [1.0], [1.0]),
        ([1e-3, 1e-2], [1.0, 0.9], [1.0]),
        ([1e-3], [1.0, 0.9], [1.0, 0.9]),
        ([[1e-3, 1e-2]], [[1.0, 0.9]], [[1.0, 0.9]]),
    ],
    ids=["losses-short", "raw-short", "lrs-short", "2-d"],
)
def test_lr_finder_result_lengths(lrs, losses, raw):
    message = assert_refused(
        lambda: LRFinderResult(lrs, losses, raw), ValueError, "losses"
    )
    assert "Received: lrs of shape" in message


def test_plot_install_hints_are_double_quoted():
    """`pip install "keras-seqfix[plot]"`: works in bash, zsh and Windows cmd."""
    root = pathlib.Path(__file__).resolve().parents[2] / "keras_seqfix"
    hints = []
    for path in root.rglob("*.py"):
        for line in path.read_text().splitlines():
            if "keras-seqfix[plot]" in line:
                hints.append((path.name, line.strip()))
    assert len(hints) >= 5
    for name, line in hints:
        assert re.search(r'pip install \\?"keras-seqfix\[plot\]\\?"|^"keras', line), (
            name,
            line,
        )


# --- find_lr: arguments, data and model, with nothing of the user's changed ----


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 4)).astype("float32")
    return x, (np.arange(48) % 3).astype("int64")


def _model(loss="sparse_categorical_crossentropy"):
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, activation="softmax")]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
    model.optimizer.build(model.trainable_variables)
    return model


@pytest.fixture
def model():
    return _model()


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(batch_size=-8), ValueError, "batch_size"),
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(batch_size="32"), TypeError, "batch_size"),
        (dict(batch_size=16.0), TypeError, "batch_size"),
        (dict(verbose="1"), TypeError, "verbose"),
        *_RAMP,
    ],
)
def test_find_lr_arguments(model, data, kwargs, error, name):
    x, y = data
    assert_refused(
        lambda: find_lr(model, x, y, **{"verbose": 0, **kwargs}),
        error,
        name,
        arrays=(x, y),
        model=model,
    )


def _bad_data(x, y):
    x_nan = x.copy()
    x_nan[3, 1] = np.nan
    x_inf = x.copy()
    x_inf[7, 0] = -np.inf
    y_nan = y.astype("float32")
    y_nan[2] = np.nan
    one_hot = keras.utils.to_categorical(y, 3)
    return [
        pytest.param(x_nan, y, {}, ValueError, "x", id="nan-in-x"),
        pytest.param(x_inf, y, {}, ValueError, "x", id="inf-in-x"),
        pytest.param(x, y_nan, {}, ValueError, "y", id="nan-in-y"),
        pytest.param(x, y[:10], {}, ValueError, "x", id="short-y"),
        pytest.param(x[:40], y, {}, ValueError, "x", id="short-x"),
        pytest.param(x, one_hot, {}, ValueError, "y", id="one-hot-for-sparse"),
        pytest.param(x, y + 3, {}, ValueError, "y", id="ids-above-range"),
        pytest.param(x, y - 1, {}, ValueError, "y", id="negative-ids"),
        pytest.param(x, y + 0.5, {}, ValueError, "y", id="fractional-ids"),
        pytest.param(
            x,
            y,
            {"sample_weight": -np.ones(48, "float32")},
            ValueError,
            "sample_weight",
            id="negative-sample-weight",
        ),
        pytest.param(
            x,
            y,
            {"sample_weight": np.ones(12, "float32")},
            ValueError,
            "sample_weight",
            id="short-sample-weight",
        ),
        pytest.param(x, None, {}, ValueError, "y", id="no-y"),
        pytest.param(x, y.astype(str), {}, ValueError, "y", id="string-labels"),
        pytest.param(iter([x]), y, {}, TypeError, "x", id="generator"),
        pytest.param(x[:, :3], y, {}, ValueError, "x", id="x-too-few-features"),
        pytest.param(x[:, :, None], y, {}, ValueError, "x", id="x-one-rank-too-many"),
        pytest.param(
            x,
            y,
            {"class_weight": {0: -1.0, 1: 1.0, 2: 1.0}},
            ValueError,
            "class_weight",
            id="negative-class-weight",
        ),
        pytest.param(
            x,
            y,
            {"class_weight": {0: 1.0, 1: np.nan, 2: 1.0}},
            ValueError,
            "class_weight",
            id="nan-class-weight",
        ),
        pytest.param(
            x,
            y,
            {"class_weight": {0: np.inf, 1: 1.0, 2: 1.0}},
            ValueError,
            "class_weight",
            id="inf-class-weight",
        ),
        pytest.param(
            x,
            y,
            {"class_weight": {0: 0.0, 1: 0.0, 2: 0}},
            ValueError,
            "class_weight",
            id="all-zero-class-weight",
        ),
        pytest.param(
            x,
            y,
            {"class_weight": {0: "1", 1: 1.0, 2: 1.0}},
            TypeError,
            "class_weight",
            id="string-class-weight",
        ),
        pytest.param(
            x,
            y,
            {"class_weight": [1.0, 2.0, 3.0]},
            TypeError,
            "class_weight",
            id="list-class-weight",
        ),
    ]


_X = np.random.default_rng(1).normal(size=(48, 4)).astype("float32")
_Y = np.arange(48) % 3


@pytest.mark.parametrize(("x", "y", "extra", "error", "name"), _bad_data(_X, _Y))
def test_find_lr_bad_data(model, x, y, extra, error, name):
    arrays = tuple(a for a in (x, y, *extra.values()) if isinstance(a, np.ndarray))
    assert_refused(
        lambda: find_lr(model, x, y, verbose=0, num_steps=5, **extra),
        error,
        name,
        arrays=arrays,
        model=model,
    )


def test_find_lr_wrong_x_shape_names_the_expected_and_received_shapes(model, data):
    x, y = data
    message = assert_refused(
        lambda: find_lr(model, x[:, :3], y, verbose=0, num_steps=5),
        ValueError,
        "x",
        arrays=(x, y),
        model=model,
    )
    assert "(None, 4)" in message and "(48, 3)" in message


def test_find_lr_negative_class_weight_names_the_class(model, data):
    x, y = data
    message = assert_refused(
        lambda: find_lr(
            model, x, y, verbose=0, num_steps=5, class_weight={0: 1.0, 2: -0.5}
        ),
        ValueError,
        "class_weight",
        model=model,
    )
    assert "class_weight[2]=-0.5" in message and "class 2" in message


def test_find_lr_valid_class_weight_still_runs(model, data):
    x, y = data
    result = find_lr(
        model, x, y, verbose=0, num_steps=8, class_weight={0: 0.0, 1: 2.0, 2: 1}
    )
    assert len(result.lrs) > 0


def test_find_lr_one_hot_labels_for_a_sparse_loss_say_how_to_fix_it(model, data):
    x, y = data
    message = assert_refused(
        lambda: find_lr(model, x, keras.utils.to_categorical(y, 3), verbose=0),
        ValueError,
        "y",
        model=model,
    )
    assert "np.argmax(y, axis=-1)" in message


def test_find_lr_sparse_labels_for_a_categorical_loss(data):
    x, y = data
    model = _model("categorical_crossentropy")
    assert_refused(
        lambda: find_lr(model, x, y, verbose=0),
        ValueError,
        "y",
        arrays=(x, y),
        model=model,
    )


def test_find_lr_refuses_a_model_without_a_loss(data):
    x, y = data
    model = _model(loss=None)
    message = assert_refused(
        lambda: find_lr(model, x, y, verbose=0), ValueError, "model", model=model
    )
    assert "loss=" in message


def test_find_lr_refuses_an_uncompiled_model(data):
    x, y = data
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    assert_refused(lambda: find_lr(model, x, y, verbose=0), ValueError, "model")


def test_find_lr_warns_when_the_batch_is_larger_than_the_data(model, data):
    x, y = data
    with pytest.warns(UserWarning, match=r"`batch_size` is larger.*48 samples"):
        result = find_lr(model, x, y, batch_size=100_000, num_steps=5, verbose=0)
    assert len(result.lrs) == 5


def test_find_lr_refuses_a_non_finite_first_loss_from_a_dataset(model, data):
    x, y = data
    bad = x.copy()
    bad[0] = np.nan  # a dataset is not read ahead: the first batch's loss is NaN

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return bad[i * 16 : (i + 1) * 16], y[i * 16 : (i + 1) * 16]

    message = assert_refused(
        lambda: find_lr(model, Batches(), num_steps=5, verbose=0),
        ValueError,
        "x",
        arrays=(bad, y),
        model=model,
    )
    assert "first batch" in message


def test_find_lr_valid_call_gives_no_warning(model, data):
    x, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        result = find_lr(model, x, y, batch_size=8, num_steps=5, verbose=0)
    assert len(result.lrs) == 5


def test_find_lr_leaves_per_timestep_labels_to_keras():
    # A tagger: (n, T) sparse labels for a (n, T, k) output are valid.
    model = keras.Sequential(
        [keras.Input((5, 4)), keras.layers.Dense(3, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 5, 4)).astype("float32")
    y = rng.integers(0, 3, (32, 5))
    result = find_lr(model, x, y, batch_size=8, num_steps=5, verbose=0)
    assert len(result.lrs) == 5
