"""The declarative argument checks of `keras_seqfix._validation`."""

import math

import numpy as np
import pytest

from keras_seqfix._validation import (
    Integral,
    Interval,
    NumberOrPair,
    Options,
    Real,
    check_finite_array,
    check_int,
    check_kwargs,
    check_param,
    check_token_ids,
    validate_params,
)

NON_NEGATIVE_INT = Interval(Integral, 0, None, closed="left")
UNIT = Interval(Real, 0, 1, closed="left")


@pytest.mark.parametrize(
    ("interval", "inside", "outside"),
    [
        (NON_NEGATIVE_INT, [0, 1, np.int64(7)], [-1]),
        (UNIT, [0, 0.5, np.float32(0.99), 0.999999], [1.0, -1e-9, math.nan]),
        (Interval(Real, 1, None, closed="neither"), [1.0001, 3], [1, math.inf]),
        (Interval(Real, None, None), [-1e30, 0.0], [math.inf, -math.inf, math.nan]),
        (Interval(Real, 0, 1, closed="right"), [1.0, 1e-9], [0.0]),
    ],
)
def test_interval_bounds(interval, inside, outside):
    assert all(interval.contains(v) for v in inside)
    assert not any(interval.contains(v) for v in outside)


@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_booleans_are_not_numbers(value):
    with pytest.raises(TypeError, match="Received: flag="):
        check_param("flag", value, [NON_NEGATIVE_INT])


def test_type_error_for_a_type_value_error_for_a_value():
    with pytest.raises(
        TypeError,
        match=r"Received: patience='10' \(str\)\. Pass an int, e\.g\. patience=10\.",
    ):
        check_param("patience", "10", [NON_NEGATIVE_INT])
    with pytest.raises(ValueError, match="`patience` should be a non-negative integer"):
        check_param("patience", -1, [NON_NEGATIVE_INT])


def test_a_value_that_satisfies_one_constraint_is_returned_unchanged():
    value = np.float32(0.5)
    assert check_param("x", value, [None, UNIT]) is value
    assert check_param("x", None, [None, UNIT]) is None


def test_options_describe_and_suggest():
    with pytest.raises(ValueError, match=r"one of 'max', 'min'\. .*e\.g\. mode='max'"):
        check_param("mode", "avg", [Options(str, {"min", "max"})])
    with pytest.raises(TypeError, match="`mode` should be None or one of"):
        check_param("mode", 3, [None, Options(str, {"min", "max"})])


def test_number_or_pair():
    pair = NumberOrPair(Interval(Real, -1, 1))
    assert pair.contains(0.5) and pair.contains((-0.5, 0.5)) and pair.contains([0, 1])
    assert not pair.contains((0.1, 0.2, 0.3)) and not pair.contains((0.1, 2))
    assert pair.has_type((0.1, 0.2, 0.3)) and not pair.has_type("0.1")
    only_pairs = NumberOrPair(Interval(Integral, 1, None, closed="left"), scalar=False)
    assert not only_pairs.has_type(3) and only_pairs.contains((3, 4))
    assert only_pairs.describe() == "a pair of integers >= 1"


def test_validate_params_names_the_first_bad_argument():
    constraints = {"a": [UNIT], "b": [NON_NEGATIVE_INT]}
    with pytest.raises(ValueError, match="`b`"):
        validate_params(constraints, {"a": 0.5, "b": -3})


def test_check_int_hint_replaces_the_fix_for_values_only():
    with pytest.raises(ValueError, match="binary: pass 2"):
        check_int("num_classes", 1, minimum=2, hint="binary: pass 2")
    with pytest.raises(TypeError, match="Pass an int"):
        check_int("num_classes", "2", minimum=2, hint="binary: pass 2")
    assert check_int("num_classes", np.int32(3), minimum=2) == 3


def test_check_kwargs_lists_valid_names_and_guesses():
    with pytest.raises(
        TypeError,
        match=r"'jiter'.*Valid arguments: jitter, scaling\. Did you mean `jitter`",
    ):
        check_kwargs("Layer", {"jiter": 1}, ["jitter", "scaling"])
    check_kwargs("Layer", {"jitter": 1}, ["jitter"])  # nothing unknown: no error


def test_check_finite_array():
    ints = np.array([1, 2, 3])
    assert check_finite_array("x", ints) is ints
    with pytest.raises(
        ValueError, match=r"2 NaN/inf value\(s\) \(first at rows \[1, 2\]\)"
    ):
        check_finite_array("x", np.array([[0.0], [math.nan], [math.inf]]))
    with pytest.raises(TypeError, match="`x` should be a numeric array"):
        check_finite_array("x", np.array(["a"]))


def test_check_token_ids_bounds():
    check_token_ids("x", np.array([[0, 49]]), vocab_size=50)
    check_token_ids("x", np.array([[0.0, 49.0]]), vocab_size=50)
    with pytest.raises(ValueError, match="vocab_size=51"):
        check_token_ids("x", np.array([[50]]), vocab_size=50)
    with pytest.raises(ValueError, match="cannot be negative"):
        check_token_ids("x", np.array([[-1]]), vocab_size=50)
    with pytest.raises(ValueError, match="non-integral"):
        check_token_ids("x", np.array([[1.5]]), vocab_size=50)
    with pytest.raises(TypeError, match="StringLookup"):
        check_token_ids("x", np.array([["the"]]), vocab_size=50)


def _checked_example():
    from keras_seqfix._validation import checked_signature

    @checked_signature
    def build(num_classes, *, units=8, dropout=0.3):
        """A builder."""
        return num_classes, units, dropout

    return build


def test_checked_signature_keeps_the_function_and_its_signature():
    import inspect

    build = _checked_example()
    assert build(2, units=4) == (2, 4, 0.3)
    assert list(inspect.signature(build).parameters) == [
        "num_classes",
        "units",
        "dropout",
    ]
    assert build.__doc__ == "A builder."


def test_checked_signature_lists_the_valid_names_and_guesses():
    build = _checked_example()
    with pytest.raises(
        TypeError,
        match=r"build\(\) got unexpected keyword argument\(s\) 'dropuot'\. "
        r"Valid arguments: dropout, num_classes, units\. Did you mean `dropout`",
    ):
        build(2, dropuot=0.1)


def test_checked_signature_names_missing_and_extra_positional_arguments():
    build = _checked_example()
    with pytest.raises(
        TypeError, match=r"missing the required argument\(s\) `num_classes`"
    ):
        build(units=4)
    with pytest.raises(
        TypeError,
        match=r"`build` takes 1 positional argument\(s\) \(`num_classes`\)\. "
        r"Received: 2, the extra being 16\. Pass the others by keyword",
    ):
        build(2, 16)
