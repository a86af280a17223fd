"""`build_rocket_classifier`: closed-form and gradient heads, loss, saving, recipe."""

import keras
import numpy as np
import pytest

import keras_seqfix as ksf
from keras_seqfix.layers import MiniRocketFeatures
from keras_seqfix.models import _ridge_head


def _two_shapes(n=40, time=60, seed=0):
    """Sines against square waves of random phase: separable by shape only."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 4 * np.pi, time)
    y = np.arange(n) % 2
    phase = rng.uniform(0, 2 * np.pi, n)
    wave = np.sin(t[None] + phase[:, None])
    x = np.where(y[:, None] == 0, wave, np.sign(wave))
    x = x + 0.1 * rng.normal(size=x.shape)
    return x[..., None].astype("float32"), y


def test_closed_form_head_predicts_at_once():
    x, y = _two_shapes()
    x_test, y_test = _two_shapes(seed=1)
    model = ksf.build_rocket_classifier(
        2, input_shape=x.shape[1:], adapt_data=x, adapt_labels=y, num_features=840
    )
    result = model.evaluate(x_test, y_test, return_dict=True, verbose=0)
    assert result["accuracy"] >= 0.95
    assert result["loss"] < 0.3  # the temperature keeps the softmax honest


@pytest.mark.slow
def test_learns_gunpoint_in_seconds():
    (x_train, y_train), (x_test, y_test) = ksf.load_ucr("GunPoint")
    model = ksf.build_rocket_classifier(
        2,
        input_shape=x_train.shape[1:],
        adapt_data=x_train,
        adapt_labels=y_train,
        seed=0,
    )
    result = model.evaluate(x_test, y_test, return_dict=True, verbose=0)
    assert result["accuracy"] >= 0.97  # aeon's MiniRocket: 0.993


@pytest.mark.parametrize("labels", ["sparse", "one_hot"])
def test_loss_matches_labels(labels):
    x, y = _two_shapes(n=20)
    given = y if labels == "sparse" else keras.utils.to_categorical(y, 2)
    model = ksf.build_rocket_classifier(
        2,
        input_shape=x.shape[1:],
        adapt_data=x,
        adapt_labels=given,
        labels=labels,
        num_features=168,
    )
    expected = {
        "sparse": "sparse_categorical_crossentropy",
        "one_hot": "categorical_crossentropy",
    }[labels]
    assert model.loss.name == expected
    with pytest.raises(ValueError, match="labels="):
        other = keras.utils.to_categorical(y, 2) if labels == "sparse" else y
        model.fit(x, other, epochs=1, verbose=0)


def test_gradient_head_trains_with_the_models_recipe():
    x, y = _two_shapes()
    model = ksf.build_rocket_classifier(
        2, input_shape=x.shape[1:], adapt_data=x, num_features=840, learning_rate=1e-2
    )
    before = model.evaluate(x, y, return_dict=True, verbose=0)["loss"]
    np.testing.assert_allclose(before, np.log(2), rtol=1e-5)  # zero head: uniform
    features = model.get_layer("minirocket")
    frozen = [keras.ops.convert_to_numpy(w).copy() for w in features.weights]
    model.fit(x, y, verbose=0, **ksf.fit_recipe(x, model=model, max_epochs=10))
    after = model.evaluate(x, y, return_dict=True, verbose=0)
    assert after["loss"] < before / 2 and after["accuracy"] >= 0.9
    for old, new in zip(frozen, features.weights, strict=True):  # never trained
        np.testing.assert_array_equal(old, keras.ops.convert_to_numpy(new))


def test_recipe_knows_the_rocket_model():
    x, y = _two_shapes()
    model = ksf.build_rocket_classifier(
        2, input_shape=x.shape[1:], adapt_data=x, num_features=168
    )
    rocket = ksf.fit_recipe(x, model=model)
    assert rocket["epochs"] == 100 and rocket["batch_size"] == 20  # 2 batches
    assert rocket["epochs"] < ksf.fit_recipe(x)["epochs"]
    assert "validation_split" in ksf.fit_recipe(5000, model=model)
    lstm = ksf.build_lstm_classifier(2, input_shape=x.shape[1:], units=4)
    assert ksf.fit_recipe(x, model=lstm)["epochs"] == ksf.fit_recipe(x)["epochs"]
    with pytest.raises(TypeError, match="model"):
        ksf.fit_recipe(x, model="rocket")


def test_save_load_gives_the_same_predictions(tmp_path):
    x, y = _two_shapes(n=20)
    model = ksf.build_rocket_classifier(
        2, input_shape=x.shape[1:], adapt_data=x, adapt_labels=y, num_features=840
    )
    path = tmp_path / "rocket.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )


def test_padded_variable_length_series_are_masked():
    x, y = _two_shapes(n=20, time=40)
    padded = np.concatenate([x, np.zeros((20, 15, 1), "float32")], axis=1)
    model = ksf.build_rocket_classifier(
        2, input_shape=(None, 1), adapt_data=padded, adapt_labels=y, num_features=840
    )
    rocket = next(lay for lay in model.layers if isinstance(lay, MiniRocketFeatures))
    assert rocket.reference_length == 40  # the real length, not the padded one
    np.testing.assert_allclose(
        model.predict(padded[:4], verbose=0), model.predict(x[:4], verbose=0), atol=1e-5
    )


@pytest.mark.parametrize(
    ("timesteps", "masking", "masked"),
    [(None, "auto", True), (55, "auto", False), (55, True, True), (None, False, False)],
)
def test_auto_masking_only_where_lengths_vary(timesteps, masking, masked):
    # At a fixed length the padding is the same everywhere and read as data
    # (as aeon's MiniRocket reads it); with timesteps=None it is masked.
    x, y = _two_shapes(n=8, time=40)
    padded = np.concatenate([x, np.zeros((8, 15, 1), "float32")], axis=1)
    model = ksf.build_rocket_classifier(
        2,
        input_shape=(timesteps, 1),
        adapt_data=padded,
        masking=masking,
        num_features=168,
    )
    names = [layer.name for layer in model.layers]
    assert ("padding_mask" in names) == masked


def test_constant_training_feature_does_not_blow_up_new_data():
    # A feature constant on the training set keeps scale 1, as StandardScaler.
    x, y = _two_shapes(n=20)
    model = ksf.build_rocket_classifier(
        2, input_shape=x.shape[1:], adapt_data=x, adapt_labels=y, num_features=840
    )
    out = model.predict(100 * x, verbose=0)
    assert np.all(np.isfinite(out))


def test_temperature_is_finite_when_every_held_out_score_is_right():
    scores = np.array([[2.0, -2.0], [-2.0, 2.0]] * 5)
    targets = np.array([0, 1] * 5)
    temperature = _ridge_head.fit_temperature(scores, targets)
    assert 0.5 < temperature < 10  # capped by Laplace's 1 / (n + 2)


def test_absent_class_never_wins():
    x, y = _two_shapes(n=20)
    model = ksf.build_rocket_classifier(
        3, input_shape=x.shape[1:], adapt_data=x, adapt_labels=y, num_features=168
    )
    assert np.all(model.predict(x, verbose=0).argmax(-1) != 2)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(input_shape=(60,)), ValueError, "input_shape"),
        (dict(adapt_data=np.zeros((0, 60, 1))), ValueError, "adapt_data"),
        (dict(adapt_data=np.zeros((4, 50, 1))), ValueError, "adapt_data"),
        (dict(adapt_data=np.full((4, 60, 1), np.nan)), ValueError, "NaN"),
        (dict(adapt_labels=np.array([0, 1])), ValueError, "adapt_labels"),
        (dict(adapt_labels=np.array([0, 1, 2, 5])), ValueError, "adapt_labels"),
        (dict(masking="yes"), ValueError, "masking"),
        (dict(num_classes=1), ValueError, "num_classes"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    args = (
        dict(num_classes=2, input_shape=(60, 1), adapt_data=_two_shapes(n=4)[0])
        | kwargs
    )
    with pytest.raises(error, match=match):
        ksf.build_rocket_classifier(args.pop("num_classes"), **args)
