"""class_weights and sample_weights: formulas, label formats and clear errors."""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils.class_weight import compute_class_weight

from keras_seqfix.imbalance import class_weights, sample_weights

counts_strategy = st.lists(st.integers(1, 60), min_size=2, max_size=5)


def labels_from(counts):
    return np.repeat(np.arange(len(counts)), counts)


@settings(max_examples=25, deadline=None)
@given(
    counts=counts_strategy,
    method=st.sampled_from(["balanced", "effective_number", "inverse_sqrt"]),
)
def test_weights_keep_mean_sample_weight_one_and_favour_small_classes(counts, method):
    y = labels_from(counts)
    w = class_weights(y, method=method)
    assert sorted(w) == list(range(len(counts)))
    weights = np.array([w[c] for c in range(len(counts))])
    np.testing.assert_allclose(np.dot(weights, counts), len(y), rtol=1e-9)
    # A smaller class never gets a smaller weight.
    order = np.argsort(counts, kind="stable")
    assert np.all(np.diff(weights[order]) <= 1e-9)


def test_balanced_matches_scikit_learn():
    y = labels_from([50, 7, 13])
    expected = compute_class_weight(class_weight="balanced", classes=np.arange(3), y=y)
    np.testing.assert_allclose(list(class_weights(y).values()), expected)


def test_effective_number_formula_and_limits():
    y = labels_from([90, 10])
    w = class_weights(y, method="effective_number", beta=0.99, normalize=None)
    assert w[0] == pytest.approx(0.01 / (1 - 0.99**90))
    assert w[1] == pytest.approx(0.01 / (1 - 0.99**10))
    uniform = class_weights(y, method="effective_number", beta=0.0)
    assert uniform[0] == pytest.approx(uniform[1])
    near_balanced = class_weights(y, method="effective_number", beta=1 - 1e-9)
    assert near_balanced[1] / near_balanced[0] == pytest.approx(9.0, rel=1e-3)
    cui = class_weights(y, method="effective_number", normalize="classes")
    assert sum(cui.values()) == pytest.approx(2.0)


def test_inverse_sqrt_ratio():
    w = class_weights(labels_from([100, 4]), method="inverse_sqrt")
    assert w[1] / w[0] == pytest.approx(5.0)


def test_one_hot_equals_integer_labels():
    y = labels_from([30, 5, 9])
    assert class_weights(keras.utils.to_categorical(y, 3)) == class_weights(y)


@pytest.mark.parametrize(
    "y, error, match",
    [
        (np.zeros(10, dtype=int), ValueError, "at least 2 classes"),
        (np.array([0, 0, 2, 2]), ValueError, r"Class\(es\) \[1\] have none"),
        (np.array([0.0, 1.0, np.nan]), ValueError, "NaN"),
        (np.array(["ham", "spam", "ham"]), TypeError, "LabelEncoder"),
        (np.array([0, 1, -1]), ValueError, ">= 0"),
        (np.array([0.0, 0.5, 1.0]), ValueError, "whole-number"),
    ],
)
def test_bad_labels_raise_clear_errors(y, error, match):
    with pytest.raises(error, match=match):
        class_weights(y)


def test_bad_arguments():
    y = labels_from([5, 5])
    with pytest.raises(ValueError, match="`method` should be one of"):
        class_weights(y, method="focal")
    with pytest.raises(ValueError, match=r"`beta` should be a float in \[0, 1\)"):
        class_weights(y, method="effective_number", beta=1.0)
    with pytest.raises(ValueError, match="num_classes"):
        class_weights(y, num_classes=1)


def test_sample_weights_for_all_label_shapes():
    cw = {0: 0.5, 1: 2.0, 2: 3.0}
    y = np.array([0, 2, 1, 0])
    np.testing.assert_array_equal(sample_weights(y, cw), [0.5, 3.0, 2.0, 0.5])
    np.testing.assert_array_equal(
        sample_weights(keras.utils.to_categorical(y, 3), cw), [0.5, 3.0, 2.0, 0.5]
    )
    per_step = np.array([[0, 0, 2], [1, 2, 0]])
    expected = np.array([[0.5, 0.5, 3.0], [2.0, 3.0, 0.5]], dtype=np.float32)
    np.testing.assert_array_equal(
        sample_weights(per_step, cw, labels="sparse"), expected
    )
    one_hot_steps = keras.utils.to_categorical(per_step, 3)  # (2, 3, 3)
    np.testing.assert_array_equal(sample_weights(one_hot_steps, cw), expected)
    balanced = sample_weights(y, "balanced")
    assert balanced.mean() == pytest.approx(1.0)


def test_sample_weights_errors():
    with pytest.raises(ValueError, match=r"Missing class\(es\) \[1\]"):
        sample_weights(np.array([0, 1]), {0: 1.0})
    with pytest.raises(TypeError, match="dict"):
        sample_weights(np.array([0, 1]), [1.0, 2.0])


def test_weights_go_straight_into_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype("float32")
    y = labels_from([34, 6])
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(2, activation="softmax")]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(x, y, class_weight=class_weights(y), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    per_step_y = np.stack([y, y], axis=1)
    seq = keras.Sequential(
        [keras.Input((2, 4)), keras.layers.Dense(2, activation="softmax")]
    )
    seq.compile("adam", "sparse_categorical_crossentropy")
    sw = sample_weights(per_step_y, "balanced", labels="sparse")
    seq.fit(np.stack([x, x], axis=1), per_step_y, sample_weight=sw, epochs=1, verbose=0)
