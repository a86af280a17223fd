"""Tests for `build_lstm_classifier`: routes, masking, labels, saving, errors."""

import re

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


@pytest.mark.parametrize(
    "options",
    [
        dict(pooling="last", **TINY),
        dict(pooling="attention", **TINY),
        # Stacked, bidirectional and GRU stacks pass the mask on too.
        dict(units=[4, 3], bidirectional=True, cell="gru"),
        dict(units=[4, 3], pooling="attention", normalization=None),
    ],
)
def test_numeric_padding_is_masked_variable_length(options):
    model = build_lstm_classifier(2, input_shape=(None, 2), **options)
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
    # "accuracy" resolved for the label format, not a string Keras guesses from.
    (compiled,) = [m for m in model.metrics if m.name == "compile_metrics"]
    expected = (
        keras.metrics.SparseCategoricalAccuracy
        if labels == "sparse"
        else keras.metrics.CategoricalAccuracy
    )
    assert [type(m) for m in compiled.metrics] == [expected]


def test_stack_options_reach_the_layers():
    model = build_lstm_classifier(
        3,
        input_shape=(10, 2),
        units=[4, 3],
        bidirectional=True,
        recurrent_dropout=0.2,
        l1=1e-4,
        l2=1e-3,
    )
    wrapped = [x for x in model.layers if isinstance(x, keras.layers.Bidirectional)]
    assert [w.forward_layer.units for w in wrapped] == [4, 3]
    assert all(w.forward_layer.recurrent_dropout == 0.2 for w in wrapped)
    assert all(w.backward_layer.recurrent_dropout == 0.2 for w in wrapped)
    # Every kernel carries the penalty: one per recurrent layer and direction
    # (2 x 2), the 3 convolutions and the head.
    penalties = [float(keras.ops.convert_to_numpy(v)) for v in model.losses]
    assert len(penalties) == 8 and all(v > 0 for v in penalties)


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


IDS = np.array([0, 1, 2, 0])


def _dataset(y, weights=False):
    import tensorflow as tf

    parts = (_series(), y, np.ones(len(y))) if weights else (_series(), y)
    return tf.data.Dataset.from_tensor_slices(parts).batch(2)


class _Batches(keras.utils.PyDataset):
    def __init__(self, y):
        super().__init__()
        self.y = y

    def __len__(self):
        return 2

    def __getitem__(self, index):
        rows = slice(2 * index, 2 * index + 2)
        return _series()[rows], self.y[rows]


@pytest.mark.parametrize("where", ["x", "validation_data"])
@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize(
    "labels, y, match",
    [
        ("sparse", np.eye(3)[IDS], r"looks one-hot.*tf\.argmax.*labels='one_hot'"),
        ("one_hot", IDS, r"looks like integer class ids.*tf\.one_hot"),
        ("one_hot", np.eye(4)[IDS], r"should have 3 columns.*shape \(None, 4\)"),
        ("sparse", np.array(list("abca")), r"strings.*LabelEncoder.*StringLookup"),
    ],
)
def test_dataset_labels_are_checked_from_element_spec(labels, y, match, weights, where):
    model = build_lstm_classifier(3, input_shape=(10, 2), labels=labels, **TINY)
    ds = _dataset(y, weights=weights)
    with pytest.raises(ValueError, match=match) as info:
        if where == "x":
            _fit(model, ds, None, shuffle=False)
        else:
            good = IDS if labels == "sparse" else np.eye(3)[IDS]
            _fit(model, _series(), good, validation_data=ds, shuffle=False)
    assert f"`y` in `{where}` (the element_spec of a tf.data.Dataset)" in str(
        info.value
    )


def test_dataset_check_does_not_iterate_the_dataset():
    import tensorflow as tf

    pulled = []

    def one_shot():
        pulled.append(1)
        yield _series(), np.eye(3)[IDS]

    ds = tf.data.Dataset.from_generator(
        one_shot,
        output_signature=(
            tf.TensorSpec((None, 10, 2), tf.float32),
            tf.TensorSpec((None, 3), tf.float64),
        ),
    )
    model = build_lstm_classifier(3, input_shape=(10, 2), **TINY)
    with pytest.raises(ValueError, match="`y` in `x`"):
        _fit(model, ds, None, shuffle=False)
    assert pulled == []


@pytest.mark.parametrize(
    "labels, y",
    [
        # Float ids and float 0./1. rows are what many pipelines yield.
        ("sparse", IDS.astype("float32")),
        ("one_hot", np.eye(3, dtype="float32")[IDS]),
        ("one_hot", np.eye(3, dtype="int64")[IDS]),
    ],
)
def test_dataset_with_matching_labels_trains(labels, y):
    model = build_lstm_classifier(3, input_shape=(10, 2), labels=labels, **TINY)
    history = _fit(model, _dataset(y), None, shuffle=False, validation_data=_dataset(y))
    assert np.isfinite(history.history["val_loss"][0])


@pytest.mark.parametrize("method", ["fit", "evaluate", "validation_data"])
@pytest.mark.parametrize(
    "labels, y, match",
    [
        ("sparse", np.eye(3)[IDS], r"looks one-hot.*from `__getitem__`"),
        ("sparse", IDS + 0.5, "non-integer values"),
        ("sparse", np.array([3, 0, 1, 0]), r"class ids in \[0, 2\]"),
        ("one_hot", IDS, r"integer class ids.*from `__getitem__`"),
        ("one_hot", 2 * np.eye(3)[IDS], r"one-hot rows \(or probabilities"),
    ],
)
def test_pydataset_first_batch_labels_are_checked(labels, y, match, method):
    model = build_lstm_classifier(3, input_shape=(10, 2), labels=labels, **TINY)
    model.run_eagerly = True
    batches = _Batches(y)
    with pytest.raises(ValueError, match=match) as info:
        if method == "fit":
            model.fit(batches, verbose=0)
        elif method == "evaluate":
            model.evaluate(batches, verbose=0)
        else:
            good = IDS if labels == "sparse" else np.eye(3)[IDS]
            model.fit(_series(), good, validation_data=batches, verbose=0)
    where = "x" if method != "validation_data" else "validation_data"
    assert f"`y` in `{where}[0]` (the first batch of a keras.utils.PyDataset)" in str(
        info.value
    )


def test_generator_labels_are_left_unchecked_and_no_batch_is_consumed():
    # Documented: a generator cannot be peeked at without consuming it, so the
    # check leaves it alone and every batch it yields reaches training.
    model = build_lstm_classifier(3, input_shape=(10, 2), **TINY)
    taken = []

    def batches():
        for index in range(2):
            taken.append(index)
            yield _series(2, seed=index), IDS[:2]

    history = _fit(model, batches(), None, steps_per_epoch=2, shuffle=False)
    assert taken == [0, 1]
    assert np.isfinite(history.history["loss"][0])


class _CountedBatches(_Batches):
    def __init__(self, y):
        super().__init__(y)
        self.reads = []

    def __getitem__(self, index):
        self.reads.append(index)
        return super().__getitem__(index)


def test_validation_labels_are_checked_once_per_fit_not_every_epoch():
    # `fit` validates through `evaluate` each epoch: the check must not peek at
    # the validation PyDataset again there (a cost, and a side effect for a
    # loader that draws random numbers). At most one read more than Keras's own.
    reads = {}
    for kind in ("built", "plain"):
        model = build_lstm_classifier(3, input_shape=(10, 2), **TINY)
        if kind == "plain":
            model = keras.Model(model.inputs, model.outputs)  # no label checks
            model.compile("adam", "sparse_categorical_crossentropy")
        val = _CountedBatches(IDS)
        model.fit(_series(), IDS, epochs=3, validation_data=val, verbose=0)
        reads[kind] = val.reads
    assert reads["built"].count(1) == reads["plain"].count(1)
    assert reads["built"].count(0) == reads["plain"].count(0) + 1, reads


@pytest.mark.parametrize("labels", ["sparse", "one_hot"])
@pytest.mark.parametrize("dtype", [None, object])
def test_string_labels_raise_and_say_how_to_encode(labels, dtype):
    model = build_lstm_classifier(3, input_shape=(10, 2), labels=labels, **TINY)
    y = np.array(list("abca"), dtype=dtype)
    with pytest.raises(
        ValueError, match=r"`y` should hold.*Received: strings such as"
    ) as info:
        _fit(model, _series(), y)
    message = str(info.value)
    assert "ids 0..2" in message
    assert "sklearn.preprocessing.LabelEncoder" in message
    assert "keras.layers.StringLookup(num_oov_indices=0)" in message
    assert ("to_categorical(ids, 3)" in message) == (labels == "one_hot")


@pytest.mark.parametrize(
    "labels, y",
    [
        ("sparse", np.array([0.0, np.nan, 1.0, 2.0])),
        ("sparse", np.array([0.0, np.inf, 1.0, 2.0])),
        ("one_hot", np.where(np.eye(3)[IDS] == 1, np.nan, 0.0)),
    ],
)
def test_non_finite_labels_raise(labels, y):
    model = build_lstm_classifier(3, input_shape=(10, 2), labels=labels, **TINY)
    with pytest.raises(ValueError, match=r"`y` holds non-finite values.*isfinite"):
        _fit(model, _series(), y)


@pytest.mark.parametrize(
    "rows, why",
    [
        ([[2, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], r"outside \[0, 1\]"),
        ([[1.2, -0.2, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], r"outside \[0, 1\]"),
        ([[1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], "sums to 2"),
        ([[0, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], "sums to 0"),
        ([[0.5, 0.4, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], "sums to 0.9"),
    ],
)
def test_one_hot_rows_that_are_not_probabilities_raise(rows, why):
    model = build_lstm_classifier(3, input_shape=(10, 2), labels="one_hot", **TINY)
    with pytest.raises(ValueError, match=r"`y` should hold one-hot rows") as info:
        _fit(model, _series(), np.array(rows))
    assert re.search(why, str(info.value))
    assert "row 0" in str(info.value)
    assert "keras.utils.to_categorical(ids, 3)" in str(info.value)


def test_soft_one_hot_rows_are_accepted():
    model = build_lstm_classifier(3, input_shape=(10, 2), labels="one_hot", **TINY)
    smoothed = 0.9 * np.eye(3)[IDS] + 0.1 / 3  # label smoothing, rows sum to 1
    thirds = np.full((4, 3), 1 / 3, dtype="float16")  # sums to 1 within 1e-3
    _fit(model, _series(), smoothed)
    _fit(model, _series(), thirds)


@pytest.mark.parametrize("method", ["train_on_batch", "test_on_batch"])
@pytest.mark.parametrize(
    "labels, bad, good, match",
    [
        ("sparse", np.eye(3)[IDS], IDS, r"`y` looks one-hot.*np\.argmax"),
        ("one_hot", IDS, np.eye(3)[IDS], r"`y` looks like integer.*to_categorical"),
    ],
)
def test_on_batch_methods_check_labels(labels, bad, good, match, method):
    model = build_lstm_classifier(3, input_shape=(10, 2), labels=labels, **TINY)
    model.run_eagerly = True
    with pytest.raises(ValueError, match=match):
        getattr(model, method)(_series(), bad)
    loss = getattr(model, method)(_series(), good)
    assert np.isfinite(np.ravel(loss)[0])


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
