"""SequenceResampler against imbalanced-learn's and scikit-learn's estimator checks.

Every check runs for the default sampler and for one sampler of each kind the
wrapper treats differently: one that never reads `X` (RandomOverSampler,
RandomUnderSampler), one that selects by reading `X` (NearMiss) and one that
synthesises samples (SMOTE). The only expected failures are the ones the design
asks for, each with its reason.
"""

import numpy as np
import pytest
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.under_sampling import NearMiss, RandomUnderSampler
from imblearn.utils.estimator_checks import (
    parametrize_with_checks as imblearn_parametrize_with_checks,
)
from sklearn.base import clone
from sklearn.utils.estimator_checks import (
    parametrize_with_checks as sklearn_parametrize_with_checks,
)

from keras_seqfix.imbalance import SequenceResampler

RESAMPLERS = [
    SequenceResampler(random_state=0),
    SequenceResampler(SMOTE(k_neighbors=2), random_state=0),
]
# The same harness for the other kinds: about 20 s more on 2 CPU cores.
MORE_RESAMPLERS = [
    SequenceResampler(RandomUnderSampler(), random_state=0),
    SequenceResampler(NearMiss(n_neighbors=1)),
]

_INTEGER_X = (
    "by design (SPEC: integer token sequences given to a synthesising sampler raise "
    "a clear error): interpolated token ids are other tokens, so SMOTE and the other "
    "synthesising samplers refuse the int32/int64 X this check fits"
)


def expected_failed_checks(resampler):
    """Checks that contradict the design, by check name, with the reason."""
    if isinstance(resampler.sampler, SMOTE):
        return {"check_estimators_dtypes": _INTEGER_X}
    return {}


@imblearn_parametrize_with_checks(
    RESAMPLERS, expected_failed_checks=expected_failed_checks
)
def test_imblearn_sampler_checks(estimator, check):
    check(estimator)


@sklearn_parametrize_with_checks(
    RESAMPLERS, expected_failed_checks=expected_failed_checks
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.slow
@imblearn_parametrize_with_checks(
    MORE_RESAMPLERS, expected_failed_checks=expected_failed_checks
)
def test_imblearn_sampler_checks_other_kinds(estimator, check):
    check(estimator)


@pytest.mark.slow
@sklearn_parametrize_with_checks(
    MORE_RESAMPLERS, expected_failed_checks=expected_failed_checks
)
def test_sklearn_estimator_checks_other_kinds(estimator, check):
    check(estimator)


def test_only_the_listed_check_fails_and_it_fails_for_its_reason():
    """The expected failure is real: SMOTE refuses integer X, the default does not."""
    x = np.random.default_rng(0).integers(0, 50, size=(20, 6))
    y = np.array([0] * 14 + [1] * 6)
    with pytest.raises(TypeError, match="integer sequences"):
        RESAMPLERS[1].fit_resample(x, y)
    x_res, _ = RESAMPLERS[0].fit_resample(x, y)
    assert x_res.dtype == x.dtype


@pytest.mark.parametrize(
    "sampler",
    [
        RandomOverSampler(),
        RandomUnderSampler(),
        NearMiss(n_neighbors=2),
        SMOTE(k_neighbors=3),
    ],
    ids=lambda s: type(s).__name__,
)
def test_same_result_as_the_bare_sampler_on_2d_data(sampler):
    """On tabular data the wrapper is transparent: same samples, same order."""
    rng = np.random.default_rng(1)
    y = rng.permutation(np.repeat([0, 1, 2], [30, 12, 8]))
    x = rng.normal(size=(len(y), 4)) + y[:, None]
    bare = clone(sampler)
    if "random_state" in bare.get_params():
        bare.set_params(random_state=5)
    expected = bare.fit_resample(x, y)
    got = SequenceResampler(sampler, random_state=5).fit_resample(x, y)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
