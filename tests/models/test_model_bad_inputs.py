"""Bad inputs to the builders and their models: refused, named, nothing changed.

The model-taking cases (token ids given to `fit`, `predict`, ...) also check
that the arrays and the model's weights and optimizer variables are
bit-identical after the refused call.
"""

import math

import numpy as np
import pytest

from keras_seqfix.models import (
    build_cnn_lstm,
    build_lstm_classifier,
    build_rocket_classifier,
)
from tests.bad_inputs import assert_refused

NAN, INF = math.nan, math.inf
TOKENS = dict(vocab_size=50, embedding_dim=4, units=4)
NUMERIC = dict(input_shape=(6, 2), units=4)
VIDEO = dict(input_shape=(3, 8, 8, 1), units=4)


def _with(value, where=(0, 0)):
    array = np.zeros((50, 4), "float32")
    array[where] = value
    return array


@pytest.mark.parametrize(
    "matrix",
    [
        pytest.param(_with(NAN), id="nan"),
        pytest.param(_with(INF, (7, 2)), id="inf"),
        pytest.param(_with(-INF, (49, 3)), id="minus-inf"),
        pytest.param(np.full((50, 4), NAN), id="all-nan"),
    ],
)
def test_embedding_matrix_with_non_finite_values(matrix):
    message = assert_refused(
        lambda: build_lstm_classifier(2, embedding_matrix=matrix, **TOKENS),
        ValueError,
        "embedding_matrix",
        arrays=(matrix,),
    )
    assert "NaN/inf" in message


def test_embedding_matrix_of_strings():
    matrix = np.full((50, 4), "x")
    assert_refused(
        lambda: build_lstm_classifier(2, embedding_matrix=matrix, **TOKENS),
        TypeError,
        "embedding_matrix",
        arrays=(matrix,),
    )


def _series(value=None, shape=(5, 6, 2)):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    if value is not None:
        x[1, 2, 0] = value
    return x


@pytest.mark.parametrize("value", [NAN, INF, -INF], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("builder", ["lstm", "rocket"])
def test_adapt_data_with_non_finite_values(builder, value):
    data = _series(value)
    if builder == "lstm":

        def call():
            return build_lstm_classifier(2, adapt_data=data, **NUMERIC)

    else:

        def call():
            return build_rocket_classifier(
                2, input_shape=(6, 2), adapt_data=data, num_features=84
            )

    assert_refused(call, ValueError, "adapt_data", arrays=(data,))


def test_adapt_data_of_strings():
    data = np.full((3, 6, 2), "a")
    for call in (
        lambda: build_lstm_classifier(2, adapt_data=data, **NUMERIC),
        lambda: build_rocket_classifier(2, input_shape=(6, 2), adapt_data=data),
    ):
        assert_refused(call, TypeError, "adapt_data", arrays=(data,))


@pytest.mark.parametrize(
    ("input_shape", "error", "dimension"),
    [
        ((4, -16, 16, 1), ValueError, "height"),
        ((4, 16, 0, 1), ValueError, "width"),
        ((4, 16, 16, 0), ValueError, "channels"),
        ((0, 16, 16, 1), ValueError, "frames"),
        ((4, 16.0, 16, 1), TypeError, "height"),
        ((4, None, 16, 1), TypeError, "height"),
        ((4, "16", 16, 1), TypeError, "height"),
    ],
)
def test_cnn_lstm_input_shape_dimensions(input_shape, error, dimension):
    message = assert_refused(
        lambda: build_cnn_lstm(2, input_shape=input_shape, units=4),
        error,
        f"input_shape[{['frames', 'height', 'width', 'channels'].index(dimension)}]"
        f" ({dimension})",
    )
    assert "Received:" in message


def test_cnn_lstm_input_shape_may_be_an_array():
    model = build_cnn_lstm(2, input_shape=np.array([3, 8, 8, 1]), units=4)
    assert model.input_shape == (None, 3, 8, 8, 1)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(dropout=1.0), ValueError, "dropout"),
        (dict(dropout=-0.1), ValueError, "dropout"),
        (dict(dropout=NAN), ValueError, "dropout"),
        (dict(dropout="0.3"), TypeError, "dropout"),
        (dict(recurrent_dropout=1.5), ValueError, "recurrent_dropout"),
        (dict(l1=-1e-3), ValueError, "l1"),
        (dict(l2=INF), ValueError, "l2"),
        (dict(l2="1e-4"), TypeError, "l2"),
        (dict(learning_rate=0), ValueError, "learning_rate"),
        (dict(learning_rate=-1e-3), ValueError, "learning_rate"),
        (dict(learning_rate=NAN), ValueError, "learning_rate"),
        (dict(learning_rate="1e-3"), TypeError, "learning_rate"),
        (dict(cell="rnn"), ValueError, "cell"),
        (dict(cell=None), TypeError, "cell"),
        (dict(pooling="max"), ValueError, "pooling"),
        (dict(labels="onehot"), ValueError, "labels"),
        (dict(labels=None), TypeError, "labels"),
        (dict(units=0), ValueError, "units"),
        (dict(units=[8, -1]), ValueError, "units"),
        (dict(units="8"), TypeError, "units"),
    ],
)
@pytest.mark.parametrize("route", ["tokens", "numeric", "video"])
def test_shared_builder_arguments(route, kwargs, error, name):
    base = {"tokens": TOKENS, "numeric": NUMERIC, "video": VIDEO}[route]
    builder = build_cnn_lstm if route == "video" else build_lstm_classifier
    arguments = {**base, **kwargs}
    assert_refused(lambda: builder(2, **arguments), error, name)


@pytest.mark.parametrize(
    ("num_classes", "error"),
    [(1, ValueError), (0, ValueError), (2.0, TypeError), ("2", TypeError)],
)
def test_num_classes(num_classes, error):
    assert_refused(
        lambda: build_lstm_classifier(num_classes, **TOKENS), error, "num_classes"
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(vocab_size=1), ValueError, "vocab_size"),
        (dict(vocab_size=50.0), TypeError, "vocab_size"),
        (dict(embedding_dim=0), ValueError, "embedding_dim"),
        (dict(embedding_dim="4"), TypeError, "embedding_dim"),
    ],
)
def test_token_route_sizes(kwargs, error, name):
    assert_refused(
        lambda: build_lstm_classifier(2, **{**TOKENS, **kwargs}), error, name
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(masking="yes"), ValueError, "masking"),
        (dict(masking=1), TypeError, "masking"),
        (dict(num_features=10), ValueError, "num_features"),
        (dict(seed="0"), TypeError, "seed"),
        (dict(labels="dense"), ValueError, "labels"),
        (dict(input_shape=(6, 0)), ValueError, "input_shape[1] (channels)"),
    ],
)
def test_rocket_arguments(kwargs, error, name):
    data = _series()
    arguments = {"input_shape": (6, 2), "adapt_data": data, **kwargs}
    assert_refused(
        lambda: build_rocket_classifier(2, **arguments), error, name, arrays=(data,)
    )


# --- token ids reaching the model: checked before Keras truncates or fails ----


@pytest.fixture(scope="module")
def token_model():
    return build_lstm_classifier(2, **TOKENS)


def _ids(shift=0, dtype="int64"):
    ids = np.random.default_rng(0).integers(1, 50, (8, 5)) + shift
    return ids.astype(dtype)


_Y = np.arange(8) % 2
_BAD_IDS = [
    pytest.param(_ids(dtype="float32") + 0.5, "non-integral", id="ids+0.5"),
    pytest.param(_ids(dtype="float64") + 0.25, "non-integral", id="ids+0.25"),
    pytest.param(np.where(_ids() > 40, np.nan, _ids()), "non-integral", id="nan"),
    pytest.param(_ids(shift=72), "vocab_size=", id="above-vocab"),
    pytest.param(np.full((8, 5), 50), "vocab_size=51", id="vocab-size"),
    pytest.param(-_ids(), "negative", id="negative"),
]


@pytest.mark.parametrize(("x", "fix"), _BAD_IDS)
@pytest.mark.parametrize(
    "method", ["fit", "evaluate", "predict", "train_on_batch", "test_on_batch"]
)
def test_token_ids_are_checked(token_model, method, x, fix):
    y = _Y.copy()
    calls = {
        "fit": lambda: token_model.fit(x, y, epochs=1, verbose=0),
        "evaluate": lambda: token_model.evaluate(x, y, verbose=0),
        "predict": lambda: token_model.predict(x, verbose=0),
        "train_on_batch": lambda: token_model.train_on_batch(x, y),
        "test_on_batch": lambda: token_model.test_on_batch(x, y),
    }
    message = assert_refused(
        calls[method], ValueError, "x", arrays=(x, y), model=token_model
    )
    assert "[0, 50)" in message and fix in message


def test_token_ids_in_validation_data_are_checked(token_model):
    x, bad = _ids(), _ids(shift=100)
    assert_refused(
        lambda: token_model.fit(x, _Y, validation_data=(bad, _Y), epochs=1, verbose=0),
        ValueError,
        "validation_data",
        arrays=(x, bad),
        model=token_model,
    )


def test_whole_float_token_ids_still_work(token_model):
    out = token_model.predict(_ids(dtype="float32"), verbose=0)
    assert out.shape == (8, 2) and np.all(np.isfinite(out))


def test_numeric_models_do_not_check_token_ids():
    model = build_lstm_classifier(2, **NUMERIC)
    out = model.predict(_series(shape=(2, 6, 2)) * 100, verbose=0)
    assert out.shape == (2, 2)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(trainable_embedding="no"), TypeError, "trainable_embedding"),
        (dict(compile="yes"), TypeError, "compile"),
        (dict(bidirectional="yes"), TypeError, "bidirectional"),
        (dict(name=3), TypeError, "name"),
        (dict(name="a/b"), ValueError, "name"),
    ],
)
def test_lstm_flags_and_name(kwargs, error, name):
    assert_refused(
        lambda: build_lstm_classifier(2, **{**TOKENS, **kwargs}), error, name
    )


def test_numeric_conv_branch_flag():
    assert_refused(
        lambda: build_lstm_classifier(2, conv_branch="yes", **NUMERIC),
        TypeError,
        "conv_branch",
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(freeze_backbone="yes"), TypeError, "freeze_backbone"),
        (dict(bidirectional=None), TypeError, "bidirectional"),
        (dict(compile="no"), TypeError, "compile"),
    ],
)
def test_cnn_lstm_flags(kwargs, error, name):
    assert_refused(lambda: build_cnn_lstm(2, **{**VIDEO, **kwargs}), error, name)


@pytest.mark.parametrize(
    ("alphas", "error", "name"),
    [
        ((-1.0, 1.0), ValueError, "alphas[0]"),
        ((0.1, NAN), ValueError, "alphas[1]"),
        ((0.0,), ValueError, "alphas[0]"),
        ((), ValueError, "alphas"),
        ("auto", TypeError, "alphas"),
        (1.0, TypeError, "alphas"),
        (("1",), TypeError, "alphas[0]"),
    ],
)
def test_rocket_alphas(alphas, error, name):
    data = _series()
    assert_refused(
        lambda: build_rocket_classifier(
            2, input_shape=(6, 2), adapt_data=data, alphas=alphas, num_features=84
        ),
        error,
        name,
        arrays=(data,),
    )


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: build_lstm_classifier(2, dropuot=0.3, **TOKENS), "dropuot"),
        (lambda: build_cnn_lstm(2, num_frames=3, **VIDEO), "num_frames"),
        (lambda: build_rocket_classifier(2, input_shape=(6, 2)), "adapt_data"),
        (lambda: build_lstm_classifier(), "num_classes"),
    ],
    ids=["unknown", "unknown-cnn", "missing", "missing-num_classes"],
)
def test_unknown_and_missing_arguments_list_the_valid_ones(call, name):
    message = assert_refused(call, TypeError, name)
    assert "Valid arguments:" in message or "required" in message


def test_unknown_argument_guesses_the_intended_one():
    message = assert_refused(
        lambda: build_lstm_classifier(2, dropuot=0.3, **TOKENS), TypeError, "dropuot"
    )
    assert "Did you mean `dropout`" in message


def test_valid_flags_still_work():
    model = build_lstm_classifier(
        2, conv_branch=1, bidirectional=np.bool_(False), compile=False, **NUMERIC
    )
    assert not model.compiled
