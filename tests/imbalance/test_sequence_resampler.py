"""SequenceResampler: N-D round trips, untouched originals, SMOTE geometry, errors.

The imbalanced-learn and scikit-learn estimator checks are in
test_resampler_estimator_checks.py.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn import FunctionSampler
from imblearn.over_sampling import ADASYN, SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline
from imblearn.under_sampling import NearMiss, RandomUnderSampler, TomekLinks
from scipy.sparse import csr_matrix, issparse
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import FunctionTransformer

from keras_seqfix.imbalance import SequenceResampler
from tests.bad_inputs import assert_refused

SETTINGS = settings(max_examples=12, deadline=None)


@st.composite
def datasets(draw, min_minority=2):
    counts = draw(st.lists(st.integers(min_minority, 25), min_size=2, max_size=3))
    tail = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.repeat(np.arange(len(counts)), counts))
    x = rng.normal(size=(len(y), *tail)).astype("float32")
    x = x + y.reshape(-1, *[1] * len(tail))  # classes apart, distinct samples
    return x, y


INDEX_SAMPLERS = [
    lambda: RandomOverSampler(random_state=0),
    lambda: RandomUnderSampler(random_state=0),
    lambda: NearMiss(version=1, n_neighbors=1),
    lambda: TomekLinks(),
]


@SETTINGS
@given(data=datasets(), which=st.integers(0, len(INDEX_SAMPLERS) - 1))
def test_index_samplers_keep_originals_untouched(data, which):
    x, y = data
    x_before = x.copy()
    resampler = SequenceResampler(INDEX_SAMPLERS[which]())
    x_res, y_res = resampler.fit_resample(x, y)
    assert x_res.shape[1:] == x.shape[1:] and x_res.dtype == x.dtype
    idx = resampler.sample_indices_
    np.testing.assert_array_equal(x_res, x[idx])  # every sample is an original
    np.testing.assert_array_equal(y_res, y[idx])
    np.testing.assert_array_equal(x, x_before)  # the input is not modified
    counts = np.bincount(y)
    if which == 0:  # over-sampling loses nothing and balances
        assert set(idx.tolist()) == set(range(len(y)))
        assert np.all(np.bincount(y_res) == counts.max())
    elif which == 1:
        assert np.all(np.bincount(y_res, minlength=len(counts)) == counts.min())


@SETTINGS
@given(data=datasets(), seed=st.integers(0, 100))
def test_same_random_state_gives_same_result(data, seed):
    x, y = data
    a = SequenceResampler(RandomOverSampler(random_state=seed)).fit_resample(x, y)
    b = SequenceResampler(RandomOverSampler(random_state=seed)).fit_resample(x, y)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_random_samplers_do_not_read_x():
    x = np.zeros((6, 3, 2), dtype="float32")
    x[:, 0, 0] = np.arange(6)
    y = np.array([0, 0, 0, 0, 1, 1])
    resampler = SequenceResampler(RandomOverSampler(random_state=0)).fit(x, y)
    assert resampler.sampler_.n_features_in_ == 1  # an (n, 1) stand-in, not x


def on_some_segment(s, x_class, k):
    """Whether `s` lies on a segment between a sample and one of its k neighbours."""
    nn = NearestNeighbors(n_neighbors=k + 1).fit(x_class)
    neighbours = nn.kneighbors(x_class, return_distance=False)[:, 1:]
    for i, row in enumerate(neighbours):
        for j in row:
            d = x_class[j] - x_class[i]
            lam = np.dot(s - x_class[i], d) / np.dot(d, d)
            if -1e-5 <= lam <= 1 + 1e-5 and np.allclose(
                x_class[i] + lam * d, s, atol=1e-4
            ):
                return True
    return False


@settings(max_examples=6, deadline=None)
@given(data=datasets(min_minority=4))
def test_smote_samples_lie_between_same_class_neighbours(data):
    x, y = data
    k = 3
    x_res, y_res = SequenceResampler(SMOTE(k_neighbors=k, random_state=0)).fit_resample(
        x, y
    )
    assert x_res.shape[1:] == x.shape[1:]
    np.testing.assert_array_equal(x_res[: len(x)], x)  # originals first, untouched
    assert np.all(np.bincount(y_res) == np.bincount(y).max())
    flat, flat_res = x.reshape(len(x), -1), x_res.reshape(len(x_res), -1)
    for s, label in zip(flat_res[len(x) :], y_res[len(x) :], strict=True):
        assert on_some_segment(s, flat[y == label], k)


def test_one_hot_in_one_hot_out():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [20, 6, 8])
    y_hot = np.eye(3, dtype="float32")[y]
    x = rng.normal(size=(len(y), 5, 2)).astype("float32")
    for sampler in (
        RandomOverSampler(random_state=0),
        SMOTE(k_neighbors=3, random_state=0),
    ):
        x_res, y_res = SequenceResampler(sampler).fit_resample(x, y_hot)
        assert y_res.shape == (60, 3) and y_res.dtype == y_hot.dtype
        assert np.all(y_res.sum(axis=1) == 1)
        np.testing.assert_array_equal(y_res.sum(axis=0), [20, 20, 20])


def test_variable_length_lists():
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(int(n), 2)) for n in rng.integers(3, 9, size=12)]
    y = np.array([0] * 9 + [1] * 3)
    resampler = SequenceResampler(RandomOverSampler(random_state=0))
    x_res, y_res = resampler.fit_resample(x, y)
    assert isinstance(x_res, list) and len(x_res) == 18
    assert all(a is x[i] for a, i in zip(x_res, resampler.sample_indices_, strict=True))
    x_near, _ = SequenceResampler(NearMiss(n_neighbors=1)).fit_resample(x, y)
    assert len(x_near) == 6 and all(any(a is b for b in x) for a in x_near)
    with pytest.raises(ValueError, match="different lengths"):
        SequenceResampler(SMOTE(k_neighbors=2)).fit_resample(x, y)


def test_integer_tokens_refused_by_synthesising_samplers():
    tokens = np.random.default_rng(0).integers(1, 50, size=(20, 7))
    y = np.array([0] * 15 + [1] * 5)
    for sampler in (SMOTE(k_neighbors=2), ADASYN(n_neighbors=2)):
        with pytest.raises(
            TypeError, match="RandomOverSampler.*BalancedBatches.*class_weights"
        ):
            SequenceResampler(sampler).fit_resample(tokens, y)
    x_res, _ = SequenceResampler().fit_resample(tokens, y)  # index-based is fine
    assert x_res.dtype == tokens.dtype and x_res.shape == (30, 7)


def test_padded_sequences_of_different_lengths():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 6, 2)).astype("float32")
    x[::3, 4:] = 0.0  # post-padded, shorter sequences
    y = np.array([0] * 14 + [1] * 6)
    with pytest.raises(ValueError, match="mask_value=None"):
        SequenceResampler(SMOTE(k_neighbors=2)).fit_resample(x, y)
    x_res, _ = SequenceResampler(SMOTE(k_neighbors=2), mask_value=None).fit_resample(
        x, y
    )
    assert x_res.shape == (28, 6, 2)


@pytest.mark.parametrize(
    "sampler, match",
    [
        (RandomUnderSampler(sampling_strategy={0: 100}), "sampling_strategy"),
        (RandomOverSampler(sampling_strategy={1: 2}), "sampling_strategy"),
        (SMOTE(k_neighbors=5), "k_neighbors"),
    ],
)
def test_impossible_requests_raise_clear_errors(sampler, match):
    x = np.random.default_rng(0).normal(size=(24, 3, 2))
    y = np.array([0] * 20 + [1] * 4)
    with pytest.raises(ValueError, match=match):
        SequenceResampler(sampler).fit_resample(x, y)


@pytest.mark.parametrize(
    "y, error, match",
    [
        (np.zeros(10, dtype=int), ValueError, "at least 2 classes"),
        (np.array([0, 1] * 4 + [np.nan, 1]), ValueError, "NaN"),
        (np.array(["a", "b"] * 5), TypeError, "LabelEncoder"),
        (np.array([0, 1] * 6), ValueError, r"len\(X\)=10, len\(y\)=12"),
        (np.eye(3)[[0, 1] * 5], ValueError, r"Class\(es\) \[2\] have none"),
    ],
)
def test_bad_labels(y, error, match):
    x = np.ones((10, 4, 2))
    with pytest.raises(error, match=match):
        SequenceResampler().fit_resample(x, y)


def test_bad_sampler_type():
    with pytest.raises(TypeError, match="fit_resample"):
        SequenceResampler(sampler="smote").fit_resample(
            np.ones((4, 2, 2)), [0, 0, 1, 1]
        )


def test_inside_imblearn_pipeline():
    rng = np.random.default_rng(0)
    y = np.array([0] * 40 + [1] * 8)
    x = rng.normal(size=(48, 6, 3)) + y[:, None, None]
    pipe = Pipeline(
        [
            ("resample", SequenceResampler(SMOTE(k_neighbors=3, random_state=0))),
            ("flatten", FunctionTransformer(lambda a: a.reshape(len(a), -1))),
            ("clf", LogisticRegression()),
        ]
    )
    pipe.fit(x, y)
    assert (pipe.predict(x) == y).mean() > 0.9
    params = pipe.get_params()
    assert params["resample__sampler__k_neighbors"] == 3
    assert isinstance(clone(pipe).steps[0][1], SequenceResampler)


def test_smoothed_bootstrap_and_function_samplers():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 5, 2)).astype("float32")
    y = np.array([0] * 15 + [1] * 5)
    smoothed = SequenceResampler(RandomOverSampler(shrinkage=0.5, random_state=0))
    x_res, y_res = smoothed.fit_resample(x, y)
    assert x_res.shape == (30, 5, 2) and not hasattr(smoothed, "sample_indices_")
    np.testing.assert_array_equal(x_res[:20], x)
    assert not np.any(np.all(x_res[20:, None] == x[None], axis=(2, 3)))  # new samples
    with pytest.raises(TypeError, match="RandomOverSampler"):
        smoothed.fit_resample(x.astype("int32"), y)
    first_ten = FunctionSampler(func=lambda a, b: (a[:10], b[:10]), validate=False)
    x_fn, y_fn = SequenceResampler(first_ten).fit_resample(x, y)
    np.testing.assert_array_equal(x_fn, x[:10])
    np.testing.assert_array_equal(y_fn, y[:10])


class _CountingSMOTE(SMOTE):
    """SMOTE that records every resampling it does (shared by its clones)."""

    calls = []

    def _fit_resample(self, X, y):
        type(self).calls.append(X.shape)
        return super()._fit_resample(X, y)


def _nan_at(x, where, value):
    x = x.copy()
    x[where] = value
    return x


_X = np.random.default_rng(0).normal(size=(24, 5, 2))
_Y = np.array([0] * 18 + [1] * 6)


def _bad_input_cases():
    smote = _CountingSMOTE(k_neighbors=2)
    yield pytest.param(dict(sampler=SMOTE), _X, _Y, TypeError, "sampler", id="class")
    yield pytest.param(
        dict(sampler="smote"), _X, _Y, TypeError, "sampler", id="string-sampler"
    )
    for value in (np.nan, np.inf, -np.inf):
        yield pytest.param(
            dict(sampler=smote),
            _nan_at(_X, (3, 2, 1), value),
            _Y,
            ValueError,
            "X",
            id=f"smote-X-{value}",
        )
    yield pytest.param(
        dict(sampler=NearMiss(n_neighbors=1)),
        _nan_at(_X, (0, 0, 0), np.nan),
        _Y,
        ValueError,
        "X",
        id="nearmiss-X-nan",
    )
    yield pytest.param(
        dict(sampler=smote),
        (row for row in _X),
        _Y,
        TypeError,
        "X",
        id="generator-X",
    )
    yield pytest.param({}, _X, (label for label in _Y), TypeError, "y", id="gen-y")
    yield pytest.param({}, _X, None, ValueError, "y", id="y-None")
    for value in ("zero", [0.0], np.nan):
        error = ValueError if value is np.nan else TypeError
        yield pytest.param(
            dict(mask_value=value, sampler=smote),
            _X,
            _Y,
            error,
            "mask_value",
            id=f"mask_value={value!r}",
        )
    for value in ("0", 1.5, True):
        yield pytest.param(
            dict(random_state=value),
            _X,
            _Y,
            TypeError,
            "random_state",
            id=f"rs={value!r}",
        )
    yield pytest.param({}, np.ones((12, 0)), _Y[:12], ValueError, "X", id="0-features")
    yield pytest.param({}, np.ones(12), _Y[:12], ValueError, "X", id="1-D-X")
    yield pytest.param({}, _X.astype(complex), _Y, ValueError, "X", id="complex-X")


@pytest.mark.parametrize(
    ("kwargs", "x", "y", "error", "name"), list(_bad_input_cases())
)
def test_bad_inputs_refused_before_any_work(kwargs, x, y, error, name):
    _CountingSMOTE.calls.clear()
    resampler = SequenceResampler(**kwargs)
    arrays = [a for a in (x, y) if isinstance(a, np.ndarray)]
    message = assert_refused(
        lambda: resampler.fit_resample(x, y), error, name, arrays=arrays
    )
    assert "Received" in message or "received" in message or "Found" in message
    assert not _CountingSMOTE.calls  # refused before any resampling
    assert not hasattr(resampler, "sampler_")  # and nothing was fitted


def test_random_state_seeds_the_default_and_the_given_sampler():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6, 2))
    y = np.array([0] * 32 + [1] * 8)

    def draw(**kwargs):
        return SequenceResampler(**kwargs).fit_resample(x, y)[0]

    np.testing.assert_array_equal(draw(random_state=3), draw(random_state=3))
    assert not np.array_equal(draw(random_state=3), draw(random_state=4))
    smote = SMOTE(k_neighbors=3, random_state=0)
    np.testing.assert_array_equal(
        draw(sampler=smote, random_state=7), draw(sampler=smote, random_state=7)
    )
    assert not np.array_equal(
        draw(sampler=smote, random_state=7), draw(sampler=smote, random_state=8)
    )
    assert smote.random_state == 0  # the user's sampler is cloned, never changed
    # Nothing built in __init__: the default sampler is a fit-time choice.
    resampler = SequenceResampler(random_state=3)
    assert resampler.get_params() == {
        "sampler": None,
        "mask_value": 0.0,
        "random_state": 3,
    }
    resampler.fit(x, y)
    assert isinstance(resampler.sampler_, RandomOverSampler)
    assert resampler.sampler_.random_state == 3
    assert resampler.sampling_strategy_ == {1: 24}


def test_container_types_round_trip():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    y = np.array([0] * 15 + [1] * 5)
    x = rng.normal(size=(20, 4, 3)).astype("float32")
    x_res, y_res = SequenceResampler(random_state=0).fit_resample(x, y.tolist())
    assert isinstance(y_res, list) and x_res.shape == (30, 4, 3)
    frame = pd.DataFrame(x[:, :, 0], columns=list("abcd"))
    labels = pd.Series(y, name="label")
    resampler = SequenceResampler(NearMiss(n_neighbors=1))
    x_df, y_s = resampler.fit_resample(frame, labels)
    assert isinstance(x_df, pd.DataFrame) and list(x_df.columns) == list("abcd")
    assert isinstance(y_s, pd.Series) and y_s.name == "label"
    np.testing.assert_array_equal(x_df.to_numpy(), x[resampler.sample_indices_, :, 0])
    np.testing.assert_array_equal(resampler.get_feature_names_out(), list("abcd"))
    sparse_x = csr_matrix(x[:, :, 0])
    x_sp, _ = SequenceResampler(SMOTE(k_neighbors=2), random_state=0).fit_resample(
        sparse_x, y
    )
    dense, _ = SequenceResampler(SMOTE(k_neighbors=2), random_state=0).fit_resample(
        x[:, :, 0], y
    )
    assert issparse(x_sp)
    np.testing.assert_allclose(x_sp.toarray(), dense, rtol=1e-6)


def test_object_integer_labels_and_feature_names_of_sequences():
    x = np.random.default_rng(0).normal(size=(12, 7, 3))
    y = np.array([0] * 9 + [1] * 3, dtype=object)
    resampler = SequenceResampler(random_state=0)
    x_res, y_res = resampler.fit_resample(x, y)
    np.testing.assert_array_equal(y_res, y.astype(int)[resampler.sample_indices_])
    # As scikit-learn's own N-D estimators: the features are the second axis.
    assert resampler.n_features_in_ == 7 == x_res.shape[1]
    assert len(resampler.get_feature_names_out()) == 7


def test_refit_forgets_attributes_of_the_previous_fit():
    x = np.random.default_rng(0).normal(size=(20, 5, 2))
    y = np.array([0] * 15 + [1] * 5)
    resampler = SequenceResampler(random_state=0).fit(x, y)
    assert hasattr(resampler, "sample_indices_")
    resampler.set_params(sampler=SMOTE(k_neighbors=2)).fit(x, y)
    assert not hasattr(resampler, "sample_indices_")  # SMOTE makes new samples
    resampler.set_params(sampler=None).fit([x[0][:3]] + list(x[1:]), y)  # ragged
    assert not hasattr(resampler, "n_features_in_")


def test_nan_is_fine_for_samplers_that_do_not_read_x():
    x = np.random.default_rng(0).normal(size=(20, 5, 2))
    x[0, 1, 1] = np.nan
    y = np.array([0] * 15 + [1] * 5)
    x_res, _ = SequenceResampler(random_state=0).fit_resample(x, y)
    assert np.isnan(x_res).sum() == 1  # sample 0 (class 0) is kept once
