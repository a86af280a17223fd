"""The shipped datasets load offline with the documented shapes, dtypes and splits."""

import numpy as np
import pytest

import keras_seqfix as ksf

EXPECTED = {
    # name: (n_train, n_test, timesteps, channels, classes)
    "GunPoint": (50, 150, 150, 1, 2),
    "ArrowHead": (36, 175, 251, 1, 3),
    "ItalyPowerDemand": (67, 1029, 24, 1, 2),
    "BasicMotions": (40, 40, 100, 6, 4),
    "JapaneseVowels": (270, 370, 29, 12, 9),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_load_ucr_shapes_dtypes_and_labels(name):
    n_train, n_test, steps, channels, classes = EXPECTED[name]
    data = ksf.load_ucr(name)
    (x_train, y_train), (x_test, y_test) = data
    names = data.class_names
    assert isinstance(data, tuple) and len(data) == 2
    assert x_train.shape == (n_train, steps, channels)
    assert x_test.shape == (n_test, steps, channels)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert set(np.unique(y_train)) == set(range(classes)) == set(np.unique(y_test))
    assert len(names) == classes
    assert np.isfinite(x_train).all() and np.isfinite(x_test).all()


def test_load_ucr_is_case_insensitive_and_matches_known_values():
    (x, y), _ = ksf.load_ucr("gunpoint")
    # First value of the first GunPoint training series in the archive's .ts file.
    assert x[0, 0, 0] == pytest.approx(-0.6478854)


def test_japanese_vowels_unpadded_matches_padded():
    (x_pad, _), (x_pad_test, _) = ksf.load_ucr("JapaneseVowels")
    (x_list, _), (x_list_test, _) = ksf.load_ucr("JapaneseVowels", padded=False)
    lengths = [len(s) for s in x_list + x_list_test]
    assert min(lengths) == 7 and max(lengths) == 29 == x_pad.shape[1]
    for padded, series in zip(x_pad, x_list, strict=True):
        np.testing.assert_array_equal(padded[: len(series)], series)
        assert not padded[len(series) :].any(), "padding should be zeros at the end"


def test_load_ucr_unknown_name_lists_the_choices():
    with pytest.raises(
        ValueError,
        match=r"`name` should be one of .*GunPoint.*Received: name='Gunpont'",
    ):
        ksf.load_ucr("Gunpont")


def test_sms_spam_split_is_stratified_and_disjoint():
    (x_train, y_train), (x_test, y_test) = ksf.load_sms_spam()
    assert len(x_train) == 3400 and len(x_test) == 1134
    assert set(x_train).isdisjoint(set(x_test))
    assert abs(y_train.mean() - y_test.mean()) < 0.01
    assert 0.10 < y_train.mean() < 0.15
    assert all(isinstance(t, str) and t for t in x_train[:50])


def test_moving_digits_label_needs_content_and_order():
    data = ksf.load_moving_digits()
    (x, y), (x_test, y_test) = data
    names = data.class_names
    assert names[:2] == ["0 right", "0 left"]
    assert x.shape[1:] == (8, 16, 16, 1) and x.dtype == np.float32
    assert len(names) == 20 and len(x) + len(x_test) == 1797
    # Every frame holds the whole digit: the total ink is the same in every frame.
    ink = x.sum(axis=(2, 3, 4))
    np.testing.assert_allclose(ink, np.broadcast_to(ink[:, :1], ink.shape), rtol=1e-5)
    # Reversing time turns "right" into "left": same frames, a different label.
    i = int(np.flatnonzero(y % 2 == 0)[0])
    centre = (x[i, :, :, :, 0].sum(axis=1) * np.arange(16)).sum(axis=1) / ink[i]
    assert np.all(np.diff(centre) > 0), "class with even id moves right"


def test_moving_digits_is_deterministic_and_seeded():
    a = ksf.load_moving_digits(seed=3)
    b = ksf.load_moving_digits(seed=3)
    c = ksf.load_moving_digits(seed=4)
    np.testing.assert_array_equal(a[0][0], b[0][0])
    assert not np.array_equal(a[0][1], c[0][1])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"size": 10}, r"`size` should be at least 8 \+ num_frames - 1 = 15"),
        ({"directions": ("right", "sideways")}, "`directions` should be"),
        ({"test_fraction": 1.5}, "`test_fraction`"),
    ],
)
def test_moving_digits_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ksf.load_moving_digits(**kwargs)


@pytest.mark.parametrize(
    "load",
    [lambda **kw: ksf.load_ucr("GunPoint", **kw), ksf.load_moving_digits],
    ids=["load_ucr", "load_moving_digits"],
)
def test_one_shape_and_deprecated_return_class_names(load):
    import pickle

    data = load()
    assert len(data) == 2 and data.class_names
    with pytest.warns(DeprecationWarning, match="class_names` attribute"):
        old = load(return_class_names=True)
    assert len(old) == 3 and old[2] == data.class_names
    np.testing.assert_array_equal(old[0][0], data[0][0])
    with pytest.warns(DeprecationWarning, match="return_class_names"):
        assert len(load(return_class_names=False)) == 2
    again = pickle.loads(pickle.dumps(data))
    assert again.class_names == data.class_names
    np.testing.assert_array_equal(again[1][1], data[1][1])
