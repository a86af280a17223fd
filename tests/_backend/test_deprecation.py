"""`keras_seqfix._deprecation`: the one helper behind every rename kept for a release."""

import warnings

import pytest

from keras_seqfix._deprecation import REMOVED_IN, deprecated, renamed_argument


def _function(new=1.0, old=None):
    return renamed_argument("f", "old", "new", old, new, 1.0)


def test_deprecated_names_both_and_points_at_the_caller():
    def api():
        deprecated("`f(old=...)`", "`f(new=...)`")

    with pytest.warns(DeprecationWarning) as caught:
        api()
    (warning,) = caught
    message = str(warning.message)
    assert "`f(old=...)` is deprecated" in message
    assert f"removed in keras_seqfix {REMOVED_IN}" in message
    assert "Use `f(new=...)` instead" in message
    assert warning.filename == __file__


def test_renamed_argument_old_name_warns_and_wins():
    with pytest.warns(DeprecationWarning, match="`f\\(new=...\\)`") as caught:
        assert _function(old=2.0) == 2.0
    assert caught[0].filename == __file__  # the line that passed `old`


def test_renamed_argument_new_name_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _function(new=3.0) == 3.0
        assert _function() == 1.0


def test_renamed_argument_both_is_an_error():
    with pytest.raises(TypeError, match="both `old` .* Pass only `new`"):
        _function(new=3.0, old=2.0)
