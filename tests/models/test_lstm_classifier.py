"""Tests for `build_lstm_classifier`: routes, masking, labels, saving, errors."""

import keras
import numpy as np
import pytest

from keras_seqfix.models import build_lstm_classifier

TINY = dict(units=4)


def _series(n=4, t=10, f=2, seed=0):
    return np.random.default_rng(seed).normal(size=(n, t, f)).astype("float32")


def _predict(model, x):
    # A direct call runs eagerly: the same layers as `predict` without tracing
    # and compiling a predict function per model (3-5x faster on tiny inputs).
    return keras.ops.convert_to_numpy(model(x, training=False))


def _fit(model, x, y, **kwargs):
    # Eager training steps: the same layers, loss and label checks, without
    # tracing a train function per model (10x faster on tiny inputs).
    model.run_eagerly = True
    return model.fit(x, y, epochs=1, verbose=0, **kwargs)


@pytest.mark.parametrize("pooling", ["last", "attention"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_numeric_shapes_and_softmax(pooling, cell):
    model = build_lstm_classifier(
        3, input_shape=(10, 2), pooling=pooling, cell=cell, **TINY
    )
    out = _predict(model, _series())
    assert out.shape == (4, 3)
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, atol=1e-5)


def _concat_sources(model):
    concat = model.get_layer("concat_branches")
    return [t._keras_history.operation.name for t in concat.input]


@pytest.mark.parametrize("branch_dropout, rate", [(None, 0.8), (0.5, 0.5)])
def test_recurrent_branch_is_dropped_before_joining_the_conv_branch(
    branch_dropout, rate
):
    # LSTM-FCN: dropout on the recurrent features only; the convolutional ones
    # go into the concatenation as they are.
    model = build_lstm_classifier(
        3, input_shape=(10, 2), branch_dropout=branch_dropout, **TINY
    )
    assert _concat_sources(model) == ["recurrent_branch_dropout", "conv_pooling"]
    assert model.get_layer("recurrent_branch_dropout").rate == rate


def test_branch_dropout_zero_joins_the_recurrent_features_directly():
    model = build_lstm_classifier(3, input_shape=(10, 2), branch_dropout=0.0, **TINY)
    assert _concat_sources(model) == ["lstm_0", "conv_pooling"]
    # 0.0 asks for nothing, so it is accepted where there is no branch to drop
    # (a rate above 0 there raises: tests/models/test_arguments.py).
    build_lstm_classifier(3, vocab_size=20, branch_dropout=0.0, **TINY)


def test_default_pooling_is_attention_for_tokens_and_last_state_for_series():
    token = build_lstm_classifier(2, vocab_size=20, **TINY)
    series = build_lstm_classifier(2, input_shape=(10, 2), **TINY)
    assert "attention_pooling" in [layer.name for layer in token.layers]
    assert "attention_pooling" not in [layer.name for layer in series.layers]
    # Explicit values win on either route.
    last = build_lstm_classifier(2, vocab_size=20, pooling="last", **TINY)
    assert "attention_pooling" not in [layer.name for layer in last.layers]
    attend = build_lstm_classifier(2, input_shape=(10, 2), pooling="attention", **TINY)
    assert "attention_pooling" in [layer.name for layer in attend.layers]


def test_token_shapes_stacked_unidirectional():
    model = build_lstm_classifier(
        2, vocab_size=30, embedding_dim=8, units=[6, 4], bidirectional=False
    )
    assert _predict(model, np.array([[1, 2, 3, 0]])).shape == (1, 2)
    assert [layer.name for layer in model.layers if "lstm" in layer.name] == [
        "lstm_0",
        "lstm_1",
    ]


@pytest.mark.parametrize("pooling", ["last", "attention"])
def test_token_padding_is_masked(pooling):
    model = build_lstm_classifier(2, vocab_size=20, pooling=pooling, **TINY)
    short = _predict(model, np.array([[4, 9, 2]]))
    padded = _predict(model, np.array([[4, 9, 2, 0, 0, 0]]))
    np.testing.assert_allclose(short, padded, atol=1e-5)


@pytest.mark.parametrize("pooling", ["last", "attention"])
def test_numeric_padding_is_masked_variable_length(pooling):
    model = build_lstm_classifier(2, input_shape=(None, 2), pooling=pooling, **TINY)
    x = _series(n=2, t=7)
    post = np.concatenate([x, np.zeros((2, 5, 2), "float32")], axis=1)
    pre = np.concatenate([np.zeros((2, 5, 2), "float32"), x], axis=1)
    full = _predict(model, x)
    # Both the recurrent and the convolutional branch ignore the padding.
    np.testing.assert_allclose(_predict(model, post), full, atol=1e-5)
    np.testing.assert_allclose(_predict(model, pre), full, atol=1e-5)


def test_numeric_interior_zero_step_is_not_padding():
    model = build_lstm_classifier(2, input_shape=(None, 1), **TINY)
    x = _series(n=1, t=6, f=1)
    x_zero = x.copy()
    x_zero[0, 3] = 0.0
    x_dropped = np.delete(x, 3, axis=1)
    assert not np.allclose(_predict(model, x_zero), _predict(model, x_dropped))


def test_embedding_matrix_loaded_and_frozen():
    matrix = np.random.default_rng(1).normal(size=(12, 5)).astype("float32")
    model = build_lstm_classifier(
        2,
        vocab_size=12,
        embedding_dim=5,
        embedding_matrix=matrix,
        trainable_embedding=False,
        **TINY,
    )
    embedding = model.get_layer("embedding")
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(embedding.embeddings), matrix
    )
    assert not embedding.trainable
    _fit(model, np.array([[1, 2, 3], [4, 5, 0]]), np.array([0, 1]))
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(embedding.embeddings), matrix
    )


def test_adapt_data_normalization_ignores_padding():
    x = _series(n=3, t=8) * 5 + 3
    x[:, 6:] = 0.0  # padding must not pull the mean towards zero
    model = build_lstm_classifier(2, input_shape=(8, 2), adapt_data=x, **TINY)
    norm = model.get_layer("input_normalization")
    expected = x[:, :6].reshape(-1, 2).mean(axis=0)
    np.testing.assert_allclose(
        np.ravel(keras.ops.convert_to_numpy(norm.mean)), expected, rtol=1e-5
    )


@pytest.mark.parametrize(
    "labels, loss_class, y",
    [
        ("sparse", keras.losses.SparseCategoricalCrossentropy, np.array([0, 2, 1, 0])),
        ("one_hot", keras.losses.CategoricalCrossentropy, np.eye(3)[[0, 2, 1, 0]]),
    ],
)
def test_labels_choose_matching_loss(labels, loss_class, y):
    model = build_lstm_classifier(3, input_shape=(10, 2), labels=labels, **TINY)
    assert isinstance(model.loss, loss_class)
    history = _fit(model, _series(), y)
    assert np.isfinite(history.history["loss"][0])
    assert "accuracy" in history.history


@pytest.mark.parametrize(
    "labels, y, match",
    [
        ("sparse", np.eye(3)[[0, 1, 2, 0]], "labels='one_hot'"),
        ("sparse", np.array([0, 1, 3, 0]), "num_classes"),
        ("sparse", np.array([0.0, 0.5, 1.0, 2.0]), "labels='one_hot'"),
        ("sparse", np.array([-1, 0, 1, 2]), "class ids in"),
        ("one_hot", np.array([0, 1, 2, 0]), "labels='sparse'"),
        ("one_hot", np.eye(4)[[0, 1, 2, 0]], "3 columns"),
    ],
)
def test_wrong_label_format_raises_clear_error(labels, y, match):
    model = build_lstm_classifier(3, input_shape=(10, 2), labels=labels, **TINY)
    with pytest.raises(ValueError, match=match):
        _fit(model, _series(), y)


def test_wrong_validation_labels_raise():
    model = build_lstm_classifier(3, input_shape=(10, 2), **TINY)
    with pytest.raises(ValueError, match="validation_data"):
        _fit(
            model,
            _series(),
            np.array([0, 1, 2, 0]),
            validation_data=(_series(), np.eye(3)[[0, 1, 2, 0]]),
        )


def test_float_integer_ids_are_accepted():
    model = build_lstm_classifier(3, input_shape=(10, 2), **TINY)
    _fit(model, _series(), np.array([0.0, 1.0, 2.0, 0.0]))


@pytest.mark.parametrize("route", ["numeric", "token"])
def test_save_load_safe_mode_predicts_the_same(route, tmp_path):
    if route == "numeric":
        model = build_lstm_classifier(
            2, input_shape=(None, 2), pooling="attention", l2=1e-4, **TINY
        )
        x, y = _series(), np.array([0, 1, 0, 1])
        _fit(model, x, y)
        # Through the compiled predict function, as users run it (the slow
        # GunPoint test trains through the compiled train function).
        expected = model.predict(x, verbose=0)
    else:
        model = build_lstm_classifier(2, vocab_size=15, **TINY)
        x, y = (
            np.array([[1, 2, 0], [3, 4, 5], [6, 0, 0], [7, 8, 9]]),
            np.array([0, 1, 0, 1]),
        )
        _fit(model, x, y)
        expected = _predict(model, x)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(_predict(loaded, x), expected, atol=1e-6)
    # The reloaded model still checks its labels.
    with pytest.raises(ValueError, match="labels='one_hot'"):
        _fit(loaded, x, np.eye(2)[y])


def test_compile_false_leaves_model_uncompiled():
    model = build_lstm_classifier(2, input_shape=(5, 1), compile=False, **TINY)
    assert not model.compiled


def test_learning_rate_is_used():
    model = build_lstm_classifier(2, input_shape=(5, 1), learning_rate=3e-4, **TINY)
    assert float(model.optimizer.learning_rate) == pytest.approx(3e-4)
